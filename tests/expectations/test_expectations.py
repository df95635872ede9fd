"""Quality-gate suites on small hand-made frames: a clean frame passes, each defect fails exactly
the check meant for it, with its severity, and the summary names it.

One GE context is shared by the whole file (it is cached per process); the file runs in ~10 s,
most of it GE's import.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from expectations import (
    SuiteOutcome,
    largest_remainder,
    validate_customer_facts,
    validate_raw_partition,
    validate_scores,
)
from expectations import facts as facts_spec
from expectations.schema import type_problem
from scoring.config import DEFAULT_CONFIG_PATH, GatesConfig, default_config, load_scoring_config
from scoring.labels import KEY_ACCOUNT_STATUS

BUSINESS_DATE = dt.date(2024, 6, 30)


def failing(outcome: SuiteOutcome) -> dict[str, str]:
    """Failed checks as {name: severity}."""
    return {o.name: o.severity for o in outcome.outcomes if not o.passed}


# --------------------------------------------------------------------------- raw partitions


def lineage(rows: int) -> dict[str, list]:
    return {
        "_business_date": [BUSINESS_DATE] * rows,
        "_source_file": ["transactions.csv"] * rows,
        "_source_line": list(range(2, rows + 2)),
        "_file_checksum": ["ab12"] * rows,
        "_loaded_at": [pd.Timestamp("2024-07-01 02:00")] * rows,
    }


@pytest.fixture
def transactions() -> pd.DataFrame:
    """Four order lines, typed as DuckDB → Arrow → pandas gives them (decimals as Decimal)."""
    d = Decimal
    return pd.DataFrame(
        {
            "order_id": ["O1", "O1", "O2", "O3"],
            "line_number": [1, 2, 1, 1],
            "customer_id": ["C1", "C1", "C2", "C1"],
            "ordered_at": pd.to_datetime(["2024-06-30 09:00"] * 3 + ["2024-06-30 10:00"]),
            "product_id": ["P1", "P2", "P1", "P1"],
            "product_category": ["pumps", "valves", "pumps", "pumps"],
            "quantity": [d("2"), d("1"), d("5"), d("-1")],
            "unit_price": [d("10.5"), d("3"), d("10.5"), d("10.5")],
            "line_amount": [d("21"), d("3"), d("52.5"), d("-10.5")],
            "line_cost": [d("15"), d("2"), d("37.5"), d("-7.5")],
            "discount_amount": [d("0"), None, d("0"), None],
            **lineage(4),
        }
    )


@pytest.fixture
def customers() -> pd.DataFrame:
    """Two customer-master rows; BIGINT with nulls arrives as float64, BOOLEAN as objects."""
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "customer_name": ["Acme", "Beta"],
            "industry": ["manufacturing", None],
            "province": ["浙江", "江苏"],
            "city": ["杭州", None],
            "channel_type": ["direct", "distributor"],
            "account_manager": ["Li", "Wang"],
            "first_cooperation_date": [dt.date(2019, 3, 1), None],
            "credit_limit": [Decimal("50000"), None],
            "payment_terms_days": [30.0, np.nan],
            "is_strategic": pd.Series([True, None], dtype=object),
            "qualitative_rating": [4.0, np.nan],
            "status": ["active", "inactive"],
            "key_person_name": ["张三", None],
            "key_person_role": ["采购", None],
            "key_person_phone": ["138", None],
            "key_person_email": ["a@b.cn", None],
            **lineage(2),
        }
    )


def test_clean_raw_partition_passes_every_check(transactions, customers):
    for source, frame in (("transactions", transactions), ("customers", customers)):
        outcome = validate_raw_partition(source, frame)
        assert failing(outcome) == {}
        assert outcome.blocking_failures == []
        assert outcome.summary() == f"raw_{source}: all {len(outcome.outcomes)} checks passed"


def test_missing_contract_column_fails_columns_present(transactions):
    outcome = validate_raw_partition("transactions", transactions.drop(columns="product_category"))
    assert failing(outcome) == {"columns_present": "error"}
    assert outcome.outcome("columns_present").details == "missing: product_category"
    assert "[ERROR] columns_present" in outcome.summary()
    assert outcome.summary().startswith(
        "raw_transactions: 1 error(s), 0 warning(s) in 29 checks — blocks publishing\n"
    )


def test_null_key_fails_not_null_of_that_key(transactions):
    transactions.loc[3, "order_id"] = None
    outcome = validate_raw_partition("transactions", transactions)
    assert failing(outcome) == {"order_id_not_null": "error"}
    assert outcome.outcome("order_id_not_null").details.startswith("1 of 4 rows (25.0 %)")


def test_duplicate_compound_key_fails_key_unique(transactions):
    transactions.loc[1, "line_number"] = 1  # O1 line 1 twice
    outcome = validate_raw_partition("transactions", transactions)
    assert failing(outcome) == {"key_unique": "error"}
    assert "2 of 4 rows (50.0 %)" in outcome.outcome("key_unique").details
    assert "[ERROR] key_unique: key (order_id, line_number) is unique" in outcome.summary()


def test_unknown_enum_value_fails_allowed_check(customers):
    customers.loc[1, "channel_type"] = "wholesale"
    outcome = validate_raw_partition("customers", customers)
    assert failing(outcome) == {"channel_type_allowed": "error"}
    assert "'wholesale' ×1" in outcome.outcome("channel_type_allowed").details


def test_rating_above_contract_max_fails_range_check(customers):
    customers.loc[0, "qualitative_rating"] = 7.0
    outcome = validate_raw_partition("customers", customers)
    assert failing(outcome) == {"qualitative_rating_in_range": "error"}
    assert "qualitative_rating is ≥ 1 and ≤ 5" in outcome.summary()


def test_zero_quantity_fails_nonzero_check(transactions):
    transactions.loc[2, "quantity"] = Decimal("0")
    assert failing(validate_raw_partition("transactions", transactions)) == {
        "quantity_nonzero": "error"
    }


def test_unknown_source_names_the_known_ones(transactions):
    with pytest.raises(ValueError, match="unknown source 'orders'.*transactions"):
        validate_raw_partition("orders", transactions)


# --------------------------------------------------------------------------- customer facts


def test_a_frame_of_two_dates_fails_the_one_date_check_of_each_suite(transactions):
    """Raw partitions, facts and scores each hold one date: a second one is a blocking error,
    reported with the number of distinct dates observed."""
    other = dt.date(2024, 7, 1)
    transactions.loc[3, "_business_date"] = other
    facts = clean_facts()
    facts.loc[2, "as_of_date"] = other
    scores = clean_scores()
    scores.loc[5, "as_of_date"] = other
    cases = (
        (validate_raw_partition("transactions", transactions), "single_business_date"),
        (validate_customer_facts(facts), "single_as_of_date"),
        (validate_scores(scores, None), "single_as_of_date"),
    )
    for outcome, check in cases:
        assert failing(outcome) == {check: "error"}
        assert outcome.outcome(check).details == "observed 2"


def clean_facts() -> pd.DataFrame:
    """Three customers with every documented fact column at a plausible value."""
    n = 3
    columns: dict[str, list] = {}
    for column, kind in facts_spec.COLUMN_TYPES.items():
        columns[column] = {
            "string": ["x"] * n,
            "date": [dt.date(2024, 1, 1)] * n,
            "boolean": [True, False, True],
            "integer": [0, 3, 12],
            "decimal": [Decimal("0"), Decimal("120.5"), Decimal("8")],
        }[kind]
    columns |= {share: [0.0, 0.5, 1.0] for share in facts_spec.SHARES}
    columns |= {
        "as_of_date": [BUSINESS_DATE] * n,
        "customer_id": ["C1", "C2", "C3"],
        "channel_type": ["direct", "retail_member", "distributor"],
        "status": ["active", "active", "closed"],
        "qualitative_rating": [5.0, np.nan, 1.0],
        "revenue_share_trailing": [0.5, 0.3, 0.2],
        "revenue_share_lifetime": [0.6, 0.4, 0.0],
        "on_time_payment_rate_trailing": [1.0, np.nan, 0.25],
        "praise_share_trailing": [0.0, 0.5, np.nan],
        "complaint_share_trailing": [1.0, 0.25, np.nan],
        "gross_margin_rate_trailing": [-0.2, 0.35, np.nan],
        "quick_ratio": [-0.1, 1.2, np.nan],
        "revenue_growth": [-0.5, 0.1, np.nan],
        "revenue_trailing": [Decimal("-10.5"), Decimal("100"), Decimal("0")],
    }
    return pd.DataFrame(columns)


def test_clean_facts_pass_every_check():
    outcome = validate_customer_facts(clean_facts())
    assert failing(outcome) == {}
    assert outcome.summary().startswith("customer_facts: all ")


def test_facts_missing_column_fails_columns_present():
    outcome = validate_customer_facts(clean_facts().drop(columns="dso_days"))
    assert failing(outcome) == {"columns_present": "error"}
    assert "missing: dso_days" in outcome.summary()


def test_facts_null_customer_id_fails_not_null():
    frame = clean_facts()
    frame.loc[1, "customer_id"] = None
    assert failing(validate_customer_facts(frame)) == {"customer_id_not_null": "error"}


def test_facts_duplicate_customer_fails_unique():
    frame = clean_facts()
    frame.loc[2, "customer_id"] = "C1"
    outcome = validate_customer_facts(frame)
    assert failing(outcome) == {"customer_id_unique": "error"}
    assert "'C1' ×2" in outcome.outcome("customer_id_unique").details


def test_facts_share_above_one_fails_its_range():
    frame = clean_facts()
    frame.loc[0, "complaint_share_trailing"] = 1.5
    outcome = validate_customer_facts(frame)
    assert failing(outcome) == {"complaint_share_trailing_in_range": "error"}
    assert "1 of 3 rows (33.3 %) break it; e.g. 1.5 ×1" in outcome.summary()


def test_facts_negative_count_infinite_ratio_and_unknown_status_each_fail_their_check():
    frame = clean_facts()
    frame.loc[0, "order_count_recent"] = -1
    frame.loc[1, "quick_ratio"] = np.inf
    frame.loc[2, "status"] = "dormant"
    outcome = validate_customer_facts(frame)
    assert failing(outcome) == {
        "order_count_recent_in_range": "error",
        "quick_ratio_in_range": "error",
        "status_allowed": "error",
    }
    assert outcome.outcome("quick_ratio_in_range").details.endswith("e.g. inf ×1")
    assert "3 error(s), 0 warning(s)" in outcome.summary()


def test_facts_shares_summing_above_one_fail_sum_check():
    frame = clean_facts()
    frame["revenue_share_trailing"] = [0.5, 0.4, 0.2]
    outcome = validate_customer_facts(frame)
    assert failing(outcome) == {"revenue_share_trailing_sum": "error"}
    assert outcome.outcome("revenue_share_trailing_sum").details == "observed 1.1"


def test_facts_text_in_a_name_column_fails_column_types():
    frame = clean_facts()
    frame["customer_name"] = [1, 2, 3]
    outcome = validate_customer_facts(frame)
    assert failing(outcome) == {"column_types": "error"}
    assert "customer_name: expected string, found integer (e.g. 1)" in outcome.summary()


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (pd.Series([1.0, np.nan, 3.0]), "integer"),  # BIGINT with nulls through Arrow
        (pd.Series([Decimal("3240")], dtype=object), "integer"),  # HUGEINT through Arrow
        (pd.Series([Decimal("1.5"), None], dtype=object), "decimal"),
        (pd.Series(pd.to_datetime(["2024-01-01", None])), "date"),  # DATE through Polars
        (pd.Series([dt.date(2024, 1, 1), None], dtype=object), "date"),
        (pd.Series([True, None], dtype=object), "boolean"),
        (pd.Series([None, None], dtype=object), "timestamp"),  # all null: nothing to judge
    ],
)
def test_accepts_the_dtypes_arrow_conversion_produces(values, kind):
    assert type_problem(values, kind) is None


def test_rejects_fractions_in_an_integer_column_and_times_in_a_date_column():
    assert type_problem(pd.Series([1.5, 2.0]), "integer") == (
        "expected integer, found fractional numbers (e.g. 1.5)"
    )
    stamps = pd.Series(pd.to_datetime(["2024-01-01 10:30"]))
    assert "time of day" in type_problem(stamps, "date")


# --------------------------------------------------------------------------- scores


def clean_scores(n: int = 20, flagged: int = 4) -> pd.DataFrame:
    """n customers (default 20: pyramid 0 / 1 / 3 / 16), ``flagged`` of them churn risks."""
    config = default_config()
    ladder_levels = (*config.tier.ladder.rules, config.tier.ladder.otherwise)
    pyramid_zh, abc_zh, grade_zh, risk_zh, ladder_zh = (
        {lv.label: lv.name_zh for lv in group}
        for group in (
            config.tier.pyramid.levels,
            config.tier.abc.classes,
            config.credit.grades,
            config.churn.risk_levels,
            ladder_levels,
        )
    )
    quota = largest_remainder(n, config.tier.pyramid.shares)
    pyramid = [
        lv.label for lv, k in zip(config.tier.pyramid.levels, quota, strict=True) for _ in range(k)
    ]
    abc = (["A"] * 5 + ["B"] * 5 + ["C"] * n)[:n]
    grades = (["AAA", "AA", "A", "B", "C"] * n)[:n]
    ladder = (["A1", "A2", "B1", "B2", "C", "D"] * n)[:n]
    risk = [i < flagged for i in range(n)]
    level = ["medium" if r else "none" for r in risk]
    status = ["key_account" if i % 3 == 0 else "candidate" if i < 4 else "other" for i in range(n)]
    status_zh = {lv.label: lv.name_zh for lv in KEY_ACCOUNT_STATUS}
    stages = (["stable", "growing", "newcomer", "declining"] * n)[:n]
    stage_zh = config.relationship.lifecycle.names_zh
    frame = pd.DataFrame(
        {
            "as_of_date": [BUSINESS_DATE] * n,
            "customer_id": [f"C{i:03d}" for i in range(n)],
            "pyramid_tier": pyramid,
            "pyramid_tier_zh": [pyramid_zh[t] for t in pyramid],
            "pyramid_rank": list(range(1, n + 1)),
            "abc_class": abc,
            "abc_class_zh": [abc_zh[t] for t in abc],
            "cumulative_revenue_share": np.linspace(0.3, 1.0, n),
            "ladder_tier": ladder,
            "ladder_tier_zh": [ladder_zh[t] for t in ladder],
            "revenue_rank": list(range(1, n + 1)),
            "is_key_account_candidate": [i < 4 for i in range(n)],
            "multi_criteria_score": [30.0 if i < 4 else np.nan for i in range(n)],
            "multi_criteria_mean": [30.0] * n,
            "key_account_score_threshold": [30.0 if i < 4 else np.nan for i in range(n)],
            "is_key_account": [i % 3 == 0 for i in range(n)],
            "key_account_reasons": ["score" if i % 3 == 0 else None for i in range(n)],
            "key_account_reasons_zh": [
                "综合评分不低于候选平均分" if i % 3 == 0 else None for i in range(n)
            ],
            "key_account_status": status,
            "key_account_status_zh": [status_zh[t] for t in status],
            "is_one_off_buyer": [i == n - 1 for i in range(n)],
            **{f"key_account_rating_{c}": [5.0] * n for c in config.tier.key_account.criteria},
            "has_service_gap": [i == 1 for i in range(n)],
            "service_gaps": ["no_recent_contact" if i == 1 else None for i in range(n)],
            "service_gaps_zh": ["重点客户长期未联系" if i == 1 else None for i in range(n)],
            "cost_to_serve_share_trailing": [1 / n] * n,
            "share_of_wallet": [0.2] * n,
            "share_of_wallet_missing": [False] * n,
            "contribution_after_handling_trailing": [50.0] * n,
            "is_unprofitable": [False] * n,
            "lifecycle_stage": stages,
            "lifecycle_stage_zh": [stage_zh[t] for t in stages],
            "is_top_customer": [i < 10 for i in range(n)],
            "churn_probability": [0.7 if r else 0.2 for r in risk],
            "probability_alive": [0.8] * n,
            "expected_purchases": [1.2] * n,
            "expected_revenue_next_period": [1000.0] * n,
            "churn_model": ["mbgnbd"] * n,
            "churn_model_status": ["fitted"] * n,
            "churn_model_note": [None] * n,
            "expected_purchase_value": [80.0] * n,
            "customer_lifetime_value": [250.0] * n,
            "churn_score": [3.0 if r else 0.0 for r in risk],
            "churn_risk_level": level,
            "churn_risk_level_zh": [risk_zh[t] for t in level],
            "is_churn_risk": risk,
            "churn_reasons": ["no_recent_order" if r else None for r in risk],
            "churn_reasons_zh": ["超出平时交易周期未下单" if r else None for r in risk],
            "value_at_risk": [100.0] * n,
            "churn_call_priority": [float(i + 1) if r else np.nan for i, r in enumerate(risk)],
            "config_version": ["abc123def456"] * n,
            "credit_score": [75.0] * n,
            "credit_grade": grades,
            "credit_grade_zh": [grade_zh[g] for g in grades],
            "credit_financials_missing": [False] * n,
            **{
                f"credit_points_{c}": [cat.points / 2] * n
                for c, cat in config.credit.categories.items()
            },
        }
    )
    return frame


def test_largest_remainder_gives_the_documented_counts():
    shares = (0.01, 0.04, 0.15, 0.80)
    assert largest_remainder(7, shares) == [0, 0, 1, 6]
    assert largest_remainder(50, shares) == [1, 2, 7, 40]
    assert largest_remainder(1000, shares) == [10, 40, 150, 800]
    assert largest_remainder(20, shares) == [0, 1, 3, 16]


def test_clean_scores_pass_every_check_against_a_previous_run():
    frame = clean_scores()
    outcome = validate_scores(frame, clean_scores())
    assert failing(outcome) == {}
    assert outcome.outcome("pyramid_proportions").details == (
        "20 customers: vip 0 / major 1 / regular 3 / small 16; expected 0 / 1 / 3 / 16"
    )
    assert outcome.outcome("churn_share_shift").details == "observed 0.2"


def test_scores_without_previous_run_mark_drift_checks_not_checked_and_write_no_file(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # GE's ephemeral context must leave the working directory alone
    outcome = validate_scores(clean_scores(), None)
    assert os.listdir(tmp_path) == []
    assert failing(outcome) == {}
    why = (
        "not checked: no earlier business date scored (a first run, or the oldest date of a "
        "backfill)"
    )
    assert outcome.outcome("customer_count_drop").details == why
    assert outcome.outcome("churn_share_shift").details == why


def test_pyramid_with_too_many_vips_fails_proportions():
    frame = clean_scores()
    frame.loc[[18, 19], "pyramid_tier"] = "vip"
    frame.loc[[18, 19], "pyramid_tier_zh"] = "VIP客户"
    outcome = validate_scores(frame, None)
    assert failing(outcome) == {"pyramid_proportions": "error"}
    assert outcome.outcome("pyramid_proportions").details.startswith(
        "off by more than 1: vip 2 (expected 0), small 14 (expected 16)"
    )
    assert "[ERROR] pyramid_proportions" in outcome.summary()


def test_pyramid_short_of_upper_levels_passes_when_few_customers_have_revenue():
    # 100 customers, only 3 with revenue: vip 1, major 2 (not 4), regular 0 (not 15), small 97.
    frame = clean_scores(n=100, flagged=20)
    frame["pyramid_tier"] = ["vip"] + ["major"] * 2 + ["small"] * 97
    frame["pyramid_tier_zh"] = frame["pyramid_tier"].map(
        {"vip": "VIP客户", "major": "主要客户", "small": "小客户"}
    )
    frame["cumulative_revenue_share"] = [0.5, 0.8, 1.0] + [np.nan] * 97
    outcome = validate_scores(frame, None)
    assert failing(outcome) == {}
    assert outcome.outcome("pyramid_proportions").details.endswith("expected 1 / 2 / 0 / 97")


def test_churn_share_jump_of_30_points_is_a_blocking_error():
    previous = clean_scores(flagged=4)  # 20 %
    outcome = validate_scores(clean_scores(flagged=10), previous)  # 50 %
    assert failing(outcome) == {"churn_share_shift": "error"}
    assert outcome.outcome("churn_share_shift").details == "observed 0.5"
    assert (
        "[ERROR] churn_share_shift: share of is_churn_risk customers within ±15 pp of the "
        "previous business date (20.0 %) — observed 0.5" in outcome.summary()
    )


def test_an_accepted_gate_warns_for_this_run_and_says_so():
    previous = clean_scores(flagged=4)  # 20 %
    outcome = validate_scores(clean_scores(flagged=10), previous).accepting(["churn_share_shift"])
    assert failing(outcome) == {"churn_share_shift": "warn"}
    assert outcome.passed
    assert outcome.outcome("churn_share_shift").details == ("accepted for this run — observed 0.5")
    with pytest.raises(KeyError, match="has no check 'churn_share_shfit'"):
        outcome.accepting(["churn_share_shfit"])


def test_drift_thresholds_come_from_the_gates_of_the_configuration(tmp_path):
    text = (
        DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
        .replace("  churn_share_error: 0.15 ", "  churn_share_error: 0.4 ")
        .replace("  churn_share_warn: 0.05 ", "  churn_share_warn: 0.35 ")
    )
    path = tmp_path / "scoring.yaml"
    path.write_text(text, encoding="utf-8")
    thresholds = load_scoring_config(path).gates
    outcome = validate_scores(
        clean_scores(flagged=10), clean_scores(flagged=4), thresholds=thresholds
    )
    assert failing(outcome) == {}  # 30 pp within ±35 pp


def test_churn_share_move_of_10_points_only_warns():
    outcome = validate_scores(clean_scores(flagged=6), clean_scores(flagged=4))  # 30 % vs 20 %
    assert failing(outcome) == {"churn_share_shift": "warn"}
    assert outcome.blocking_failures == []
    assert "passed with warnings" in outcome.summary()


def test_churn_share_thresholds_are_configurable():
    loose = GatesConfig(churn_share_error=0.40, churn_share_warn=0.35)
    outcome = validate_scores(clean_scores(flagged=10), clean_scores(flagged=4), thresholds=loose)
    assert failing(outcome) == {}


def test_customer_count_drop_over_20_percent_is_a_blocking_error():
    previous = clean_scores(n=30, flagged=6)  # 20 % flagged, like the current run
    outcome = validate_scores(clean_scores(n=20, flagged=4), previous)
    assert failing(outcome) == {"customer_count_drop": "error"}
    assert "(30 → at least 24)" in outcome.outcome("customer_count_drop").description
    assert outcome.outcome("customer_count_drop").details == "observed 20"


def test_customer_count_drop_of_exactly_20_percent_passes():
    previous = clean_scores(n=25, flagged=5)
    assert failing(validate_scores(clean_scores(n=20, flagged=4), previous)) == {}


def test_unknown_credit_grade_and_null_tier_fail_their_checks():
    frame = clean_scores()
    frame.loc[0, "credit_grade"] = "D"
    frame.loc[1, ["credit_grade", "credit_grade_zh"]] = None  # not graded yet: allowed
    frame.loc[5, "pyramid_tier"] = None
    frame.loc[5, "pyramid_tier_zh"] = None
    outcome = validate_scores(frame, None)
    # 15 small instead of 16 is within ±1, so the pyramid check itself still passes
    assert failing(outcome) == {"credit_grade_allowed": "error", "pyramid_tier_not_null": "error"}


def test_all_customers_in_one_grade_warns():
    frame = clean_scores()
    frame["credit_grade"], frame["credit_grade_zh"] = "C", "C级"
    outcome = validate_scores(frame, None)
    assert failing(outcome) == {"credit_grade_spread": "warn"}
    assert outcome.outcome("credit_grade_spread").details == "observed 1"


def test_missing_optional_score_column_is_listed_as_a_warning():
    frame = clean_scores().drop(columns=["value_at_risk", "credit_grade", "credit_grade_zh"])
    outcome = validate_scores(frame, clean_scores())
    assert failing(outcome) == {"expected_columns_present": "warn"}
    assert outcome.outcome("expected_columns_present").details == (
        "missing: credit_grade, credit_grade_zh, value_at_risk"
    )
    assert outcome.passed


def test_scores_without_customer_id_fail_required_columns():
    outcome = validate_scores(clean_scores().drop(columns="customer_id"), None)
    assert failing(outcome) == {
        "required_columns_present": "error",
        "expected_columns_present": "warn",
    }


def test_drift_thresholds_reject_warn_above_error():
    with pytest.raises(ValueError, match="churn_share_warn"):
        GatesConfig(churn_share_error=0.05, churn_share_warn=0.15)
