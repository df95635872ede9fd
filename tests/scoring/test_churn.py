"""Churn scoring (SPEC §5): warning-sign boundaries, nulls, reasons, churn probability, risk
levels, the call list, lifetime value, the repeat-buying model's fallback chain and the quality
measures."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoring import bgnbd
from scoring._bgnbd_math import simulate
from scoring.bgnbd import BgNbdFit
from scoring.churn import (
    Choice,
    ChurnInputError,
    Scorer,
    precision_recall,
    roc_auc,
    score_churn,
)
from scoring.config import ChurnConfig, ProductDependenceSignal, default_config

CONFIG = default_config().churn
AS_OF = date(2024, 6, 30)

# A customer who fires no sign: 3 order days (first 2024-01-01, last 2024-06-01), ordering every
# 76 days and last ordered 29 days ago, revenue flat on last year, three products in three
# categories, no complaints, payments and contacts steady.
NEUTRAL: dict[str, Any] = {
    "as_of_date": AS_OF,
    "order_days_lifetime": 3,
    "first_order_date": date(2024, 1, 1),
    "last_order_date": date(2024, 6, 1),
    "days_since_last_order": 29,
    "mean_days_between_orders": 76.0,
    "revenue_recent": 100.0,
    "revenue_recent_last_year": 100.0,
    "revenue_trailing": 400.0,
    "revenue_lifetime": 600.0,
    "open_complaint_count": 0,
    "order_count_trailing": 3,
    "distinct_categories_trailing": 3,
    "distinct_products_trailing": 3,
    "average_days_past_due_recent": 10.0,
    "average_days_past_due_trailing": 10.0,
    "interaction_count_recent": 4,
    "interaction_count_prior_recent": 4,
    "average_order_value_trailing": 50.0,
    "average_order_value_lifetime": 40.0,
    "contribution_trailing": 1000.0,
}
SCHEMA = {
    "as_of_date": pl.Date,
    "customer_id": pl.String,
    "order_days_lifetime": pl.Int64,
    "first_order_date": pl.Date,
    "last_order_date": pl.Date,
    "days_since_last_order": pl.Int64,
    "open_complaint_count": pl.Int64,
    "order_count_trailing": pl.Int64,
    "distinct_categories_trailing": pl.Int64,
    "distinct_products_trailing": pl.Int64,
    "interaction_count_recent": pl.Int64,
    "interaction_count_prior_recent": pl.Int64,
}


def _facts(rows: dict[str, dict[str, Any]]) -> pl.LazyFrame:
    """One facts row per customer id: NEUTRAL with the given overrides."""
    records = [{**NEUTRAL, "customer_id": cid, **over} for cid, over in rows.items()]
    schema = {c: SCHEMA.get(c, pl.Float64) for c in records[0]}
    return pl.LazyFrame(records, schema=schema)


def _rules_only(config: ChurnConfig = CONFIG) -> ChurnConfig:
    """The config with the model sign switched off, to test the rule-based signs alone."""
    off = config.signals.model_inactive.model_copy(update={"enabled": False})
    signals = config.signals.model_copy(update={"model_inactive": off})
    return config.model_copy(update={"signals": signals})


def _reasons(rows: dict[str, dict[str, Any]], config: ChurnConfig | None = None) -> dict[str, Any]:
    out = score_churn(_facts(rows), config or _rules_only()).collect()
    return dict(zip(out["customer_id"], out["churn_reasons"], strict=True))


# --------------------------------------------------------------------------- warning signs


def test_no_recent_order_fires_past_twice_own_cycle_or_company_median_cycle() -> None:
    # Company median cycle of a, b, c, g = median(20, 30, 40, 30) = 30 days, used by d and e
    # (one order each). Fires when days since last order > 2 × cycle.
    reasons = _reasons(
        {
            "a": {"mean_days_between_orders": 20.0, "days_since_last_order": 40},  # 40 > 40 no
            "b": {"mean_days_between_orders": 30.0, "days_since_last_order": 61},  # 61 > 60
            "c": {"mean_days_between_orders": 40.0, "days_since_last_order": 80},  # 80 > 80 no
            "d": {"mean_days_between_orders": None, "days_since_last_order": 60},  # 60 > 60 no
            "e": {"mean_days_between_orders": None, "days_since_last_order": 61},  # 61 > 60
            "f": {"mean_days_between_orders": None, "days_since_last_order": None},  # no order
            "g": {"mean_days_between_orders": 30.0, "days_since_last_order": 59},  # 59 > 60 no
        }
    )
    assert reasons == {
        "a": None,
        "b": "no_recent_order",
        "c": None,
        "d": None,
        "e": "no_recent_order",
        "f": None,
        "g": None,
    }


def test_no_recent_order_does_not_fire_without_any_cycle_in_the_company() -> None:
    rows = {c: {"mean_days_between_orders": None, "days_since_last_order": 900} for c in "ab"}
    assert _reasons(rows) == {"a": None, "b": None}


def test_revenue_drop_fires_below_half_of_last_year_only_when_last_year_positive() -> None:
    reasons = _reasons(
        {
            "at": {"revenue_recent": 50.0},  # 50 < 0.5 × 100 = 50: no
            "past": {"revenue_recent": 49.99},
            "zero_last_year": {"revenue_recent": -10.0, "revenue_recent_last_year": 0.0},
            "negative_last_year": {"revenue_recent": -10.0, "revenue_recent_last_year": -5.0},
            "null_last_year": {"revenue_recent": 0.0, "revenue_recent_last_year": None},
            "null_recent": {"revenue_recent": None},
        }
    )
    assert reasons == {
        "at": None,
        "past": "revenue_drop",
        "zero_last_year": None,
        "negative_last_year": None,
        "null_last_year": None,
        "null_recent": None,
    }


def test_open_complaints_fire_from_one_open_complaint() -> None:
    reasons = _reasons(
        {
            "zero": {"open_complaint_count": 0},
            "one": {"open_complaint_count": 1},
            "null": {"open_complaint_count": None},
        }
    )
    assert reasons == {"zero": None, "one": "open_complaints", "null": None}


def _reasons_and_scores(
    rows: dict[str, dict[str, Any]], config: ChurnConfig | None = None
) -> dict[str, tuple[str | None, float]]:
    out = score_churn(_facts(rows), config or _rules_only()).collect()
    return {
        c: (r, score)
        for c, r, score in zip(
            out["customer_id"], out["churn_reasons"], out["churn_score"], strict=True
        )
    }


def test_product_dependence_fires_for_one_or_two_products_weighted_by_the_count() -> None:
    # Each customer keeps NEUTRAL's three categories: only the product count matters.
    got = _reasons_and_scores(
        {
            "three": {"distinct_products_trailing": 3},
            "two": {"distinct_products_trailing": 2},
            "one": {"distinct_products_trailing": 1},
            "none_bought": {"distinct_products_trailing": 0, "order_count_trailing": 0},
            "null": {"distinct_products_trailing": None},
            "null_orders": {"distinct_products_trailing": 1, "order_count_trailing": None},
            "one_category_three_products": {"distinct_categories_trailing": 1},
        }
    )
    # default weight_by_products {1: 2, 2: 1}
    assert got == {
        "three": (None, 0.0),
        "two": ("product_dependence", 1.0),
        "one": ("product_dependence", 2.0),
        "none_bought": (None, 0.0),
        "null": (None, 0.0),
        "null_orders": (None, 0.0),
        "one_category_three_products": (None, 0.0),
    }


def test_product_dependence_can_weigh_categories_instead() -> None:
    dependence = ProductDependenceSignal(
        name_zh="产品依赖度低(仅购买一个品类)", weight_by_categories={1: 4}
    )
    rules = _rules_only()
    config = rules.model_copy(
        update={"signals": rules.signals.model_copy(update={"product_dependence": dependence})}
    )
    got = _reasons_and_scores(
        {
            # one product in one category: 4 (the categories' weight, not the products' 2)
            "one_one": {"distinct_products_trailing": 1, "distinct_categories_trailing": 1},
            "three_one": {"distinct_categories_trailing": 1},  # three products, one category: 4
            "one_two": {"distinct_products_trailing": 1, "distinct_categories_trailing": 2},
        },
        config,
    )
    assert got == {
        "one_one": ("product_dependence", 4.0),
        "three_one": ("product_dependence", 4.0),
        "one_two": (None, 0.0),
    }
    # The products column is then not needed.
    facts = _facts({"a": {"distinct_categories_trailing": 1}}).drop("distinct_products_trailing")
    assert score_churn(facts, config).collect()["churn_score"].to_list() == [4.0]


def test_missing_product_counts_are_named_with_the_fix() -> None:
    facts = _facts({"a": {}}).drop("distinct_products_trailing")
    with pytest.raises(ChurnInputError, match="distinct_products_trailing") as info:
        score_churn(facts, _rules_only()).collect()
    assert "weight_by_categories" in str(info.value)


def test_payment_worsening_fires_when_recent_days_late_exceed_trailing_by_more_than_15() -> None:
    reasons = _reasons(
        {
            "at": {"average_days_past_due_recent": 25.0},  # 25 − 10 = 15: no
            "past": {"average_days_past_due_recent": 25.5},  # 15.5 > 15
            "null_recent": {"average_days_past_due_recent": None},
            "null_trailing": {"average_days_past_due_trailing": None},
        }
    )
    assert reasons == {
        "at": None,
        "past": "payment_worsening",
        "null_recent": None,
        "null_trailing": None,
    }


def test_contact_quiet_fires_below_half_of_prior_window_only_when_prior_positive() -> None:
    reasons = _reasons(
        {
            "at": {"interaction_count_recent": 2},  # 2 < 0.5 × 4 = 2: no
            "past": {"interaction_count_recent": 1},
            "prior_zero": {"interaction_count_recent": 0, "interaction_count_prior_recent": 0},
            "prior_null": {"interaction_count_recent": 0, "interaction_count_prior_recent": None},
            "recent_null": {"interaction_count_recent": None},
        }
    )
    assert reasons == {
        "at": None,
        "past": "contact_quiet",
        "prior_zero": None,
        "prior_null": None,
        "recent_null": None,
    }


def test_all_null_inputs_fire_no_sign_and_score_zero() -> None:
    nulls = {c: None for c in NEUTRAL if c not in {"as_of_date"}}
    out = score_churn(_facts({"blank": nulls, "x": {}}), CONFIG).collect()
    row = out.filter(pl.col("customer_id") == "blank").row(0, named=True)
    assert row["churn_reasons"] is None
    assert row["churn_score"] == 0.0
    assert row["churn_probability"] is None
    assert row["churn_risk_level"] == "none"
    assert row["is_churn_risk"] is False
    assert row["churn_call_priority"] is None
    assert row["probability_alive"] is None
    assert row["churn_model"] is None
    assert row["churn_model_status"] == "no_purchase_history"
    assert row["value_at_risk"] is None


def test_disabled_sign_never_fires() -> None:
    signals = CONFIG.signals.model_copy(
        update={
            "open_complaints": CONFIG.signals.open_complaints.model_copy(update={"enabled": False})
        }
    )
    config = _rules_only(CONFIG.model_copy(update={"signals": signals}))
    assert _reasons({"a": {"open_complaint_count": 5}}, config) == {"a": None}


# --------------------------------------------------------------------------- reasons


def test_reasons_follow_the_fixed_order_with_chinese_names_and_weights_summed() -> None:
    every = {
        "mean_days_between_orders": 10.0,
        "days_since_last_order": 29,
        "revenue_recent": 10.0,
        "open_complaint_count": 2,
        "distinct_products_trailing": 1,
        "average_days_past_due_recent": 40.0,
        "interaction_count_recent": 0,
    }
    out = score_churn(
        _facts({"all": every, "two": {"interaction_count_recent": 1, "revenue_recent": 1.0}}),
        _rules_only(),
    ).collect()
    assert out["churn_reasons"].to_list() == [
        "no_recent_order;revenue_drop;open_complaints;product_dependence;payment_worsening;"
        "contact_quiet",
        "revenue_drop;contact_quiet",
    ]
    assert out["churn_reasons_zh"].to_list() == [
        "超出平时交易周期未下单;同比交易额大幅下降;有未解决投诉;产品依赖度低(仅购买一两种产品);"
        "回款恶化;联络减少",
        "同比交易额大幅下降;联络减少",
    ]
    # product_dependence weighs 2 for one product
    assert out["churn_score"].to_list() == [3 + 3 + 2 + 2 + 2 + 1, 3 + 1]


# --------------------------------------------------------------------------- probability, levels,
# call list and lifetime value, with a scorer whose predictions are set by hand


def _fixed_scorer(
    monkeypatch: pytest.MonkeyPatch, no_purchase: list[float], rate_per_week: list[float]
) -> None:
    """Score the eligible rows (in facts order) with the given P(no purchase) and a constant
    expected purchase rate: E[purchases in t weeks] = rate × t, P(alive) = 0.9."""
    zero = np.array(no_purchase)
    rate = np.array(rate_per_week)
    scorer = Scorer(
        model="mbgnbd",
        probability_alive=lambda x, t_x, T: np.full(len(x), 0.9),
        expected_purchases=lambda t, x, t_x, T: rate * t,
        probability_no_purchase=lambda t, x, t_x, T: zero,
    )
    monkeypatch.setattr(
        "scoring.churn.probability.choose_scorer",
        lambda *args, **kwargs: Choice(scorer, "fitted", "fixed by the test"),
    )


def test_risk_level_comes_from_the_probability_at_its_boundaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probabilities = [0.8, 0.7999, 0.5, 0.4999, 0.3, 0.2999, 0.0]
    rows = {f"c{i}": {} for i in range(len(probabilities))}
    _fixed_scorer(monkeypatch, probabilities, [0.1] * len(probabilities))
    out = score_churn(_facts(rows), CONFIG).collect()
    assert out["churn_probability"].to_list() == probabilities
    assert out["churn_risk_level"].to_list() == [
        "high",
        "medium",
        "medium",
        "low",
        "low",
        "none",
        "none",
    ]
    assert out["churn_risk_level_zh"].to_list() == [
        "高风险",
        "中风险",
        "中风险",
        "低风险",
        "低风险",
        "无风险",
        "无风险",
    ]


def _with_calls(
    top_share: float | None, top_n: int | None, basis: str = "contribution"
) -> ChurnConfig:
    calls = CONFIG.call_list.model_copy(update={"top_share": top_share, "top_n": top_n})
    lifetime = CONFIG.lifetime_value.model_copy(update={"value_basis": basis})
    return CONFIG.model_copy(update={"call_list": calls, "lifetime_value": lifetime})


def test_call_list_ranks_by_probability_times_value_and_is_sized_by_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Same purchase rate and margin for all, so value at risk ∝ contribution: 100 × k.
    # probability × contribution: a .9×100=90, b .6×400=240, c .8×300=240, d .4×900 (below
    # min_probability 0.5), e .95×100=95, f .7 with unknown value (last among candidates).
    probabilities = [0.9, 0.6, 0.8, 0.4, 0.95, 0.7]
    contribution = [100.0, 400.0, 300.0, 900.0, 100.0, None]
    rows = {
        cid: {"contribution_trailing": value}
        for cid, value in zip("abcdef", contribution, strict=True)
    }
    _fixed_scorer(monkeypatch, probabilities, [0.2] * 6)
    out = score_churn(_facts(rows), _with_calls(None, 3)).collect()
    # ties on probability × value (b, c: 240) go to the higher probability (c)
    assert dict(zip(out["customer_id"], out["churn_call_priority"], strict=True)) == {
        "a": 4,
        "b": 2,
        "c": 1,
        "d": None,
        "e": 3,
        "f": 5,
    }
    assert out.filter("is_churn_risk")["customer_id"].to_list() == ["b", "c", "e"]
    # 50 % of 6 customers = 3; 40 % = 2.4 → 2; top_n and top_share together: the smaller
    by_share = score_churn(_facts(rows), _with_calls(0.4, None)).collect()
    assert by_share.filter("is_churn_risk")["customer_id"].to_list() == ["b", "c"]
    both = score_churn(_facts(rows), _with_calls(0.5, 1)).collect()
    assert both.filter("is_churn_risk")["customer_id"].to_list() == ["c"]


def test_lifetime_value_is_discounted_purchases_times_value_per_purchase_times_margin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rate 0.7 purchases a week → 3 per 30 days. Horizon 60 days in two 30-day steps, 10 % a
    # year: 3 × (1.1^(−15/365) + 1.1^(−45/365)). Fewer than 10 customers: no Gamma-Gamma, the
    # value of a purchase is the customer's own revenue_lifetime / order days = 600 / 3 = 200.
    # Margin = contribution / revenue (trailing) = 100 / 400.
    lifetime = CONFIG.lifetime_value.model_copy(
        update={"horizon_days": 60, "annual_discount_rate": 0.10}
    )
    config = CONFIG.model_copy(update={"lifetime_value": lifetime})
    rows = {
        "gain": {"contribution_trailing": 100.0},
        "loss": {"contribution_trailing": -40.0},
        "unknown": {"contribution_trailing": None},
        "no_revenue": {"revenue_trailing": 0.0},
    }
    _fixed_scorer(monkeypatch, [0.6] * 4, [0.7] * 4)
    out = score_churn(_facts(rows), config).collect().sort("customer_id")
    purchases = 3 * (1.1 ** (-15 / 365) + 1.1 ** (-45 / 365))
    assert out["expected_purchase_value"].to_list() == [200.0] * 4
    got = dict(zip(out["customer_id"], out["customer_lifetime_value"], strict=True))
    assert got["gain"] == pytest.approx(purchases * 200 * 0.25, rel=1e-12)
    assert got["loss"] == pytest.approx(purchases * 200 * -0.1, rel=1e-12)
    assert got["unknown"] is None and got["no_revenue"] is None
    at_risk = dict(zip(out["customer_id"], out["value_at_risk"], strict=True))
    assert at_risk["loss"] == 0.0 and at_risk["gain"] == got["gain"]
    # by revenue instead of contribution: margin 1
    revenue = config.model_copy(
        update={"lifetime_value": lifetime.model_copy(update={"value_basis": "revenue"})}
    )
    out = score_churn(_facts(rows), revenue).collect()
    assert out["customer_lifetime_value"].to_list() == pytest.approx([purchases * 200] * 4)


def test_expected_revenue_is_expected_purchases_times_average_order_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fixed_scorer(monkeypatch, [0.5, 0.5], [0.7, 0.7])
    rows = {"a": {}, "b": {"average_order_value_trailing": None}}
    out = score_churn(_facts(rows), CONFIG).collect()
    expected = 0.7 * 90 / 7
    assert out["expected_purchases"].to_list() == pytest.approx([expected, expected], rel=1e-12)
    assert out["expected_revenue_next_period"].to_list() == pytest.approx(
        [expected * 50.0, expected * 40.0], rel=1e-12
    )


# --------------------------------------------------------------------------- the model


def _fixed_fit(
    monkeypatch: pytest.MonkeyPatch, params: dict[str, tuple[float, ...]], converged: bool = True
) -> list[tuple[str, np.ndarray]]:
    """Make the fits return ``params[model]``; returns the (model, frequency) each was given."""
    calls: list[tuple[str, np.ndarray]] = []

    def fake(model: str, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbdFit:
        calls.append((model, x))
        r, alpha, a, b = params[model]
        return BgNbdFit(model, r, alpha, a, b, -1.0, len(x), converged, 1)

    monkeypatch.setattr("scoring.churn.fallback.fit_model", fake)
    return calls


def _min_repeat(n: int, config: ChurnConfig = CONFIG) -> ChurnConfig:
    return config.model_copy(update={"min_repeat_buyers": n})


def test_model_inactive_fires_below_half_probability_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    # MBG/NBD with r = α = a = b = 1 and no repeat purchase (x = 0, t_x = 0):
    # P(alive) = 1 / (1 + a/b × ((α + T)/α)^r) = 1 / (2 + T), T in weeks.
    calls = _fixed_fit(monkeypatch, {"mbgnbd": (1.0, 1.0, 1.0, 1.0)})
    one_order = {"order_days_lifetime": 1, "mean_days_between_orders": None}
    rows = {
        "today": {**one_order, "first_order_date": AS_OF, "last_order_date": AS_OF},  # T = 0: 0.5
        "yesterday": {
            **one_order,
            "first_order_date": AS_OF - timedelta(days=1),
            "last_order_date": AS_OF - timedelta(days=1),
        },  # T = 1/7: 7/15
        "r1": {},
        "r2": {},  # repeat buyers, so the model is fitted
    }
    out = score_churn(_facts(rows), _min_repeat(2)).collect()
    assert calls[0][0] == "mbgnbd"
    assert calls[0][1].tolist() == [0.0, 0.0, 2.0, 2.0]
    got = dict(zip(out["customer_id"], out["probability_alive"], strict=True))
    assert got["today"] == 0.5
    assert got["yesterday"] == pytest.approx(7 / 15, abs=1e-12)
    # P(no purchase in 90/7 weeks) = 1 − P(alive) + P(alive) × (1 + T)/(1 + T + 90/7)
    zero = dict(zip(out["customer_id"], out["churn_probability"], strict=True))
    assert zero["today"] == pytest.approx(0.5 + 0.5 * 1 / (1 + 90 / 7), abs=1e-12)
    assert zero["yesterday"] == pytest.approx(
        8 / 15 + 7 / 15 * (8 / 7) / (8 / 7 + 90 / 7), abs=1e-12
    )
    reasons = dict(zip(out["customer_id"], out["churn_reasons"], strict=True))
    assert reasons["today"] is None
    assert reasons["yesterday"] == "model_inactive"
    assert out["churn_model_status"].unique().to_list() == ["fitted"]
    assert out["churn_model"].unique().to_list() == ["mbgnbd"]


def _simulated_facts(
    seed: int, n: int, as_of: date
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """n customers drawn from MBG/NBD in days; returns facts and (x, t_x, T) in weeks."""
    rng = np.random.default_rng(seed)
    age_days = rng.integers(30, 700, n).astype(np.float64)
    x, t_x = simulate((0.5, 6.0 * 7, 0.9, 1.6), age_days, "mbgnbd", rng)
    recency_days = np.where(x > 0, np.clip(np.round(t_x), 1, age_days), 0)
    first = [as_of - timedelta(days=int(d)) for d in age_days]
    facts = pl.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "order_days_lifetime": (x + 1).astype(np.int64),
            "first_order_date": first,
            "last_order_date": [
                f + timedelta(days=int(r)) for f, r in zip(first, recency_days, strict=True)
            ],
        }
    ).with_columns(
        pl.lit(as_of).alias("as_of_date"),
        **{
            k: pl.lit(v)
            for k, v in NEUTRAL.items()
            if k not in {"as_of_date", "order_days_lifetime", "first_order_date", "last_order_date"}
        },
    )
    return facts, x, recency_days / 7, age_days / 7


def test_model_matches_an_independent_fit_on_order_days_and_dates() -> None:
    facts, x, t_x, age = _simulated_facts(1, 300, AS_OF)
    out = score_churn(facts.lazy(), CONFIG).collect()
    fit = bgnbd.fit_mbgnbd(x, t_x, age)
    assert fit.converged
    assert out["churn_model"].unique().to_list() == ["mbgnbd"]
    assert out["churn_model_status"].unique().to_list() == ["fitted"]
    alive = bgnbd.probability_alive(fit, x, t_x, age)
    np.testing.assert_allclose(out["probability_alive"].to_numpy(), alive, rtol=1e-9)
    np.testing.assert_allclose(
        out["expected_purchases"].to_numpy(),
        bgnbd.expected_purchases(fit, 90 / 7, x, t_x, age),
        rtol=1e-9,
    )
    # horizon: 90 days, or 6 of the customer's own cycles (t_x / x, from 2 repeat purchases)
    horizon = np.maximum(90 / 7, 6 * np.where(x >= 2, t_x / np.maximum(x, 1), 0))
    assert (horizon > 90 / 7).any() and (horizon == 90 / 7).any()
    zero_if_alive = ((fit.alpha + age) / (fit.alpha + age + horizon)) ** (fit.r + x)
    np.testing.assert_allclose(
        out["churn_probability"].to_numpy(), 1 - alive + alive * zero_if_alive, rtol=1e-9
    )
    # the call list is 5 % of 300 = 15 customers at most, all with P ≥ 0.5
    flagged = out.filter("is_churn_risk")
    assert 0 < flagged.height <= 15
    assert (flagged["churn_probability"] >= 0.5).all()


def test_model_is_fitted_per_business_date() -> None:
    first, *_ = _simulated_facts(1, 200, AS_OF)
    second, *_ = _simulated_facts(2, 150, date(2024, 7, 31))
    both = score_churn(pl.concat([second, first]).lazy(), CONFIG).collect()
    alone = pl.concat([score_churn(f.lazy(), CONFIG).collect() for f in (first, second)])
    assert_frame_equal(both, alone)


def test_bgnbd_choice_gives_one_time_buyers_probability_alive_one() -> None:
    facts, x, *_ = _simulated_facts(3, 200, AS_OF)
    config = CONFIG.model_copy(update={"model": "bgnbd"})
    out = score_churn(facts.lazy(), config).collect()
    assert out["churn_model"].unique().to_list() == ["bgnbd"]
    assert (out.filter(pl.Series(x == 0))["probability_alive"] == 1.0).all()


# --------------------------------------------------------------------------- the fallback chain


def test_too_few_repeat_buyers_fall_back_to_the_model_free_estimate() -> None:
    # 3 eligible customers, one repeat buyer (x = 2, t_x = 152/7, T = 181/7 weeks), two
    # one-time buyers (T = 182/7 and 100/7). Pooled rate λ̄ = Σx / ΣT = 2 / (463/7) per week.
    rows = {
        "repeat": {"revenue_recent": 0.0},
        "once": {
            "order_days_lifetime": 1,
            "first_order_date": date(2023, 12, 31),
            "last_order_date": date(2023, 12, 31),
            "mean_days_between_orders": None,
        },
        "young": {
            "order_days_lifetime": 1,
            "first_order_date": date(2024, 3, 22),
            "last_order_date": date(2024, 3, 22),
            "mean_days_between_orders": None,
        },
        "never": {"order_days_lifetime": 0, "first_order_date": None, "last_order_date": None},
    }
    out = score_churn(_facts(rows), CONFIG).collect().sort("customer_id")
    assert out["churn_model"].to_list() == [None, "model_free", "model_free", "model_free"]
    assert out["churn_model_status"].to_list() == [
        "no_purchase_history",
        "fallback",
        "fallback",
        "fallback",
    ]
    assert "1 repeat buyer(s), fewer than min_repeat_buyers = 20" in out["churn_model_note"][1]
    assert "model-free estimate used" in out["churn_model_note"][1]
    prior = (463 / 7) / 2  # 1 / λ̄ in weeks
    h = 90 / 7

    def by_hand(x: float, t_x: float, T: float, h: float = h) -> float:
        rate = (x + 1) / (T + prior)
        alive = math.exp(-rate * (T - t_x))
        return 1 - alive * (1 - math.exp(-rate * h))

    got = dict(zip(out["customer_id"], out["churn_probability"], strict=True))
    # the repeat buyer's own cycle, 76 days, × 6 = 456 days is longer than 90: their horizon
    assert got["repeat"] == pytest.approx(by_hand(2, 152 / 7, 181 / 7, 456 / 7), rel=1e-12)
    assert got["once"] == pytest.approx(by_hand(0, 0, 182 / 7), rel=1e-12)
    assert got["young"] == pytest.approx(by_hand(0, 0, 100 / 7), rel=1e-12)
    assert got["never"] is None
    assert out["churn_reasons"][2] == "revenue_drop"  # the rules still run


def test_no_repeat_purchase_at_all_scores_nobody_and_flags_nobody() -> None:
    once = {
        "order_days_lifetime": 1,
        "last_order_date": date(2024, 1, 1),
        "mean_days_between_orders": None,
    }
    out = score_churn(_facts({"a": once, "b": once}), CONFIG).collect()
    assert out["churn_model_status"].to_list() == ["no_repeat_buyers"] * 2
    assert out["churn_model"].to_list() == [None, None]
    assert out["churn_probability"].null_count() == 2
    assert not out["is_churn_risk"].any()
    assert "nothing to estimate from" in out["churn_model_note"][0]


DEGENERATE = (123_591.0, 190_634.0, 0.8, 2.4)  # the fit seen on 9 repeat buyers of 234


def test_a_degenerate_fit_is_rejected_and_the_next_model_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _fixed_fit(monkeypatch, {"mbgnbd": DEGENERATE, "bgnbd": (1.0, 1.0, 2.0, 1.0)})
    out = score_churn(_facts({"a": {}, "b": {}}), _min_repeat(2)).collect()
    assert [model for model, _ in calls] == ["mbgnbd", "bgnbd"]
    assert out["churn_model"].to_list() == ["bgnbd", "bgnbd"]
    assert out["churn_model_status"].to_list() == ["fallback", "fallback"]
    note = out["churn_model_note"][0]
    assert note.startswith(
        "mbgnbd fit rejected: implausible parameter r = 123591 (outside 0.0001..10000); "
        "bgnbd used instead"
    )


def test_a_degenerate_fit_of_both_models_never_flags_anyone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both models degenerate: the model-free estimate scores; no row carries a model's value.
    _fixed_fit(monkeypatch, {"mbgnbd": DEGENERATE, "bgnbd": DEGENERATE})
    facts, *_ = _simulated_facts(4, 234, AS_OF)
    out = score_churn(facts.lazy(), CONFIG).collect()
    assert out["churn_model"].unique().to_list() == ["model_free"]
    assert out["churn_model_note"][0].startswith(
        "mbgnbd fit rejected: implausible parameter r = 123591 (outside 0.0001..10000); "
        "bgnbd fit rejected: implausible parameter r = 123591"
    )
    flagged = out.filter("is_churn_risk")
    assert flagged.height <= 11  # 5 % of 234
    assert (flagged["churn_model"] == "model_free").all()


def _short_history() -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """234 customers aged 1-20 weeks, 9 of them with 1-2 repeat purchases (whole days)."""
    rng = np.random.default_rng(6)
    n, k = 234, 9
    age = np.round(rng.uniform(1, 20, n) * 7)
    x = np.zeros(n)
    t_x = np.zeros(n)
    x[:k] = rng.integers(1, 3, k)
    t_x[:k] = np.maximum(np.round(age[:k] * rng.uniform(0.3, 1.0, k)), 1)
    first = [AS_OF - timedelta(days=int(d)) for d in age]
    facts = pl.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "order_days_lifetime": (x + 1).astype(np.int64),
            "first_order_date": first,
            "last_order_date": [
                f + timedelta(days=int(r)) for f, r in zip(first, t_x, strict=True)
            ],
        }
    ).with_columns(
        pl.lit(AS_OF).alias("as_of_date"),
        **{
            k: pl.lit(v)
            for k, v in NEUTRAL.items()
            if k not in {"as_of_date", "order_days_lifetime", "first_order_date", "last_order_date"}
        },
    )
    return facts, x, t_x / 7, age / 7


def test_a_history_that_makes_the_fit_degenerate_runs_through_without_it() -> None:
    facts, x, t_x, age = _short_history()
    degenerate = bgnbd.fit_mbgnbd(x, t_x, age)
    # the optimiser reports success, but r and α run off to ~10^5 and ~10^6 (on the same data
    # rounded differently in the last bit it stops one step later and reports failure)
    assert degenerate.converged and degenerate.r > 1e5 and degenerate.alpha > 1e6
    out = score_churn(facts.lazy(), _min_repeat(2)).collect()
    assert "mbgnbd" not in out["churn_model"].to_list()
    assert out["churn_model_status"].unique().to_list() == ["fallback"]
    note = out["churn_model_note"][0]
    assert note.startswith(
        ("mbgnbd fit rejected: implausible parameter r = ", "mbgnbd fit did not converge;")
    ), note
    assert out["churn_probability"].is_between(0, 1).all()
    assert out.filter("is_churn_risk").height <= 11  # 5 % of 234


def test_a_fit_that_fails_or_does_not_converge_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = {"a": {}, "b": {}}
    _fixed_fit(
        monkeypatch,
        {"mbgnbd": (1.0, 1.0, 2.0, 1.0), "bgnbd": (1.0, 1.0, 2.0, 1.0)},
        converged=False,
    )
    out = score_churn(_facts(rows), _min_repeat(2)).collect()
    assert out["churn_model"].to_list() == ["model_free"] * 2
    assert out["churn_model_note"][0].startswith(
        "mbgnbd fit did not converge; bgnbd fit did not converge; model-free estimate used"
    )

    def broken(*_: Any) -> BgNbdFit:
        raise FloatingPointError("overflow")

    monkeypatch.setattr("scoring.churn.fallback.fit_model", broken)
    out = score_churn(_facts(rows), _min_repeat(2)).collect()
    assert out["churn_model_note"][0].startswith(
        "mbgnbd fit failed (FloatingPointError: overflow); bgnbd fit failed"
    )
    assert out["churn_model"].to_list() == ["model_free"] * 2


def test_inconsistent_order_history_is_left_out_of_the_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fixed_fit(monkeypatch, {"mbgnbd": (1.0, 1.0, 2.0, 1.0)})
    rows = {
        "a": {},
        "b": {},
        "bad": {"order_days_lifetime": 1},  # one order day but last ≠ first order date
    }
    out = score_churn(_facts(rows), _min_repeat(2)).collect()
    assert calls[0][1].tolist() == [2.0, 2.0]
    assert out["churn_model_status"].to_list() == ["fitted", "fitted", "inconsistent_order_history"]
    assert out["probability_alive"].is_null().to_list() == [False, False, True]
    assert out["churn_model"].to_list() == ["mbgnbd", "mbgnbd", None]


def test_missing_order_days_column_raises_a_clear_error() -> None:
    facts = _facts({"a": {}}).drop("order_days_lifetime")
    with pytest.raises(ChurnInputError, match="order_days_lifetime.*dbt build"):
        score_churn(facts, CONFIG)


# --------------------------------------------------------------------------- quality measures


def _pairwise_auc(scores: list[float], labels: list[int]) -> float:
    pairs = [
        1.0 if sp > sn else 0.5 if sp == sn else 0.0
        for (sp, lp), (sn, ln) in itertools.product(zip(scores, labels, strict=True), repeat=2)
        if lp == 1 and ln == 0
    ]
    return sum(pairs) / len(pairs)


def test_roc_auc_matches_brute_force_pairwise_count_with_ties() -> None:
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 5, 60).astype(float).tolist()  # many ties
    labels = rng.integers(0, 2, 60).tolist()
    assert roc_auc(scores, labels) == pytest.approx(_pairwise_auc(scores, labels), abs=1e-12)
    # by hand: positives 0.9, 0.5; negatives 0.5, 0.1 → pairs 1, 1, ½, 1 → 3.5 / 4
    assert roc_auc([0.9, 0.5, 0.5, 0.1], [True, True, False, False]) == 0.875


def test_roc_auc_rejects_a_single_class() -> None:
    with pytest.raises(ValueError, match="at least one positive and one negative"):
        roc_auc([0.1, 0.2], [0, 0])


def test_precision_recall_counts_hits_and_is_none_over_nothing() -> None:
    result = precision_recall([True, True, False, True, False], [1, 0, 1, 1, 0])
    assert (result.precision, result.recall) == (2 / 3, 2 / 3)
    assert (result.true_positives, result.flagged, result.positives) == (2, 3, 3)
    empty = precision_recall([False, False], [False, False])
    assert (empty.precision, empty.recall) == (None, None)


def test_a_customer_whose_returns_outweigh_purchases_gets_the_population_purchase_value() -> None:
    from scoring.churn.probability import _spend_values
    from scoring.clv import expected_purchase_value, fit_gamma_gamma

    rng = np.random.default_rng(3)
    n = 400
    occasions = rng.integers(1, 8, n).astype(float)
    mean = rng.gamma(4.0, 25.0, n)
    revenue = occasions * mean
    revenue[:3] = [-120.0, 0.0, -5.0]  # net returns: no usable spend
    part = pl.DataFrame({"order_days_lifetime": occasions, "revenue_lifetime": revenue})
    value, note = _spend_values(part, np.ones(n, dtype=bool))
    fit = fit_gamma_gamma(occasions, revenue / occasions)
    population = fit.p * fit.gamma / (fit.q - 1)
    assert note.startswith("spend: Gamma-Gamma")
    assert value[:3] == pytest.approx([population] * 3)
    assert value[3:] == pytest.approx(
        expected_purchase_value(fit, occasions[3:], revenue[3:] / occasions[3:])
    )
    assert (value > 0).all()
