"""Tier schemes (SPEC §3): pyramid counts and ties, ABC boundary, ladder rules, key accounts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoring.config import (
    DEFAULT_CONFIG_PATH,
    KeyAccountConfig,
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
    assert out.filter(pl.col("customer_id").is_in(["c01", "c02", "c03"]))[
        "pyramid_tier"
    ].to_list() == ["small"] * 3
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
    "gross_margin_rate_trailing": 0.25,
    "on_time_payment_rate_trailing": 0.5,
    "days_past_due": 0,
}


def _ladder_facts(rows: list[tuple[str, float | None, dict[str, object]]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        [
            {"customer_id": cid, "revenue_trailing": rev, **NORMAL, **extra}
            for cid, rev, extra in rows
        ]
    )


def test_ladder_applies_rules_in_configured_order() -> None:
    facts = _ladder_facts(
        [
            ("a1_exact", 500_000.0, GOOD),
            ("a2_just_below", 499_999.99, GOOD),
            ("a2_exact", 200_000.0, GOOD),
            ("late_payer", 600_000.0, {**GOOD, "days_past_due": 31}),  # not good -> B2
            ("low_on_time", 600_000.0, {**GOOD, "on_time_payment_rate_trailing": 0.89}),
            ("c_big_low_margin", 900_000.0, {**GOOD, "gross_margin_rate_trailing": 0.05}),
            ("c_exact", 200_000.0, {"gross_margin_rate_trailing": 0.0999}),
            ("small_low_margin", 199_999.0, {"gross_margin_rate_trailing": 0.05}),  # -> B2
            ("b1_growing", 60_000.0, {"revenue_prior_trailing": 50_000.0}),  # 60k > 55k
            ("b2_flat", 55_000.0, {"revenue_prior_trailing": 50_000.0}),  # 55k not > 55k
            ("b1_new", 50_000.0, {"tenure_days": 364}),
            ("b2_exact", 20_000.0, {}),
            ("d_small", 19_999.99, {}),
            ("d_missing", None, {"gross_margin_rate_trailing": None}),
        ]
    )
    out = ladder(facts, CONFIG.tier.ladder).collect()
    got = dict(out.select("customer_id", "ladder_tier").iter_rows())
    assert got == {
        "a1_exact": "A1",
        "a2_just_below": "A2",
        "a2_exact": "A2",
        "late_payer": "B2",
        "low_on_time": "B2",
        "c_big_low_margin": "C",
        "c_exact": "C",
        "small_low_margin": "B2",
        "b1_growing": "B1",
        "b2_flat": "B2",
        "b1_new": "B1",
        "b2_exact": "B2",
        "d_small": "D",
        "d_missing": "D",
    }
    zh = dict(out.select("ladder_tier", "ladder_tier_zh").unique().iter_rows())
    assert zh["A1"] == "A1类客户" and zh["C"] == "量大利薄客户" and zh["D"] == "D类客户"


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
    facts = pl.LazyFrame(
        {"customer_id": [f"m{i}" for i in range(7)], "revenue_lifetime": spend}
    )
    expected = pl.DataFrame(
        {
            "customer_id": [f"m{i}" for i in range(7)],
            "ladder_tier": ["A", "B", "B", "C", "D", "E", "member"],
            "ladder_tier_zh": [
                "A级会员", "B级会员", "B级会员", "C级会员", "D级会员", "E级会员", "普通会员"
            ],
        }
    )
    assert_frame_equal(ladder(facts, config).collect(), expected)


# --------------------------------------------------------------------------- key account

SIMPLE_KEY_ACCOUNT = KeyAccountConfig.model_validate(
    {
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
        }
    }
)


def test_key_account_fires_on_share_strategic_or_score_at_least_mean() -> None:
    facts = pl.LazyFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "revenue_trailing": [400.0, 300.0, 200.0, 100.0],
            "qualitative_rating": [1, 4, None, 2],
            "revenue_share_trailing": [0.05, 0.0499, 0.02, None],
            "is_strategic": [False, False, None, True],
        }
    )
    # volume percentiles 1, .75, .5, .25 -> ratings 9, 9, 5, 1
    # relationship ratings 1 (otherwise), 8, 3 (missing), 4, weight 2
    # scores: a 9+2 = 11, b 9+16 = 25, c 5+6 = 11, d 1+8 = 9; mean 56 / 4 = 14
    expected = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "multi_criteria_score": [11.0, 25.0, 11.0, 9.0],
            "multi_criteria_mean": [14.0] * 4,
            "is_key_account": [True, True, False, True],
            "key_account_reasons": ["revenue_share", "score", None, "strategic"],
            "key_account_rating_volume": [9.0, 9.0, 5.0, 1.0],
            "key_account_rating_relationship": [1.0, 8.0, 3.0, 4.0],
        }
    )
    assert_frame_equal(key_account(facts, SIMPLE_KEY_ACCOUNT).collect(), expected)


def test_key_account_lists_every_rule_that_fired_and_score_equal_to_mean_counts() -> None:
    facts = pl.LazyFrame(
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


def test_key_account_default_criteria_rate_one_customer_by_hand() -> None:
    facts = pl.LazyFrame(
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
    out = key_account(facts, CONFIG.tier.key_account).collect()
    x, y = out.rows(named=True)
    # x: volume pct 1 -> 9, profit pct 1 -> 9, rating 5 -> 9, direct -> 7, growth .5 -> 9,
    #    on-time .96 -> 8: 51.  y: pct .5 -> 5, 5, missing 5, unknown channel 3,
    #    growth missing 5, on-time missing 3: 26.  Mean 38.5.
    assert (x["multi_criteria_score"], y["multi_criteria_score"]) == (51.0, 26.0)
    assert x["multi_criteria_mean"] == 38.5
    assert (x["is_key_account"], y["is_key_account"]) == (True, False)
