"""The one-call scoring pipeline, the quarterly credit wrapper and migration matrices."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoring.churn import OUTPUT_COLUMNS as CHURN_COLUMNS
from scoring.churn import score_churn
from scoring.columns import COLUMN_NAMES_ZH, expected_kinds
from scoring.config import default_config
from scoring.credit import Quarter, score_credit_for_quarter
from scoring.metrics import metric_expr
from scoring.migration import migration_matrix
from scoring.pipeline import ScoringInputError, score_credit_quarter, score_customers
from scoring.relationship import relationship
from scoring.tier import abc, key_account, ladder, pyramid, revenue_rank

CONFIG = default_config()
DAY_1, DAY_2 = date(2024, 6, 29), date(2024, 6, 30)
REVENUE = {"a": 500.0, "b": 300.0, "c": 100.0, "d": 60.0, "e": 40.0}


def _facts(as_of: date | None = DAY_2) -> pl.DataFrame:
    """Five customers: revenue 500 / 300 / 100 / 60 / 40, otherwise alike; b never ordered."""
    n = len(REVENUE)
    columns = {
        "customer_id": list(REVENUE),
        "revenue_trailing": list(REVENUE.values()),
        "revenue_lifetime": [v * 2 for v in REVENUE.values()],
        "revenue_prior_trailing": [400.0] * n,
        "revenue_share_trailing": [v / 1000 for v in REVENUE.values()],
        "gross_margin_rate_trailing": [0.3] * n,
        "contribution_trailing": [50.0, -20.0, 30.0, None, 10.0],
        "on_time_payment_rate_trailing": [0.95] * n,
        "days_past_due": [0] * n,
        "tenure_days": [182] * n,
        "is_strategic": [False, True, False, False, False],
        "qualitative_rating": [3] * n,
        "channel_type": ["direct"] * n,
        # only a bought on several days, so the model is not fitted (one repeat buyer)
        "order_days_lifetime": [3, 0, 1, 1, 1],
        "first_order_date": [
            date(2024, 1, 1),
            None,
            date(2024, 5, 1),
            date(2024, 1, 22),
            date(2024, 1, 1),
        ],
        "last_order_date": [
            date(2024, 6, 1),
            None,
            date(2024, 5, 1),
            date(2024, 1, 22),
            date(2024, 1, 1),
        ],
        "days_since_last_order": [29, None, 60, 160, 181],
        "mean_days_between_orders": [76.0, None, None, None, None],
        "revenue_recent": [100.0, 0.0, 10.0, 0.0, 0.0],
        "revenue_recent_last_year": [100.0, 0.0, 100.0, 0.0, 0.0],
        "open_complaint_count": [0, 0, 1, 0, 0],
        "order_count_trailing": [3, 0, 3, 2, 1],
        "distinct_categories_trailing": [2, 0, 1, 1, 1],
        "distinct_products_trailing": [2, 0, 1, 1, 1],
        "average_days_past_due_recent": [0.0] * n,
        "average_days_past_due_trailing": [0.0] * n,
        "interaction_count_recent": [3] * n,
        "interaction_count_prior_recent": [3] * n,
        "average_order_value_trailing": [50.0] * n,
        "average_order_value_lifetime": [50.0] * n,
        "active_trailing_windows": [2, 2, 1, 2, 2],
        "observed_trailing_windows": [2] * n,
        "largest_trailing_window_share": [0.6, 0.5, 1.0, 0.7, 0.8],
        "days_since_last_contact": [10, None, 40, 5, 5],
        "contact_employee_count_trailing": [2, 0, 1, 1, 1],
        "cost_to_serve_trailing": [100.0, 0.0, 50.0, 50.0, 50.0],
        "cost_of_goods_sold_annualised": [5000.0, None, None, None, 400.0],
    }
    facts = pl.DataFrame(columns)
    if as_of is not None:
        facts = facts.select(pl.lit(as_of).alias("as_of_date"), pl.all())
    return facts


def _two_days() -> pl.DataFrame:
    return pl.concat([_facts(DAY_2), _facts(DAY_1)])


def test_score_customers_gives_one_row_per_customer_and_date_with_every_column() -> None:
    out = score_customers(_two_days().lazy(), CONFIG)
    facts = _two_days().lazy()
    tiers = pyramid(facts, CONFIG.tier.pyramid)
    on = ["as_of_date", "customer_id"]
    key_accounts = key_account(facts, CONFIG.tier.key_account, tiers)
    tiered = (
        facts.join(tiers.select(*on, "pyramid_tier"), on=on)
        .join(revenue_rank(facts), on=on)
        .join(key_accounts.select(*on, "is_key_account"), on=on)
    )
    parts = [
        tiers,
        abc(facts, CONFIG.tier.abc),
        ladder(facts, CONFIG.tier.ladder),
        revenue_rank(facts),
        key_accounts,
        relationship(tiered, CONFIG.relationship),
        score_churn(facts, CONFIG.churn),
    ]
    own = [
        c
        for p in parts
        for c in p.collect_schema().names()
        if c not in {"as_of_date", "customer_id"}
    ]
    assert out.columns == ["as_of_date", "customer_id", *own, "config_version"]
    assert set(CHURN_COLUMNS) <= set(out.columns)
    assert out.height == 10
    assert out.select("as_of_date", "customer_id").is_unique().all()
    assert out["as_of_date"].to_list() == [DAY_1] * 5 + [DAY_2] * 5
    assert out["config_version"].unique().to_list() == [CONFIG.version]
    for part in parts:  # each scheme joined to the right customer
        expected = part.collect()
        assert_frame_equal(out.select(expected.columns), expected)


def test_score_customers_values_worked_out_by_hand() -> None:
    out = score_customers(_facts(), CONFIG)
    # Pyramid of 5: 0.05 / 0.2 / 0.75 / 4 → 0 / 0 / 1 / 4 (largest remainder to regular).
    assert out["pyramid_tier"].to_list() == ["regular", "small", "small", "small", "small"]
    # ABC: revenue share before each customer 0, .5, .8, .9, .96 → A, A, B, B, C.
    assert out["abc_class"].to_list() == ["A", "A", "B", "B", "C"]
    # Revenue ranks a 1, b 2, c 3, d 4, e 5. Nobody is VIP or major: no candidates. Shares
    # a .5, b .3, c .1, d .06, e .04; c bought in one of two observed years: a one-off buyer,
    # so its share does not count. b is also strategic.
    assert out["revenue_rank"].to_list() == [1, 2, 3, 4, 5]
    assert out["is_key_account_candidate"].to_list() == [False] * 5
    assert out["is_one_off_buyer"].to_list() == [False, False, True, False, False]
    assert out["key_account_reasons"].to_list() == [
        "revenue_share",
        "revenue_share;strategic",
        None,
        "revenue_share",
        None,
    ]
    assert out["key_account_status"].to_list() == [
        "key_account",
        "key_account",
        "other",
        "key_account",
        "other",
    ]
    # Key accounts a, b, d: b was never contacted and has no contact person, d has one.
    # e is small: cost share 50/250 = 0.2 against revenue share 0.04 is 5 ×, not above 10 ×.
    assert out["service_gaps"].to_list() == [
        None,
        "no_recent_contact;too_few_contacts",
        None,
        "too_few_contacts",
        None,
    ]
    assert out["share_of_wallet"].to_list() == [0.1, None, None, None, 0.1]
    assert out["is_unprofitable"].to_list() == [False, True, False, False, False]
    # tenure 182 days < 365: everyone who ordered is a newcomer; b never ordered.
    assert out["lifecycle_stage"].to_list() == ["newcomer", "prospect", *["newcomer"] * 3]
    assert out["is_top_customer"].to_list() == [True] * 5
    # Churn reasons: c: revenue 10 < 50 (drop) + open complaint + one category; c, d, e have
    # one order each: company median cycle = 76 (a's), so 60 > 152 no for c, d 160 > 152 and
    # e 181 > 152 fire; a buys two categories, c, d, e one (product dependence); b never ordered.
    assert out["churn_reasons"].to_list() == [
        "product_dependence",
        None,
        "revenue_drop;open_complaints;product_dependence",
        "no_recent_order;product_dependence",
        "no_recent_order;product_dependence",
    ]
    # One repeat buyer (a: x = 2) < min_repeat_buyers: the model-free estimate. T in weeks
    # a 181/7, c 60/7, d 160/7, e 181/7; pooled 1/λ̄ = ΣT / Σx = (582/7) / 2.
    prior, h = 582 / 7 / 2, 90 / 7

    def by_hand(x: float, t_x: float, T: float, h: float = h) -> float:
        rate = (x + 1) / (T + prior)
        return 1 - math.exp(-rate * (T - t_x)) * (1 - math.exp(-rate * h))

    # a's horizon: 6 of its own 76-day cycles = 456 days, longer than 90
    expected = [
        by_hand(2, 152 / 7, 181 / 7, 456 / 7),
        None,
        by_hand(0, 0, 60 / 7),
        by_hand(0, 0, 160 / 7),
        by_hand(0, 0, 181 / 7),
    ]
    got = out["churn_probability"].to_list()
    assert got[1] is None
    assert [got[i] for i in (0, 2, 3, 4)] == pytest.approx([expected[i] for i in (0, 2, 3, 4)])
    # levels: high ≥ 0.8, low ≥ 0.3 (a: 0.289, c: 0.809, d: 0.873, e: 0.882)
    assert out["churn_risk_level"].to_list() == ["none", "none", "high", "high", "high"]
    assert out["churn_model"].to_list() == ["model_free", None, *["model_free"] * 3]
    assert out["churn_model_status"].to_list() == [
        "fallback",
        "no_purchase_history",
        "fallback",
        "fallback",
        "fallback",
    ]
    # value at risk = lifetime value floored at 0; d has no contribution, so no value. 5 % of
    # 5 customers rounds down to nobody on the call list; the priority still orders them:
    # probability × value (c 0.81 × 137 > e 0.88 × 27.5), unknown value last; a is below the
    # call list's minimum probability 0.5.
    assert out["value_at_risk"].is_null().to_list() == [False, True, False, True, False]
    assert out["churn_call_priority"].to_list() == [None, None, 1, 3, 2]
    assert not out["is_churn_risk"].any()


def test_score_customers_accepts_a_data_frame_without_as_of_date() -> None:
    out = score_customers(_facts(as_of=None), CONFIG)
    assert out.columns[:2] == ["customer_id", "pyramid_tier"]
    assert out["customer_id"].to_list() == list(REVENUE)


def test_score_customers_rejects_duplicate_customer_rows() -> None:
    facts = pl.concat([_facts(), _facts().head(1)])
    with pytest.raises(ScoringInputError, match="as_of_date 2024-06-30, customer_id a"):
        score_customers(facts, CONFIG)


def test_score_credit_quarter_adds_the_config_version_to_the_quarter_scores() -> None:
    # Every facts column the indicators read, derived metrics resolved to their inputs.
    columns = {
        root
        for m in CONFIG.credit.indicators.values()
        for root in metric_expr(m.metric).meta.root_names()
    } - {"outstanding_balance", "overdue_amount", "payment_terms_days"}
    facts = pl.DataFrame({"customer_id": ["a", "b"]}).with_columns(
        *(pl.lit(None, dtype=pl.Float64).alias(c) for c in sorted(columns)),
        outstanding_balance=pl.lit(0.0),
        overdue_amount=pl.lit(0.0),
        payment_terms_days=pl.lit(30),
        has_financial_statement=pl.lit(False),
    )
    quarter = Quarter(2024, 1)
    out = score_credit_quarter(facts, CONFIG, quarter)
    expected = score_credit_for_quarter(facts.lazy(), CONFIG.credit, quarter).collect()
    assert_frame_equal(out.drop("config_version", "credit_graded_as_of_date"), expected)
    assert out["config_version"].to_list() == [CONFIG.version] * 2
    assert out["credit_quarter"].to_list() == ["2024Q1"] * 2
    # Graded from the quarter's own facts only: graded as of its last day.
    assert out["credit_graded_as_of_date"].to_list() == [date(2024, 3, 31)] * 2


# --------------------------------------------------------------------------- migration

LEVELS = ["vip", "major", "regular", "small"]


def test_migration_matrix_is_complete_with_new_and_gone_in_a_fixed_order() -> None:
    previous = pl.DataFrame(
        {"customer_id": ["a", "b", "c", "d"], "tier": ["vip", "major", "small", "small"]}
    )
    current = pl.DataFrame(
        {"customer_id": ["e", "c", "b", "a"], "tier": ["vip", "small", "major", "major"]}
    )
    out = migration_matrix(previous, current, "tier", levels=LEVELS)
    # a vip→major, b major→major, c small→small, d small→gone, e new→vip.
    moved = {
        ("vip", "major"): 1,
        ("major", "major"): 1,
        ("small", "small"): 1,
        ("small", "gone"): 1,
        ("new", "vip"): 1,
    }
    rows = [
        (f, t, moved.get((f, t), 0))
        for f in [*LEVELS, "new"]
        for t in [*LEVELS, "gone"]
        if (f, t) != ("new", "gone")
    ]
    expected = pl.DataFrame(
        rows,
        schema={"from_level": pl.String, "to_level": pl.String, "customers": pl.Int64},
        orient="row",
    )
    assert out.height == 24
    assert_frame_equal(out, expected)


def test_migration_matrix_of_empty_snapshots_is_all_zero() -> None:
    empty = pl.DataFrame(schema={"customer_id": pl.String, "tier": pl.String})
    out = migration_matrix(empty, empty, "tier", levels=["A", "B"])
    assert out.rows() == [
        ("A", "A", 0),
        ("A", "B", 0),
        ("A", "gone", 0),
        ("B", "A", 0),
        ("B", "B", 0),
        ("B", "gone", 0),
        ("new", "A", 0),
        ("new", "B", 0),
    ]


def test_migration_matrix_rejects_unknown_levels_and_duplicate_customers() -> None:
    good = pl.DataFrame({"customer_id": ["a"], "tier": ["vip"]})
    odd = pl.DataFrame({"customer_id": ["a"], "tier": ["platinum"]})
    with pytest.raises(ValueError, match="customer 'a' has tier = 'platinum'"):
        migration_matrix(good, odd, "tier", levels=LEVELS)
    twice = pl.DataFrame({"customer_id": ["a", "a"], "tier": ["vip", "major"]})
    with pytest.raises(ValueError, match="previous frame holds customer 'a' more than once"):
        migration_matrix(twice, good, "tier", levels=LEVELS)


def test_the_declared_score_columns_are_the_ones_scoring_writes_with_their_kinds() -> None:
    """scoring/columns.py declares every score column once; score_customers must write exactly
    the declared daily columns, each with a value of the declared kind."""
    out = score_customers(_two_days().lazy(), CONFIG)
    kinds = expected_kinds(CONFIG)
    credit = {c for c in kinds if c.startswith("credit_")}
    assert set(out.columns) == set(kinds) - credit
    kind_of = {
        pl.String: "string",
        pl.Float64: "decimal",
        pl.Boolean: "boolean",
        pl.Date: "date",
        **dict.fromkeys((pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt32, pl.UInt64), "integer"),
    }
    wrong = {
        c: (str(t), kinds[c]) for c, t in out.schema.items() if kind_of[t.base_type()] != kinds[c]
    }
    assert wrong == {}
    # Every daily score column but the keys and the run's config version has its Chinese name,
    # the relationship columns included (the published copy's column comments use them).
    unnamed = set(out.columns) - set(COLUMN_NAMES_ZH) - {"as_of_date", "customer_id"}
    assert unnamed == {"config_version"} | {
        c for c in out.columns if c.startswith("key_account_rating_")
    }
