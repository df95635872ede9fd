"""Credit scorecard (SPEC §4): indicator bands, grades, missing-financials policies, quarters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoring.config import DEFAULT_CONFIG_PATH, CreditConfig, default_config, load_scoring_config
from scoring.credit import (
    Quarter,
    quarter_for,
    score_credit,
    score_credit_for_quarter,
    with_statements_known_on,
)

# A customer earning every point of the default scorecard.
FULL_MARKS: dict[str, object] = {
    "customer_id": "full",
    "cooperation_years": 6.0,
    "revenue_trailing": 2_000_000.0,
    "industry": "utilities",
    "qualitative_rating": 5,
    "complaint_count_trailing": 0,
    "on_time_payment_rate_trailing": 1.0,
    "average_days_past_due_trailing": 0.0,
    # No payment fell in the quarter: the quarter's indicators take the trailing year's value.
    "on_time_payment_rate_recent": None,
    "average_days_past_due_recent": None,
    "average_collection_days_recent": None,
    "max_days_past_due_recent": 0.0,
    "overdue_amount": 0.0,
    "outstanding_balance": 100.0,
    "average_collection_days_trailing": 20.0,
    "payment_terms_days": 30,
    "long_overdue_amount": 0.0,
    "has_financial_statement": True,
    "statement_age_days": 40,
    "current_ratio": 2.5,
    "quick_ratio": 1.2,
    "debt_to_asset_ratio": 0.3,
    "revenue_growth": 0.3,
    "inventory_days": 30.0,
    "receivable_days": 30.0,
    "asset_turnover": 2.0,
    "net_profit_margin": 0.2,
    "return_on_assets": 0.1,
}
FINANCIAL_METRICS = [
    "current_ratio",
    "quick_ratio",
    "debt_to_asset_ratio",
    "revenue_growth",
    "inventory_days",
    "receivable_days",
    "asset_turnover",
    "net_profit_margin",
    "return_on_assets",
]
NO_STATEMENT = {
    "has_financial_statement": False,
    "statement_age_days": None,
    **dict.fromkeys(FINANCIAL_METRICS),
}


def _facts(*rows: dict[str, object]) -> pl.LazyFrame:
    return pl.LazyFrame([{**FULL_MARKS, **row} for row in rows])


def _credit(tmp_path: Path, *replacements: tuple[str, str]) -> CreditConfig:
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "scoring.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scoring_config(path).credit


def _score(facts: pl.LazyFrame, config: CreditConfig) -> pl.DataFrame:
    return score_credit(facts, config).collect()


def test_full_marks_customer_scores_100_and_aaa() -> None:
    out = _score(_facts({}), default_config().credit)
    row = out.row(0, named=True)
    assert row["credit_score"] == 100.0
    assert row["credit_grade"] == "AAA"
    assert row["credit_grade_zh"] == "AAA级"
    assert row["credit_financials_missing"] is False
    assert row["credit_missing_indicators"] is None
    points = {k: v for k, v in row.items() if k.startswith("credit_points_")}
    assert points == {
        "credit_points_character": 20.0,
        "credit_points_payment_record": 50.0,
        "credit_points_solvency": 10.0,
        "credit_points_operations": 10.0,
        "credit_points_profitability": 10.0,
    }
    assert len([k for k in row if k.startswith("credit_ind_")]) == 20


def test_scores_each_indicator_on_its_band() -> None:
    middling = {
        "customer_id": "mid",
        "cooperation_years": 3.0,  # >= 3 -> 3
        "revenue_trailing": 499_999.99,  # >= 200k -> 2
        "industry": "shipping",  # not in the map -> otherwise 2
        "qualitative_rating": None,  # missing -> 2
        "complaint_count_trailing": 2,  # <= 3 -> 2
        "on_time_payment_rate_trailing": 0.95,  # >= 0.95 -> 12
        "average_days_past_due_trailing": 5.0,  # <= 5 -> 8
        "max_days_past_due_recent": 61.0,  # <= 90 -> 1
        "overdue_amount": 20.0,  # 20 / 100 = 0.2 -> 3
        "average_collection_days_trailing": 40.0,  # 40 - 30 = 10 -> 4
        "long_overdue_amount": 1.0,  # > 0 -> 0
        "current_ratio": 1.2,  # -> 2
        "quick_ratio": 0.4,  # below every band -> 0
        "debt_to_asset_ratio": 0.7,  # -> 1
        "revenue_growth": -0.05,  # below every band -> 0
        "inventory_days": 120.0,  # -> 1
        "receivable_days": 90.0,  # -> 2
        "asset_turnover": 0.8,  # -> 1
        "net_profit_margin": 0.02,  # -> 3
        "return_on_assets": None,  # statement present, value null -> missing 0
    }
    out = _score(_facts(middling), default_config().credit)
    expected = pl.DataFrame(
        {
            "customer_id": ["mid"],
            "credit_score": [49.0],
            "credit_grade": ["C"],
            "credit_grade_zh": ["C级"],
            "credit_financials_missing": [False],
            "credit_missing_indicators": ["qualitative_rating;return_on_assets"],
            "credit_points_character": [11.0],
            "credit_points_payment_record": [28.0],
            "credit_points_solvency": [3.0],
            "credit_points_operations": [4.0],
            "credit_points_profitability": [3.0],
            "credit_ind_cooperation_years": [3.0],
            "credit_ind_purchase_scale": [2.0],
            "credit_ind_industry_risk": [2.0],
            "credit_ind_qualitative_rating": [2.0],
            "credit_ind_complaints": [2.0],
            "credit_ind_on_time_payment_rate": [12.0],
            "credit_ind_average_days_past_due": [8.0],
            "credit_ind_max_days_past_due": [1.0],
            "credit_ind_overdue_share": [3.0],
            "credit_ind_collection_vs_terms": [4.0],
            "credit_ind_write_offs": [0.0],
            "credit_ind_current_ratio": [2.0],
            "credit_ind_quick_ratio": [0.0],
            "credit_ind_debt_to_asset_ratio": [1.0],
            "credit_ind_revenue_growth": [0.0],
            "credit_ind_inventory_days": [1.0],
            "credit_ind_receivable_days": [2.0],
            "credit_ind_asset_turnover": [1.0],
            "credit_ind_net_profit_margin": [3.0],
            "credit_ind_return_on_assets": [0.0],
        }
    )
    assert_frame_equal(out, expected)


def test_score_of_exactly_90_is_aaa() -> None:
    # Full marks except profitability (both indicators below every band): 100 - 10 = 90.
    out = _score(
        _facts({"net_profit_margin": -0.1, "return_on_assets": -0.1}), default_config().credit
    )
    assert out.select("credit_score", "credit_grade").row(0) == (90.0, "AAA")


def test_score_of_89_99_is_aa(tmp_path: Path) -> None:
    # No statement, neutral fraction 0.6663: 70 + 0.6663 x 30 = 89.989, published as 89.99.
    config = _credit(tmp_path, ("neutral_fraction: 0.5", "neutral_fraction: 0.6663"))
    out = _score(_facts(NO_STATEMENT), config)
    assert out.select("credit_score", "credit_grade").row(0) == (89.99, "AA")


@pytest.mark.parametrize(
    ("removed", "score", "grade"),
    [
        ({"on_time_payment_rate_trailing": 0.5}, 85.0, "AA"),  # -15
        ({"on_time_payment_rate_trailing": 0.5, "average_days_past_due_trailing": 99.0}, 75.0, "A"),
        (
            {
                "on_time_payment_rate_trailing": 0.5,
                "average_days_past_due_trailing": 99.0,
                "overdue_amount": 50.0,
                "long_overdue_amount": 1.0,
            },
            63.0,
            "B",
        ),
        (
            {
                "on_time_payment_rate_trailing": 0.5,
                "average_days_past_due_trailing": 99.0,
                "max_days_past_due_recent": 99.0,
                "overdue_amount": 50.0,
                "long_overdue_amount": 1.0,
            },
            55.0,
            "C",
        ),
    ],
)
def test_grades_by_default_bands(removed: dict[str, object], score: float, grade: str) -> None:
    out = _score(_facts(removed), default_config().credit)
    assert out.select("credit_score", "credit_grade").row(0) == (score, grade)


# On-time 0.9 -> 9 (-6), average days past due 10 -> 6 (-4), long overdue -> 0 (-5).
WEAKER_PAYER = {
    "on_time_payment_rate_trailing": 0.9,
    "average_days_past_due_trailing": 10.0,
    "long_overdue_amount": 1.0,
}  # non-financial points: 70 - 6 - 4 - 5 = 55


@pytest.mark.parametrize(
    ("policy", "score", "grade", "financial_points"),
    [
        ("neutral", 70.0, "A", 5.0),  # 55 + 0.5 x 30
        ("zero", 55.0, "C", 0.0),  # 55 + 0
        ("rescale", 78.57, "A", None),  # 55 x 100 / 70 = 78.571...
    ],
)
def test_missing_financials_follow_policy_and_are_flagged(
    tmp_path: Path, policy: str, score: float, grade: str, financial_points: float | None
) -> None:
    config = _credit(tmp_path, ("policy: neutral", f"policy: {policy}"))
    out = _score(
        _facts({**WEAKER_PAYER, **NO_STATEMENT, "customer_id": "a"}, {"customer_id": "b"}),
        config,
    )
    missing = out.row(0, named=True)
    assert missing["credit_financials_missing"] is True
    assert (missing["credit_score"], missing["credit_grade"]) == (score, grade)
    assert missing["credit_points_character"] == 20.0
    assert missing["credit_points_payment_record"] == 35.0
    for category in ("solvency", "operations", "profitability"):
        assert missing[f"credit_points_{category}"] == financial_points
    # Financial indicators are covered by the flag, not listed as missing one by one.
    assert missing["credit_missing_indicators"] is None
    present = out.row(1, named=True)
    assert (present["credit_financials_missing"], present["credit_score"]) == (False, 100.0)


def test_neutral_policy_awards_the_fraction_of_each_financial_indicator() -> None:
    out = _score(_facts(NO_STATEMENT), default_config().credit)
    row = out.row(0, named=True)
    assert row["credit_ind_current_ratio"] == 2.0  # 0.5 x 4
    assert row["credit_ind_quick_ratio"] == 1.5  # 0.5 x 3
    assert row["credit_ind_return_on_assets"] == 2.5  # 0.5 x 5
    assert row["credit_score"] == 85.0


def test_stale_statement_counts_as_missing_when_age_limit_set(tmp_path: Path) -> None:
    config = _credit(tmp_path, ("max_statement_age_days: null", "max_statement_age_days: 365"))
    out = _score(
        _facts(
            {"customer_id": "old", "statement_age_days": 366},
            {"customer_id": "fresh", "statement_age_days": 365},
        ),
        config,
    )
    assert out.select("customer_id", "credit_financials_missing", "credit_score").rows() == [
        ("fresh", False, 100.0),
        ("old", True, 85.0),
    ]


def test_null_statement_flag_is_treated_as_missing_statement() -> None:
    out = _score(_facts({"has_financial_statement": None}), default_config().credit)
    assert out.select("credit_financials_missing", "credit_score").row(0) == (True, 85.0)


def test_no_balance_means_no_overdue_share_penalty() -> None:
    out = _score(
        _facts({"outstanding_balance": 0.0, "overdue_amount": 0.0}), default_config().credit
    )
    assert out["credit_ind_overdue_share"].to_list() == [7.0]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2024, 5, 10), Quarter(2024, 1)),
        (date(2024, 3, 31), Quarter(2024, 1)),
        (date(2024, 3, 30), Quarter(2023, 4)),
        (date(2024, 1, 1), Quarter(2023, 4)),
        (date(2024, 12, 31), Quarter(2024, 4)),
        (date(2024, 10, 1), Quarter(2024, 3)),
    ],
)
def test_quarter_for_returns_latest_full_quarter(as_of: date, expected: Quarter) -> None:
    assert quarter_for(as_of) == expected


def test_quarter_bounds_and_label() -> None:
    q = Quarter(2024, 1)
    assert (q.start, q.end, q.label) == (date(2024, 1, 1), date(2024, 3, 31), "2024Q1")
    assert Quarter(2023, 4).end == date(2023, 12, 31)


def test_score_credit_for_quarter_tags_the_quarter() -> None:
    out = score_credit_for_quarter(
        _facts({}), default_config().credit, quarter_for(date(2024, 5, 10))
    ).collect()
    assert out.select("credit_quarter", "credit_quarter_end_date").row(0) == (
        "2024Q1",
        date(2024, 3, 31),
    )


# --------------------------------------------------------------------------- the credit clock


def test_payment_record_is_the_quarters_falling_back_to_the_year_without_payments() -> None:
    # Seed 004: 每季度根據客戶上一季度的經營和財務狀況評定一次 — the quarter's record counts.
    out = _score(
        _facts(
            # The quarter: 80 % on time (6 points), the year: 100 % (15).
            {"customer_id": "quarter_worse", "on_time_payment_rate_recent": 0.8},
            # No payment in the quarter: the year's 100 % (15).
            {"customer_id": "no_payment_in_quarter", "on_time_payment_rate_recent": None},
            # The quarter: 31 days late on average (2 points), the year: 0 (10).
            {"customer_id": "late_in_quarter", "average_days_past_due_recent": 31.0},
            # Collected in 55 days in the quarter against 30-day terms: 25 over (2 points).
            {"customer_id": "slow_in_quarter", "average_collection_days_recent": 55.0},
        ),
        default_config().credit,
    )
    got = {r["customer_id"]: r for r in out.rows(named=True)}
    assert got["quarter_worse"]["credit_ind_on_time_payment_rate"] == 6.0
    assert got["no_payment_in_quarter"]["credit_ind_on_time_payment_rate"] == 15.0
    assert got["late_in_quarter"]["credit_ind_average_days_past_due"] == 2.0
    assert got["slow_in_quarter"]["credit_ind_collection_vs_terms"] == 2.0
    assert got["quarter_worse"]["credit_score"] == 100.0 - 9.0


def _statement(customer_id: str, period_end: date | None, current_ratio: float | None):
    return {
        "customer_id": customer_id,
        "has_financial_statement": period_end is not None,
        "statement_period_end_date": period_end,
        "statement_age_days": None,
        "current_ratio": current_ratio,
    }


def test_the_quarters_statement_is_used_once_it_has_landed() -> None:
    q3 = Quarter(2025, 3)
    # As of the quarter's end (2025-09-30) every customer's latest landed statement is Q2's.
    at_quarter_end = pl.LazyFrame(
        [
            _statement("landed_since", date(2025, 6, 30), 1.1),
            _statement("not_yet", date(2025, 6, 30), 1.1),
            _statement("newer_already", date(2025, 6, 30), 1.1),
            _statement("first_statement", None, None),
        ]
    )
    # On 2025-11-20: Q3's statement landed for two customers; one already sent October's.
    on_grading_date = pl.LazyFrame(
        [
            _statement("landed_since", date(2025, 9, 30), 2.2),
            _statement("not_yet", date(2025, 6, 30), 1.1),
            _statement("newer_already", date(2025, 10, 31), 3.3),
            _statement("first_statement", date(2025, 9, 30), 1.6),
        ]
    )
    out = with_statements_known_on(at_quarter_end, on_grading_date, q3).collect()
    got = {r["customer_id"]: r for r in out.rows(named=True)}
    assert got["landed_since"]["current_ratio"] == 2.2
    assert got["landed_since"]["statement_period_end_date"] == date(2025, 9, 30)
    assert got["landed_since"]["statement_age_days"] == 0
    assert got["not_yet"]["current_ratio"] == 1.1
    assert got["not_yet"]["statement_age_days"] == 92  # 2025-06-30 to 2025-09-30
    # October's statement is after the quarter: the quarter-end facts keep Q2's.
    assert got["newer_already"]["current_ratio"] == 1.1
    assert got["first_statement"]["has_financial_statement"] is True
    assert got["first_statement"]["current_ratio"] == 1.6


def test_a_grade_records_the_statement_period_it_saw() -> None:
    q3 = Quarter(2025, 3)
    facts = _facts(
        {"customer_id": "of_quarter", "statement_period_end_date": date(2025, 9, 30)},
        {"customer_id": "earlier", "statement_period_end_date": date(2025, 6, 30)},
        {"customer_id": "none", **NO_STATEMENT, "statement_period_end_date": None},
    )
    out = score_credit_for_quarter(facts, default_config().credit, q3).collect()
    got = {r["customer_id"]: r for r in out.rows(named=True)}
    assert got["of_quarter"]["credit_statement_period_end_date"] == date(2025, 9, 30)
    assert got["of_quarter"]["credit_statement_of_quarter"] is True
    assert got["earlier"]["credit_statement_of_quarter"] is False
    assert got["none"]["credit_statement_period_end_date"] is None
    assert got["none"]["credit_statement_of_quarter"] is False
