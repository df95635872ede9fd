"""Churn scoring (SPEC §5): warning-sign boundaries, nulls, reasons, levels, value at risk,
the repeat-buying model and its fallbacks, and the quality measures."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoring import bgnbd
from scoring._bgnbd_math import simulate
from scoring.bgnbd import BgNbdFit
from scoring.churn import ChurnInputError, precision_recall, roc_auc, score_churn
from scoring.config import ChurnConfig, default_config

CONFIG = default_config().churn
AS_OF = date(2024, 6, 30)

# A customer who fires no sign: 3 order days (first 2024-01-01, last 2024-06-01), ordering every
# 76 days and last ordered 29 days ago, revenue flat on last year, two categories, no complaints,
# payments and contacts steady.
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
    "open_complaint_count": 0,
    "order_count_trailing": 3,
    "distinct_categories_trailing": 2,
    "average_days_past_due_recent": 10.0,
    "average_days_past_due_trailing": 10.0,
    "interaction_count_recent": 4,
    "interaction_count_prior_recent": 4,
    "average_order_value_trailing": 50.0,
    "average_order_value_lifetime": 40.0,
    "contribution_trailing": 1000.0,
}
SCHEMA = {
    "as_of_date": pl.Date, "customer_id": pl.String, "order_days_lifetime": pl.Int64,
    "first_order_date": pl.Date, "last_order_date": pl.Date, "days_since_last_order": pl.Int64,
    "open_complaint_count": pl.Int64, "order_count_trailing": pl.Int64,
    "distinct_categories_trailing": pl.Int64, "interaction_count_recent": pl.Int64,
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
        "a": None, "b": "no_recent_order", "c": None, "d": None, "e": "no_recent_order",
        "f": None, "g": None,
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
        "at": None, "past": "revenue_drop", "zero_last_year": None, "negative_last_year": None,
        "null_last_year": None, "null_recent": None,
    }


def test_open_complaints_fire_from_one_open_complaint() -> None:
    reasons = _reasons(
        {"zero": {"open_complaint_count": 0}, "one": {"open_complaint_count": 1},
         "null": {"open_complaint_count": None}}
    )
    assert reasons == {"zero": None, "one": "open_complaints", "null": None}


def test_single_category_fires_only_for_customers_who_bought_in_the_window() -> None:
    reasons = _reasons(
        {
            "two": {"distinct_categories_trailing": 2},
            "one": {"distinct_categories_trailing": 1},
            "none_bought": {"distinct_categories_trailing": 0, "order_count_trailing": 0},
            "null": {"distinct_categories_trailing": None},
            "null_orders": {"distinct_categories_trailing": 1, "order_count_trailing": None},
        }
    )
    assert reasons == {
        "two": None, "one": "single_category", "none_bought": None, "null": None,
        "null_orders": None,
    }


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
        "at": None, "past": "payment_worsening", "null_recent": None, "null_trailing": None,
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
        "at": None, "past": "contact_quiet", "prior_zero": None, "prior_null": None,
        "recent_null": None,
    }


def test_all_null_inputs_fire_no_sign_and_score_zero() -> None:
    nulls = {c: None for c in NEUTRAL if c not in {"as_of_date"}}
    out = score_churn(_facts({"blank": nulls, "x": {}}), CONFIG).collect()
    row = out.filter(pl.col("customer_id") == "blank").row(0, named=True)
    assert row["churn_reasons"] is None
    assert row["churn_score"] == 0.0
    assert row["churn_risk_level"] == "none"
    assert row["is_churn_risk"] is False
    assert row["probability_alive"] is None
    assert row["churn_model_status"] == "no_purchase_history"
    assert row["value_at_risk"] is None


def test_disabled_sign_never_fires() -> None:
    signals = CONFIG.signals.model_copy(
        update={"open_complaints": CONFIG.signals.open_complaints.model_copy(
            update={"enabled": False})}
    )
    config = _rules_only(CONFIG.model_copy(update={"signals": signals}))
    assert _reasons({"a": {"open_complaint_count": 5}}, config) == {"a": None}


# --------------------------------------------------------------------------- reasons and levels


def test_reasons_follow_the_fixed_order_with_chinese_names_and_weights_summed() -> None:
    every = {
        "mean_days_between_orders": 10.0, "days_since_last_order": 29,
        "revenue_recent": 10.0, "open_complaint_count": 2, "distinct_categories_trailing": 1,
        "average_days_past_due_recent": 40.0, "interaction_count_recent": 0,
    }
    out = score_churn(
        _facts({"all": every, "two": {"interaction_count_recent": 1, "revenue_recent": 1.0}}),
        _rules_only(),
    ).collect()
    assert out["churn_reasons"].to_list() == [
        "no_recent_order;revenue_drop;open_complaints;single_category;payment_worsening;"
        "contact_quiet",
        "revenue_drop;contact_quiet",
    ]
    assert out["churn_reasons_zh"].to_list() == [
        "超出平时交易周期未下单;同比交易额大幅下降;有未解决投诉;仅购买单一品类;回款恶化;联络减少",
        "同比交易额大幅下降;联络减少",
    ]
    assert out["churn_score"].to_list() == [3 + 3 + 2 + 1 + 2 + 1, 3 + 1]


def test_risk_levels_and_flag_at_their_score_boundaries() -> None:
    # weights: single_category 1, open_complaints 2, revenue_drop 3 → scores 0 … 6
    rows = {
        "s0": {},
        "s1": {"distinct_categories_trailing": 1},
        "s2": {"open_complaint_count": 1},
        "s3": {"revenue_recent": 0.0},
        "s4": {"revenue_recent": 0.0, "distinct_categories_trailing": 1},
        "s5": {"revenue_recent": 0.0, "open_complaint_count": 1},
        "s6": {"revenue_recent": 0.0, "open_complaint_count": 1, "distinct_categories_trailing": 1},
    }
    out = score_churn(_facts(rows), _rules_only()).collect()
    expected = pl.DataFrame(
        {
            "customer_id": list(rows),
            "churn_score": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "churn_risk_level": ["none", "low", "low", "medium", "medium", "high", "high"],
            "churn_risk_level_zh": [
                "无风险", "低风险", "低风险", "中风险", "中风险", "高风险", "高风险",
            ],
            "is_churn_risk": [False, False, False, True, True, True, True],
        }
    )
    assert_frame_equal(out.select(expected.columns), expected)


# --------------------------------------------------------------------------- value at risk


def test_value_at_risk_is_the_configured_metric_floored_at_zero() -> None:
    rows = {
        "gain": {"contribution_trailing": 1000.0},
        "loss": {"contribution_trailing": -50.0},
        "unknown": {"contribution_trailing": None},
    }
    out = score_churn(_facts(rows), _rules_only()).collect()
    assert out["value_at_risk"].to_list() == [1000.0, 0.0, None]
    by_revenue = _rules_only(CONFIG.model_copy(update={"value_at_risk_metric": "revenue_trailing"}))
    out = score_churn(_facts(rows), by_revenue).collect()
    assert out["value_at_risk"].to_list() == [400.0, 400.0, 400.0]


def test_call_priority_ranks_flagged_customers_by_value_at_risk_then_score_then_id() -> None:
    drop = {"revenue_recent": 0.0}  # score 3, flagged
    rows = {
        "a": {**drop, "contribution_trailing": 100.0},
        "b": {**drop, "contribution_trailing": 900.0},
        "c": {**drop, "contribution_trailing": 100.0, "open_complaint_count": 1},  # score 5
        "d": {**drop, "contribution_trailing": 100.0},
        "e": {"contribution_trailing": 5000.0},  # not flagged
        "f": {**drop, "contribution_trailing": None},  # unknown value: last
    }
    out = score_churn(_facts(rows), _rules_only()).collect()
    assert dict(zip(out["customer_id"], out["churn_call_priority"], strict=True)) == {
        "a": 3, "b": 1, "c": 2, "d": 4, "e": None, "f": 5,
    }


# --------------------------------------------------------------------------- the model


def _fixed_fit(monkeypatch: pytest.MonkeyPatch, params: tuple[float, ...], converged: bool = True,
               ) -> list[tuple[str, np.ndarray]]:
    """Make score_churn use a fit with ``params``; returns the (model, frequency) it was given."""
    calls: list[tuple[str, np.ndarray]] = []

    def fake(model: str, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbdFit:
        calls.append((model, x))
        r, alpha, a, b = params
        return BgNbdFit(model, r, alpha, a, b, -1.0, len(x), converged, 1)

    monkeypatch.setattr("scoring.churn.fit_model", fake)
    return calls


def test_model_inactive_fires_below_half_probability_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    # MBG/NBD with r = α = a = b = 1 and no repeat purchase (x = 0, t_x = 0):
    # P(alive) = 1 / (1 + a/b × ((α + T)/α)^r) = 1 / (2 + T), T in weeks.
    calls = _fixed_fit(monkeypatch, (1.0, 1.0, 1.0, 1.0))
    one_order = {"order_days_lifetime": 1, "mean_days_between_orders": None}
    rows = {
        "today": {**one_order, "first_order_date": AS_OF, "last_order_date": AS_OF},  # T = 0: 0.5
        "yesterday": {**one_order, "first_order_date": AS_OF - timedelta(days=1),
                      "last_order_date": AS_OF - timedelta(days=1)},  # T = 1/7: 7/15
        "r1": {}, "r2": {},  # repeat buyers, so the model is fitted
    }
    out = score_churn(_facts(rows), CONFIG).collect()
    assert calls[0][0] == "mbgnbd"
    assert calls[0][1].tolist() == [0.0, 0.0, 2.0, 2.0]
    got = dict(zip(out["customer_id"], out["probability_alive"], strict=True))
    assert got["today"] == 0.5
    assert got["yesterday"] == pytest.approx(7 / 15, abs=1e-12)
    reasons = dict(zip(out["customer_id"], out["churn_reasons"], strict=True))
    assert reasons["today"] is None
    assert reasons["yesterday"] == "model_inactive"
    assert out["churn_model_status"].unique().to_list() == ["fitted"]


def test_expected_revenue_is_expected_purchases_times_average_order_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = (1.0, 2.0, 2.0, 3.0)
    _fixed_fit(monkeypatch, params)
    rows = {"a": {}, "b": {"average_order_value_trailing": None}}
    out = score_churn(_facts(rows), CONFIG).collect()
    # Both: x = 2, recency 152 days, T = 181 days, horizon 90 days, in weeks.
    fit = BgNbdFit("mbgnbd", *params, -1.0, 2, True, 1)
    expected = bgnbd.expected_purchases(fit, 90 / 7, [2.0], [152 / 7], [181 / 7])[0]
    assert out["expected_purchases"].to_list() == pytest.approx([expected, expected], rel=1e-12)
    assert out["expected_revenue_next_period"].to_list() == pytest.approx(
        [expected * 50.0, expected * 40.0], rel=1e-12
    )


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
            "last_order_date": [f + timedelta(days=int(r)) for f, r in zip(first, recency_days,
                                                                           strict=True)],
        }
    ).with_columns(
        pl.lit(as_of).alias("as_of_date"),
        **{k: pl.lit(v) for k, v in NEUTRAL.items() if k not in {
            "as_of_date", "order_days_lifetime", "first_order_date", "last_order_date"}},
    )
    return facts, x, recency_days / 7, age_days / 7


def test_model_matches_an_independent_fit_on_order_days_and_dates() -> None:
    facts, x, t_x, age = _simulated_facts(1, 300, AS_OF)
    out = score_churn(facts.lazy(), CONFIG).collect()
    fit = bgnbd.fit_mbgnbd(x, t_x, age)
    assert fit.converged
    assert out["churn_model"].unique().to_list() == ["mbgnbd"]
    assert out["churn_model_status"].unique().to_list() == ["fitted"]
    np.testing.assert_allclose(
        out["probability_alive"].to_numpy(), bgnbd.probability_alive(fit, x, t_x, age), rtol=1e-9
    )
    np.testing.assert_allclose(
        out["expected_purchases"].to_numpy(),
        bgnbd.expected_purchases(fit, 90 / 7, x, t_x, age),
        rtol=1e-9,
    )


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


def test_model_falls_back_with_a_status_when_fewer_than_two_repeat_buyers() -> None:
    rows = {
        "repeat": {"revenue_recent": 0.0},
        "once": {"order_days_lifetime": 1, "last_order_date": date(2024, 1, 1),
                 "mean_days_between_orders": None},
        "never": {"order_days_lifetime": 0, "first_order_date": None, "last_order_date": None},
    }
    out = score_churn(_facts(rows), CONFIG).collect()
    assert out["churn_model_status"].to_list() == [
        "no_purchase_history", "too_few_repeat_buyers", "too_few_repeat_buyers",
    ]
    assert out["probability_alive"].null_count() == 3
    assert out["expected_revenue_next_period"].null_count() == 3
    assert out["churn_reasons"].to_list() == [None, None, "revenue_drop"]  # rules still run


def test_model_falls_back_when_the_fit_fails_or_does_not_converge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = {"a": {}, "b": {}}
    _fixed_fit(monkeypatch, (1.0, 1.0, 1.0, 1.0), converged=False)
    out = score_churn(_facts(rows), CONFIG).collect()
    assert out["churn_model_status"].to_list() == ["fit_not_converged"] * 2
    assert out["probability_alive"].null_count() == 2

    def broken(*_: Any) -> BgNbdFit:
        raise FloatingPointError("overflow")

    monkeypatch.setattr("scoring.churn.fit_model", broken)
    out = score_churn(_facts(rows), CONFIG).collect()
    assert out["churn_model_status"].to_list() == ["fit_failed"] * 2
    assert out["expected_purchases"].null_count() == 2


def test_inconsistent_order_history_is_left_out_of_the_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fixed_fit(monkeypatch, (1.0, 1.0, 2.0, 1.0))
    rows = {
        "a": {}, "b": {},
        "bad": {"order_days_lifetime": 1},  # one order day but last ≠ first order date
    }
    out = score_churn(_facts(rows), CONFIG).collect()
    assert calls[0][1].tolist() == [2.0, 2.0]
    assert out["churn_model_status"].to_list() == ["fitted", "fitted", "inconsistent_order_history"]
    assert out["probability_alive"].is_null().to_list() == [False, False, True]


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
