"""Tier schemes (SPEC §3): pyramid counts and ties, ABC boundary, ladder rules, key accounts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoring.config import (
    DEFAULT_CONFIG_PATH,
    CandidateScreen,
    KeyAccountConfig,
    ScoringConfigError,
    Steadiness,
    default_config,
    load_scoring_config,
)
from scoring.tier import abc, key_account, ladder, pyramid

CONFIG = default_config()


def _counts(out: pl.DataFrame, column: str) -> dict[str, int]:
    return dict(out.group_by(column).len().iter_rows())


# --------------------------------------------------------------------------- pyramid


def test_pyramid_gives_exactly_10_40_150_800_of_1000_customers_with_ties() -> None:
    # Revenue in blocks of 7 equal values, so ties straddle every level boundary.
    facts = pl.LazyFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(1000)],
            "revenue_trailing": [float(1000 - i // 7) for i in range(1000)],
            "revenue_lifetime": [5.0] * 1000,
        }
    )
    out = pyramid(facts, CONFIG.tier.pyramid).collect()
    assert _counts(out, "pyramid_tier") == {"vip": 10, "major": 40, "regular": 150, "small": 800}
    assert sorted(out["pyramid_rank"].to_list()) == list(range(1, 1001))
    # Ranks 8-14 tie on revenue 999; with equal lifetime revenue the lower id ranks first.
    by_rank = out.sort("pyramid_rank")
    assert by_rank["customer_id"][9] == "c0009"
    assert by_rank["pyramid_tier"][9] == "vip"
    assert by_rank.filter(pl.col("customer_id") == "c0010")["pyramid_tier"].item() == "major"


def test_pyramid_breaks_ties_by_lifetime_revenue_then_customer_id() -> None:
    facts = pl.LazyFrame(
        {
            "customer_id": ["d", "c", "b", "a"],
            "revenue_trailing": [100.0, 100.0, 100.0, 50.0],
            "revenue_lifetime": [900.0, 100.0, 100.0, 5000.0],
        }
    )
    out = pyramid(facts, CONFIG.tier.pyramid).collect()
    assert out.sort("pyramid_rank")["customer_id"].to_list() == ["d", "b", "c", "a"]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        # quotas 0.07 / 0.28 / 1.05 / 5.6: floors 0/0/1/5, the spare seat to the largest
        # remainder (small, 0.6).
        (7, {"vip": 0, "major": 0, "regular": 1, "small": 6}),
        # quotas 0.3 / 1.2 / 4.5 / 24: floors 0/1/4/24, spare seat to regular (0.5).
        (30, {"vip": 0, "major": 1, "regular": 5, "small": 24}),
        # quotas 0.5 / 2 / 7.5 / 40: equal remainders 0.5 -> the higher level (vip) wins.
        (50, {"vip": 1, "major": 2, "regular": 7, "small": 40}),
        (1, {"vip": 0, "major": 0, "regular": 0, "small": 1}),
    ],
)
def test_pyramid_counts_use_largest_remainder(n: int, expected: dict[str, int]) -> None:
    facts = pl.LazyFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "revenue_trailing": [float(n - i) for i in range(n)],
            "revenue_lifetime": [1.0] * n,
        }
    )
    out = pyramid(facts, CONFIG.tier.pyramid).collect()
    counts = {label: 0 for label in expected} | _counts(out, "pyramid_tier")
    assert counts == expected


def test_pyramid_puts_zero_negative_and_missing_revenue_in_last_level() -> None:
    # n = 50: one VIP seat, two major; only one customer has positive revenue.
    ids = [f"c{i:02d}" for i in range(50)]
    revenue = [250.0, 0.0, -10.0, None] + [-1.0] * 46
    facts = pl.LazyFrame(
        {"customer_id": ids, "revenue_trailing": revenue, "revenue_lifetime": [1.0] * 50}
    )
    out = pyramid(facts, CONFIG.tier.pyramid).collect()
    assert _counts(out, "pyramid_tier") == {"vip": 1, "small": 49}
    assert (
        out.filter(pl.col("customer_id").is_in(["c01", "c02", "c03"]))["pyramid_tier"].to_list()
        == ["small"] * 3
    )
    # Zero ranks before negative, missing last.
    ranks = dict(out.select("customer_id", "pyramid_rank").iter_rows())
    assert (ranks["c00"], ranks["c01"], ranks["c03"]) == (1, 2, 50)


def test_pyramid_output_columns_and_chinese_names() -> None:
    facts = pl.LazyFrame(
        {"customer_id": ["b", "a"], "revenue_trailing": [1.0, 2.0], "revenue_lifetime": [0.0, 0.0]}
    )
    expected = pl.DataFrame(
        {
            "customer_id": ["a", "b"],
            "pyramid_tier": ["small", "small"],
            "pyramid_tier_zh": ["小客户", "小客户"],
            "pyramid_rank": [1, 2],
        }
    )
    assert_frame_equal(pyramid(facts, CONFIG.tier.pyramid).collect(), expected)


def test_pyramid_ranks_each_business_date_separately() -> None:
    facts = pl.LazyFrame(
        {
            "as_of_date": [date(2024, 1, 1)] * 50 + [date(2024, 2, 1)] * 7,
            "customer_id": [f"c{i:02d}" for i in range(50)] + [f"c{i:02d}" for i in range(7)],
            "revenue_trailing": [float(100 - i) for i in range(50)] + [1.0] * 7,
            "revenue_lifetime": [1.0] * 57,
        }
    )
    out = pyramid(facts, CONFIG.tier.pyramid).collect()
    per_date = dict(out.group_by("as_of_date").agg((pl.col("pyramid_tier") == "vip").sum()).rows())
    assert per_date == {date(2024, 1, 1): 1, date(2024, 2, 1): 0}
    assert out.filter(pl.col("as_of_date") == date(2024, 2, 1))["pyramid_rank"].max() == 7


def test_pyramid_can_rank_by_gross_profit(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace(
        "metric: revenue_trailing          # or gross_profit_trailing",
        "metric: gross_profit_trailing",
    )
    path = tmp_path / "scoring.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_scoring_config(path).tier.pyramid
    facts = pl.LazyFrame(
        {
            "customer_id": ["big_revenue", "big_profit"],
            "revenue_trailing": [1000.0, 100.0],
            "gross_profit_trailing": [10.0, 60.0],
            "revenue_lifetime": [1.0, 1.0],
        }
    )
    out = pyramid(facts, config).collect().sort("pyramid_rank")
    assert out["customer_id"].to_list() == ["big_profit", "big_revenue"]


# --------------------------------------------------------------------------- ABC


def test_abc_customer_crossing_80_percent_is_a() -> None:
    facts = pl.LazyFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f", "g"],
            # total positive revenue 100: shares before each: 0, .70, .90, .96
            "revenue_trailing": [70.0, 20.0, 6.0, 4.0, 0.0, -5.0, None],
            "revenue_lifetime": [1.0] * 7,
        }
    )
    expected = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f", "g"],
            "abc_class": ["A", "A", "B", "C", "C", "C", "C"],
            "abc_class_zh": ["A类客户"] * 2 + ["B类客户"] + ["C类客户"] * 4,
            "cumulative_revenue_share": [0.7, 0.9, 0.96, 1.0, None, None, None],
        }
    )
    assert_frame_equal(abc(facts, CONFIG.tier.abc).collect(), expected)


def test_abc_customer_starting_exactly_at_80_percent_is_b() -> None:
    facts = pl.LazyFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            # shares before: 0, .5, .8 (exactly the bound -> not A), .95 (-> not B)
            "revenue_trailing": [50.0, 30.0, 15.0, 5.0],
            "revenue_lifetime": [1.0] * 4,
        }
    )
    out = abc(facts, CONFIG.tier.abc).collect()
    assert out["abc_class"].to_list() == ["A", "A", "B", "C"]
    assert out["cumulative_revenue_share"].to_list() == [0.5, 0.8, 0.95, 1.0]


def test_abc_accumulates_each_business_date_separately() -> None:
    jan, feb = date(2024, 1, 1), date(2024, 2, 1)
    facts = pl.LazyFrame(
        {
            "as_of_date": [jan, jan, feb, feb],
            "customer_id": ["a", "b", "a", "b"],
            "revenue_trailing": [10.0, 90.0, 50.0, 50.0],
            "revenue_lifetime": [1.0] * 4,
        }
    )
    out = abc(facts, CONFIG.tier.abc).collect()
    # January: b makes 90 % (A), a starts at 90 % (B). February: a starts at 0, b at 50 %.
    columns = ["as_of_date", "customer_id", "abc_class", "cumulative_revenue_share"]
    assert out.select(columns).rows() == [
        (jan, "a", "B", 1.0),
        (jan, "b", "A", 0.9),
        (feb, "a", "A", 0.5),
        (feb, "b", "A", 1.0),
    ]


# --------------------------------------------------------------------------- ladder

GOOD = {"on_time_payment_rate_trailing": 0.9, "days_past_due": 30}
NORMAL = {
    "revenue_prior_trailing": None,
    "tenure_days": 800,
    "margin": 0.25,
    "on_time_payment_rate_trailing": 0.5,
    "days_past_due": 0,
}


def _ladder_facts(rows: list[tuple[str, float | None, dict[str, object]]]) -> pl.LazyFrame:
    """``margin`` is the contribution margin: contribution_trailing = margin × revenue."""
    records = []
    for cid, rev, extra in rows:
        row = {"customer_id": cid, "revenue_trailing": rev, **NORMAL, **extra}
        margin = row.pop("margin")
        row["contribution_trailing"] = None if rev is None or margin is None else rev * margin
        records.append(row)
    return pl.LazyFrame(records)


def test_ladder_applies_the_seed_bands_in_configured_order() -> None:
    facts = _ladder_facts(
        [
            ("a1_exact", 500_000.0, GOOD),
            ("a2_just_below", 499_999.99, GOOD),
            ("a2_exact", 200_000.0, GOOD),
            # A2 has its own, looser record (回款信誉较好): on time ≥ 0.8 and ≤ 60 days past due.
            ("a2_late_payer", 600_000.0, {**GOOD, "days_past_due": 31}),
            ("a2_late_60", 600_000.0, {**GOOD, "days_past_due": 60}),
            ("late_61", 600_000.0, {**GOOD, "days_past_due": 61}),  # not fair -> B2
            ("a2_on_time_89", 600_000.0, {**GOOD, "on_time_payment_rate_trailing": 0.89}),
            ("a2_on_time_80", 600_000.0, {**GOOD, "on_time_payment_rate_trailing": 0.8}),
            ("on_time_79", 600_000.0, {**GOOD, "on_time_payment_rate_trailing": 0.79}),  # B2
            # C: large volume, contribution after cost to serve below 5 % of revenue.
            ("c_big_thin", 900_000.0, {**GOOD, "margin": 0.049}),
            ("a1_margin_5", 900_000.0, {**GOOD, "margin": 0.05}),
            ("c_exact", 200_000.0, {"margin": -0.1}),
            ("small_thin", 199_999.0, {"margin": 0.01}),  # not large -> B2
            ("no_cost_data", 900_000.0, {**GOOD, "margin": None}),  # unknown margin -> A1
            ("b1_growing", 60_000.0, {"revenue_prior_trailing": 50_000.0}),  # 60k > 55k
            ("b2_flat", 55_000.0, {"revenue_prior_trailing": 50_000.0}),  # 55k not > 55k
            ("b1_new", 50_000.0, {"tenure_days": 364}),
            ("b2_exact", 20_000.0, {}),
            ("d_small", 19_999.99, {}),
            ("d_missing", None, {}),
        ]
    )
    out = ladder(facts, CONFIG.tier.ladder).collect()
    got = dict(out.select("customer_id", "ladder_tier").iter_rows())
    assert got == {
        "a1_exact": "A1",
        "a2_just_below": "A2",
        "a2_exact": "A2",
        "a2_late_payer": "A2",
        "a2_late_60": "A2",
        "late_61": "B2",
        "a2_on_time_89": "A2",
        "a2_on_time_80": "A2",
        "on_time_79": "B2",
        "c_big_thin": "C",
        "a1_margin_5": "A1",
        "c_exact": "C",
        "small_thin": "B2",
        "no_cost_data": "A1",
        "b1_growing": "B1",
        "b2_flat": "B2",
        "b1_new": "B1",
        "b2_exact": "B2",
        "d_small": "D",
        "d_missing": "D",
    }
    zh = dict(out.select("ladder_tier", "ladder_tier_zh").unique().iter_rows())
    assert zh["A1"] == "A1类客户" and zh["C"] == "量大利薄客户" and zh["D"] == "D类客户"


def test_ladder_gaps_are_closed_upwards_by_default() -> None:
    # The seed's A2 is 20万–30万 and B1 5万–10万; shipped without upper bounds, the gaps
    # 30万–50万 and 10万–20万 belong to the band below them.
    facts = _ladder_facts(
        [
            ("a2_gap", 400_000.0, GOOD),
            ("b1_gap", 150_000.0, {"tenure_days": 100}),
            ("b2_gap", 150_000.0, {}),
        ]
    )
    out = ladder(facts, CONFIG.tier.ladder).collect()
    got = dict(out.select("customer_id", "ladder_tier").iter_rows())
    assert got == {"a2_gap": "A2", "b1_gap": "B1", "b2_gap": "B2"}


def test_ladder_literal_seed_bands_let_a_gap_fall_to_the_next_rule(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    text = (
        text.replace(
            "{label: A2, name_zh: A2类客户, min_value: 200000,",
            "{label: A2, name_zh: A2类客户, min_value: 200000, max_value: 300000,",
        )
        .replace(
            "{label: B1, name_zh: B1类客户, min_value: 50000,",
            "{label: B1, name_zh: B1类客户, min_value: 50000, max_value: 100000,",
        )
        .replace(
            "{label: B2, name_zh: B2类客户, min_value: 20000}",
            "{label: B2, name_zh: B2类客户, min_value: 20000, max_value: 50000}",
        )
    )
    path = tmp_path / "literal.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_scoring_config(path).tier.ladder
    facts = _ladder_facts(
        [
            ("a2_top", 299_999.0, GOOD),
            ("gap_a", 300_000.0, GOOD),  # 30万: no band -> D
            ("b1_top", 99_999.0, {"tenure_days": 100}),
            ("gap_b", 100_000.0, {"tenure_days": 100}),  # 10万: B1 ends, B2 ends at 5万 -> D
            ("b2_top", 49_999.0, {}),
            ("gap_c", 50_000.0, {}),  # 5万 without growth: B1 needs it, B2 ends -> D
        ]
    )
    got = dict(ladder(facts, config).collect().select("customer_id", "ladder_tier").iter_rows())
    assert got == {
        "a2_top": "A2",
        "gap_a": "D",
        "b1_top": "B1",
        "gap_b": "D",
        "b2_top": "B2",
        "gap_c": "D",
    }


def test_ladder_rejects_a_rule_an_earlier_rule_makes_unreachable(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    # B2 (≥ 2万, no condition) listed before A1 (≥ 50万 and good payment) covers it.
    b2 = "      - {label: B2, name_zh: B2类客户, min_value: 20000}\n"
    text = text.replace(b2, "")
    text = text.replace(
        "      - {label: C, name_zh: 量大利薄客户", b2 + "      - {label: C, name_zh: 量大利薄客户"
    )
    path = tmp_path / "dead.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScoringConfigError) as raised:
        load_scoring_config(path)
    message = str(raised.value)
    assert "tier.ladder.rules[1]" in message
    assert "rule 'C' can never apply: 'B2' is listed before it" in message


def test_ladder_condition_on_missing_value_is_not_met() -> None:
    facts = _ladder_facts(
        [("no_payments", 800_000.0, {"on_time_payment_rate_trailing": None, "tenure_days": None})]
    )
    assert ladder(facts, CONFIG.tier.ladder).collect()["ladder_tier"].to_list() == ["B2"]


RETAIL_LADDER = """  ladder:
    metric: revenue_lifetime          # cumulative spend of a retail member
    rules:
      - {label: A, name_zh: A级会员, min_value: 1500000}
      - {label: B, name_zh: B级会员, min_value: 1000000}
      - {label: C, name_zh: C级会员, min_value: 800000}
      - {label: D, name_zh: D级会员, min_value: 500000}
      - {label: E, name_zh: E级会员, min_value: 150000}
    otherwise: {label: member, name_zh: 普通会员}

"""


def test_retail_member_ladder_is_expressible_by_configuration(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    start = text.index("  ladder:")
    end = text.index("  # Key account")
    path = tmp_path / "retail.yaml"
    path.write_text(text[:start] + RETAIL_LADDER + text[end:], encoding="utf-8")
    config = load_scoring_config(path).tier.ladder
    spend = [1_500_000.0, 1_499_999.0, 1_000_000.0, 800_000.0, 500_000.0, 150_000.0, 149_999.0]
    facts = pl.LazyFrame({"customer_id": [f"m{i}" for i in range(7)], "revenue_lifetime": spend})
    expected = pl.DataFrame(
        {
            "customer_id": [f"m{i}" for i in range(7)],
            "ladder_tier": ["A", "B", "B", "C", "D", "E", "member"],
            "ladder_tier_zh": [
                "A级会员",
                "B级会员",
                "B级会员",
                "C级会员",
                "D级会员",
                "E级会员",
                "普通会员",
            ],
        }
    )
    assert_frame_equal(ladder(facts, config).collect(), expected)


# --------------------------------------------------------------------------- key account

SIMPLE_KEY_ACCOUNT = KeyAccountConfig.model_validate(
    {
        "candidates": {"top_n": 4},
        "criteria": {
            "volume": {
                "name_zh": "交易量",
                "metric": "revenue_trailing",
                "basis": "percentile",
                "bands": [{"at_least": 0.75, "points": 9}, {"at_least": 0.5, "points": 5}],
            },
            "relationship": {
                "name_zh": "客户关系",
                "metric": "qualitative_rating",
                "weight": 2,
                "bands": [{"at_least": 4, "points": 8}, {"at_least": 2, "points": 4}],
                "missing": 3,
            },
        },
    }
)
#: Bought in each of three observed years, no year above 40 % of it.
STEADY = {
    "active_trailing_windows": 3,
    "observed_trailing_windows": 3,
    "largest_trailing_window_share": 0.4,
}


def _ka_facts(columns: dict[str, list[object]], **steadiness: list[object]) -> pl.LazyFrame:
    n = len(columns["customer_id"])
    filled = {k: steadiness.get(k, [v] * n) for k, v in STEADY.items()}
    return pl.LazyFrame({"revenue_lifetime": [1.0] * n, **columns, **filled})


def test_key_account_rates_only_candidates_and_stars_those_at_least_the_pool_mean() -> None:
    facts = _ka_facts(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "revenue_trailing": [400.0, 300.0, 200.0, 100.0, 50.0],
            "qualitative_rating": [1, 4, None, 2, 5],
            "revenue_share_trailing": [0.05, 0.0499, 0.02, None, 0.06],
            "is_strategic": [False, False, None, True, False],
        }
    )
    # Candidates: the top 4 by revenue (a-d); e is not rated.
    # volume percentiles among candidates 1, .75, .5, .25 -> ratings 9, 9, 5, 1
    # relationship ratings 1 (otherwise), 8, 3 (missing), 4, weight 2
    # scores: a 9+2 = 11, b 9+16 = 25, c 5+6 = 11, d 1+8 = 9; pool mean 56 / 4 = 14
    # e is a key account by its 6 % revenue share alone, d by the strategic flag alone.
    expected = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "is_key_account_candidate": [True, True, True, True, False],
            "multi_criteria_score": [11.0, 25.0, 11.0, 9.0, None],
            "multi_criteria_mean": [14.0] * 5,
            "key_account_score_threshold": [14.0, 14.0, 14.0, 14.0, None],
            "is_key_account": [True, True, False, True, True],
            "key_account_reasons": ["revenue_share", "score", None, "strategic", "revenue_share"],
            "key_account_reasons_zh": [
                "交易额占比达标",
                "综合评分不低于候选平均分",
                None,
                "战略客户",
                "交易额占比达标",
            ],
            "key_account_status": [
                "key_account",
                "key_account",
                "candidate",
                "key_account",
                "key_account",
            ],
            "key_account_status_zh": ["大客户", "大客户", "候选大客户", "大客户", "大客户"],
            "is_one_off_buyer": [False] * 5,
            "key_account_rating_volume": [9.0, 9.0, 5.0, 1.0, None],
            "key_account_rating_relationship": [1.0, 8.0, 3.0, 4.0, None],
        }
    )
    assert_frame_equal(key_account(facts, SIMPLE_KEY_ACCOUNT).collect(), expected)


def test_key_account_lists_every_rule_that_fired_and_score_equal_to_mean_counts() -> None:
    facts = _ka_facts(
        {
            "customer_id": ["a", "b"],
            "revenue_trailing": [100.0, 100.0],
            "qualitative_rating": [4, 4],
            "revenue_share_trailing": [0.5, 0.5],
            "is_strategic": [True, False],
        }
    )
    out = key_account(facts, SIMPLE_KEY_ACCOUNT).collect()
    # Both at percentile 1.0 (rating 9) and rating 8: score 25 = mean 25.
    assert out["key_account_reasons"].to_list() == [
        "revenue_share;strategic;score",
        "revenue_share;score",
    ]
    assert out["key_account_reasons_zh"].to_list() == [
        "交易额占比达标;战略客户;综合评分不低于候选平均分",
        "交易额占比达标;综合评分不低于候选平均分",
    ]


def test_one_huge_order_this_year_is_not_a_key_account_unless_strategic() -> None:
    facts = _ka_facts(
        {
            "customer_id": ["one_off", "one_off_strategic", "small", "steady"],
            # steady buys 10 M in each of three years; one_off 20 M this year only.
            "revenue_trailing": [20e6, 1e6, 100.0, 10e6],
            "qualitative_rating": [4, 4, 4, 4],
            "revenue_share_trailing": [0.64, 0.03, 0.0, 0.32],
            "is_strategic": [False, True, False, False],
        },
        active_trailing_windows=[1, 1, 2, 3],
        observed_trailing_windows=[3, 3, 3, 3],
        largest_trailing_window_share=[1.0, 1.0, 0.5, 1 / 3],
    )
    out = key_account(facts, SIMPLE_KEY_ACCOUNT).collect()
    got = {r["customer_id"]: r for r in out.rows(named=True)}
    # Screen (top 4 by revenue) holds all four; the one-off buyers drop out of the pool, so the
    # pool is small and steady: volume percentiles .5 -> 5 and 1 -> 9, relationship 8 x 2:
    # scores 21 and 25, mean 23.
    assert got["one_off"]["is_one_off_buyer"] and got["one_off_strategic"]["is_one_off_buyer"]
    assert not got["one_off"]["is_key_account"]
    assert got["one_off"]["key_account_reasons"] is None
    assert got["one_off"]["key_account_status"] == "other"
    assert got["one_off_strategic"]["key_account_reasons"] == "strategic"
    assert (got["small"]["multi_criteria_score"], got["steady"]["multi_criteria_score"]) == (
        21.0,
        25.0,
    )
    assert got["steady"]["multi_criteria_mean"] == 23.0
    assert got["steady"]["key_account_reasons"] == "revenue_share;score"
    assert not got["small"]["is_key_account"] and got["small"]["key_account_status"] == "candidate"


def test_steadiness_needs_two_observed_windows_and_a_purchase() -> None:
    facts = _ka_facts(
        {
            "customer_id": ["young_history", "never_bought", "two_of_two", "one_of_two"],
            "revenue_trailing": [100.0, 0.0, 100.0, 100.0],
            "qualitative_rating": [4, 4, 4, 4],
            "revenue_share_trailing": [0.3, 0.0, 0.3, 0.3],
            "is_strategic": [False, False, False, False],
        },
        active_trailing_windows=[1, 0, 2, 1],
        observed_trailing_windows=[1, 3, 2, 2],
        largest_trailing_window_share=[1.0, None, 0.6, 1.0],
    )
    out = key_account(facts, SIMPLE_KEY_ACCOUNT).collect()
    assert dict(out.select("customer_id", "is_one_off_buyer").iter_rows()) == {
        "young_history": False,
        "never_bought": False,
        "two_of_two": False,
        "one_of_two": True,
    }


def test_max_window_share_makes_a_lopsided_buyer_one_off() -> None:
    config = SIMPLE_KEY_ACCOUNT.model_copy(
        update={"steadiness": Steadiness(min_active_windows=2, max_window_share=0.9)}
    )
    facts = _ka_facts(
        {
            "customer_id": ["at_90", "above_90"],
            "revenue_trailing": [900.0, 950.0],
            "qualitative_rating": [4, 4],
            "revenue_share_trailing": [0.4, 0.4],
            "is_strategic": [False, False],
        },
        active_trailing_windows=[2, 2],
        largest_trailing_window_share=[0.9, 0.95],
    )
    out = key_account(facts, config).collect()
    assert out["customer_id"].to_list() == ["above_90", "at_90"]
    assert out["is_one_off_buyer"].to_list() == [True, False]
    assert out["key_account_reasons"].to_list() == [None, "revenue_share;score"]


def test_candidates_by_default_are_the_pyramids_vip_and_major_customers() -> None:
    n = 100
    facts = _ka_facts(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "revenue_trailing": [float(n - i) for i in range(n)],
            "revenue_prior_trailing": [float(n - i) for i in range(n)],
            "contribution_trailing": [1.0] * n,
            "qualitative_rating": [3] * n,
            "channel_type": ["direct"] * n,
            "on_time_payment_rate_trailing": [0.9] * n,
            "revenue_share_trailing": [0.01] * n,
            "is_strategic": [False] * n,
        }
    )
    tiers = pyramid(facts, CONFIG.tier.pyramid)
    out = key_account(facts, CONFIG.tier.key_account, tiers).collect()
    # 1 % VIP + 4 % major of 100 customers: the five largest.
    assert out.filter("is_key_account_candidate")["customer_id"].to_list() == [
        "c000",
        "c001",
        "c002",
        "c003",
        "c004",
    ]
    assert out.filter(pl.col("multi_criteria_score").is_not_null()).height == 5
    with pytest.raises(ValueError, match="need the pyramid tiers"):
        key_account(facts, CONFIG.tier.key_account)


def test_key_account_default_criteria_rate_one_customer_by_hand() -> None:
    config = CONFIG.tier.key_account.model_copy(update={"candidates": CandidateScreen(top_n=2)})
    facts = _ka_facts(
        {
            "customer_id": ["x", "y"],
            "revenue_trailing": [1500.0, 100.0],
            "revenue_prior_trailing": [1000.0, None],
            "contribution_trailing": [300.0, -20.0],
            "qualitative_rating": [5, None],
            "channel_type": ["direct", "wholesale_club"],
            "on_time_payment_rate_trailing": [0.96, None],
            "revenue_share_trailing": [0.01, 0.01],
            "is_strategic": [False, False],
        }
    )
    out = key_account(facts, config).collect()
    x, y = out.rows(named=True)
    # x: volume pct 1 -> 9, profit pct 1 -> 9, rating 5 -> 9, direct -> 7, growth .5 -> 9,
    #    on-time .96 -> 8: 51.  y: pct .5 -> 5, 5, missing 5, unknown channel 3,
    #    growth missing 5, on-time missing 3: 26.  Mean 38.5.
    assert (x["multi_criteria_score"], y["multi_criteria_score"]) == (51.0, 26.0)
    assert x["multi_criteria_mean"] == 38.5
    assert (x["is_key_account"], y["is_key_account"]) == (True, False)


def test_candidate_pyramid_level_must_exist(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace(
        "pyramid_levels: [vip, major]", "pyramid_levels: [vip, mayor]"
    )
    path = tmp_path / "typo.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScoringConfigError, match="candidate pyramid level 'mayor' is not a level"):
        load_scoring_config(path)
