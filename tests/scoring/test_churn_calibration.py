"""Churn calibration on the company's own history, and the back-test (churn_calibration.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from churn_histories import facts_at, facts_history
from scipy.optimize import minimize

from scoring.churn import Calibration, Choice, Scorer, calibration_features, score_churn
from scoring.churn_calibration import (
    CalibrationError,
    _logistic,
    backtest,
    calibration_dates,
    calibration_horizon,
    deciles,
    fit_calibration,
    outcomes,
)
from scoring.config import default_config

FULL = default_config()
CONFIG = FULL.churn


def test_outcome_is_an_order_after_the_date_within_the_horizon() -> None:
    d, later = date(2024, 1, 1), date(2024, 3, 31)  # 90 days apart
    facts = pl.DataFrame(
        {
            "as_of_date": [d, d, d, later, later, later, date(2024, 2, 1)],
            "customer_id": [
                "bought",
                "silent",
                "new_later",
                "bought",
                "silent",
                "new_later",
                "bought",
            ],
            "last_order_date": [
                date(2023, 12, 1),
                date(2023, 11, 1),
                None,
                date(2024, 3, 31),
                date(2023, 11, 1),
                date(2024, 2, 1),
                date(2024, 1, 20),
            ],
        }
    )
    got = outcomes(facts, 90)
    # new_later had no order by d but is in the facts (null last order): bought later
    assert got.rows() == [(d, "bought", False), (d, "new_later", False), (d, "silent", True)]
    assert outcomes(facts, 91).height == 0  # no date 91 days after another


def test_logistic_weights_match_a_quasi_newton_optimiser() -> None:
    rng = np.random.default_rng(3)
    features = np.column_stack([np.ones(500), rng.normal(size=500), rng.normal(size=500)])
    labels = (rng.random(500) < 1 / (1 + np.exp(-(0.3 + 1.2 * features[:, 1])))).astype(float)
    weights = _logistic(features, labels)

    # the same penalised log-likelihood (ridge 1e-3 on all but the intercept) by scipy's L-BFGS-B
    def loss(w: np.ndarray) -> float:
        z = features @ w
        return float(np.sum(np.logaddexp(0, z) - labels * z) + 1e-3 * (w[1:] @ w[1:]))

    other = minimize(loss, np.zeros(3), method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-10})
    np.testing.assert_allclose(weights, other.x, atol=1e-4)


def test_score_churn_applies_the_calibration_to_the_models_outputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scorer = Scorer(
        model="mbgnbd",
        probability_alive=lambda x, t_x, T: np.full(len(x), 0.9),
        expected_purchases=lambda t, x, t_x, T: np.full(len(x), 0.05) * t,
        probability_no_purchase=lambda t, x, t_x, T: np.array([0.2, 0.7]),
    )
    monkeypatch.setattr(
        "scoring.churn.probability.choose_scorer", lambda *a, **k: Choice(scorer, "fitted", "fixed")
    )
    facts = facts_at(
        pl.DataFrame(
            {
                "customer_id": ["a", "a", "b"],
                "order_date": [date(2024, 1, 1), date(2024, 2, 1), date(2024, 1, 5)],
                "amount": [10.0, 20.0, 30.0],
            }
        ),
        date(2024, 6, 30),
    )
    calibration = Calibration((0.5, 1.0, -0.2, 0.3), 1000, 700, (date(2024, 3, 1),), 90)
    out = score_churn(facts, CONFIG, calibration=calibration).collect()
    # by hand: z = 0.5 + logit(p) − 0.2 log(E + 0.001) + 0.3 log(1 + x), E = 0.05 × 90/7
    e = 0.05 * 90 / 7
    z = [
        0.5 + np.log(0.2 / 0.8) - 0.2 * np.log(e + 1e-3) + 0.3 * np.log(2),
        0.5 + np.log(0.7 / 0.3) - 0.2 * np.log(e + 1e-3),
    ]
    assert out["churn_probability"].to_list() == pytest.approx([1 / (1 + np.exp(-v)) for v in z])
    assert "probability calibrated on 1000 customer rows" in out["churn_model_note"][0]


def test_calibration_features_are_the_documented_transforms() -> None:
    got = calibration_features(np.array([0.5, 0.0]), np.array([1.0, -1.0]), np.array([0.0, 3.0]))
    np.testing.assert_allclose(
        got,
        [[1, 0, np.log(1.001), 0], [1, np.log(1e-6 / (1 - 1e-6)), np.log(1e-3), np.log(4)]],
    )


def test_calibration_needs_a_past_date_with_a_known_outcome() -> None:
    history = facts_history(1, [date(2024, 6, 30)])
    with pytest.raises(CalibrationError, match="no past date has its outcome 90 days later"):
        fit_calibration(history, CONFIG)


def test_calibrated_probability_matches_observed_churn_on_a_later_date() -> None:
    dates = [date(2024, 3, 1) + timedelta(days=30 * k) for k in range(8)]
    history = facts_history(2, dates)
    train = history.filter(pl.col("as_of_date") <= dates[5])
    calibration = fit_calibration(train, CONFIG)
    # dates with outcomes in train: up to dates[5] − 90 days = dates[2]; latest 6, 30 days apart
    assert calibration.dates == tuple(dates[:3])
    test_day = history.filter(pl.col("as_of_date") == dates[5])
    scored = score_churn(test_day, CONFIG, calibration=calibration).collect()
    truth = outcomes(history, 90).filter(pl.col("as_of_date") == dates[5])
    joined = scored.join(truth, on=["as_of_date", "customer_id"])
    # mean predicted close to the observed churn rate (a calibrated forecast)
    assert joined["churn_probability"].mean() == pytest.approx(joined["churned"].mean(), abs=0.05)


def _pairwise_auc(score: np.ndarray, label: np.ndarray) -> float:
    pos, neg = score[label][:, None], score[~label][None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def test_backtest_reports_auc_flag_and_deciles_per_date() -> None:
    dates = [date(2024, 3, 1) + timedelta(days=30 * k) for k in range(7)]
    history = facts_history(5, dates)
    report = backtest(history, CONFIG)
    assert sorted(set(report["as_of_date"].to_list())) == dates[:4]  # D + 90 in the history
    calibrated = report.filter(metric="calibrated").sort("as_of_date")["value"].to_list()
    # dates[2] knows 30-day outcomes of two dates (dates[0], dates[1]); dates[3] 60-day ones of
    # the same two (its single 90-day outcome, of dates[0], is too thin); dates[0..1] nothing
    assert calibrated == [0.0, 0.0, 1.0, 1.0]
    # AUC of days since last order, recomputed by counting pairs on the same customers
    day = dates[1]
    scored = score_churn(history.filter(pl.col("as_of_date") == day), CONFIG).collect()
    truth = outcomes(history, 90)
    joined = (
        scored.join(truth, on=["as_of_date", "customer_id"])
        .join(
            history.filter(pl.col("as_of_date") == day).select(
                "customer_id", "days_since_last_order"
            ),
            on="customer_id",
        )
        .filter(pl.col("churn_probability").is_not_null())
    )
    label = joined["churned"].to_numpy()
    by_pairs = _pairwise_auc(joined["days_since_last_order"].to_numpy().astype(float), label)
    got = report.filter(as_of_date=day, score="days_since_last_order", metric="auc")["value"]
    assert got.item() == pytest.approx(by_pairs, abs=1e-12)
    kam = report.filter(as_of_date=day, score="churn_probability", metric="auc")["value"]
    assert kam.item() == pytest.approx(
        _pairwise_auc(joined["churn_probability"].to_numpy(), label), abs=1e-12
    )
    deciles_of_day = report.filter(as_of_date=day, metric="observed_churn_rate")
    assert deciles_of_day["decile"].to_list() == list(range(1, 11))


def test_deciles_split_ten_equal_groups_by_prediction() -> None:
    predicted = np.arange(20, dtype=float) / 20
    churned = np.array([0, 1] * 10, dtype=float)
    got = deciles(predicted, churned)
    assert [g[0] for g in got] == list(range(1, 11))
    assert got[0] == (1, 0.025, 0.5, 2)  # (0 + 0.05) / 2, one of two churned
    assert all(size == 2 for *_, size in got)
    assert got[-1][1] == pytest.approx(0.925)  # (0.90 + 0.95) / 2


def test_calibration_dates_pair_each_past_date_with_its_outcome_date() -> None:
    d = date(2024, 1, 1)
    available = [d + timedelta(days=k) for k in (0, 10, 40, 90, 100, 130, 200)]
    # D with D + 90 available and ≤ as_of: 0 (→ 90), 10 (→ 100), 40 (→ 130); spaced ≥ 30 days
    # from the latest: 40, then 10 (30 days before); 0 is only 10 days before 10.
    got = calibration_dates(available, d + timedelta(days=150), 90)
    assert got == [d + timedelta(days=k) for k in (10, 40, 100, 130)]
    # as of day 120, 130 is in the future: only D = 10
    assert calibration_dates(available, d + timedelta(days=120), 90) == [
        d + timedelta(days=10),
        d + timedelta(days=100),
    ]
    assert calibration_dates(available, d + timedelta(days=80), 90) == []


def test_calibration_horizon_prefers_two_dates_then_the_longest_horizon() -> None:
    d = date(2024, 1, 1)

    def days(*offsets: int) -> list[date]:
        return [d + timedelta(days=k) for k in offsets]

    # two dates with their 90-day outcome: the configured horizon
    assert calibration_horizon(days(0, 30, 90, 120), 90) == 90
    # one 90-day outcome (day 0); 60 days: days 0 → 60 and 30 → 90, two dates 30 apart
    assert calibration_horizon(days(0, 30, 60, 90), 90) == 60
    # one 90-day outcome and no shorter horizon with two dates: the single date
    assert calibration_horizon(days(0, 90), 90) == 90
    # 60 days: only day 0 (day 20 + 60 missing); 40: days 0 and 20, but 20 apart (spaced: one);
    # 20 days: days 0, 20, 40 → spaced from the latest: 40, then 0 → two; 20 = 60 / 3 is allowed
    assert calibration_horizon(days(0, 20, 40, 60), 60) == 20
    # nothing down to 30 days (a third of 90) has an outcome: none
    assert calibration_horizon(days(0, 20, 40), 90) is None


def test_a_shorter_horizons_calibration_scores_the_configured_horizon() -> None:
    dates = [date(2024, 3, 1) + timedelta(days=30 * k) for k in range(3)]
    history = facts_history(3, dates)
    calibration = fit_calibration(history, CONFIG)
    # no 90-day outcome in 60 days of history: 30-day outcomes of the first two dates
    assert (calibration.dates, calibration.horizon_days) == (tuple(dates[:2]), 30)
    assert calibration.describe().endswith("outcomes over 30 days")
    day = history.filter(pl.col("as_of_date") == dates[2]).sort("customer_id")
    raw = score_churn(day, CONFIG).collect().sort("customer_id")
    scored = score_churn(day, CONFIG, calibration=calibration).collect().sort("customer_id")
    # the weights apply to the model's 90-day outputs (the formula computed a second time)
    eligible = raw["churn_probability"].is_not_null().to_numpy()
    x = day["order_days_lifetime"].cast(pl.Float64).to_numpy()[eligible] - 1
    p = np.clip(raw["churn_probability"].to_numpy()[eligible], 1e-6, 1 - 1e-6)
    e = raw["expected_purchases"].to_numpy()[eligible]
    w = calibration.weights
    z = w[0] + w[1] * np.log(p / (1 - p)) + w[2] * np.log(e + 1e-3) + w[3] * np.log1p(x)
    np.testing.assert_allclose(
        scored["churn_probability"].to_numpy()[eligible], 1 / (1 + np.exp(-z)), rtol=1e-12
    )


def test_the_nightly_asset_calibrates_from_the_warehouse_history(tmp_path: Path) -> None:
    from orchestration.assets.scoring import churn_calibration

    dates = [date(2024, 3, 1) + timedelta(days=30 * k) for k in range(7)]
    history = facts_history(7, dates)
    config = FULL
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_customer_facts as select * from history")
        calibration, note = churn_calibration(con, config, dates[-1])
        assert calibration is not None
        # outcome dates up to dates[6]: D in dates[0..3], the latest spaced 6 → all four
        assert calibration.dates == tuple(dates[:4])
        assert note == calibration.describe()
        # as of dates[2] no 90-day outcome yet: the 30-day ones of dates[0] and dates[1]
        shorter, _ = churn_calibration(con, config, dates[2])
        assert shorter is not None
        assert (shorter.dates, shorter.horizon_days) == (tuple(dates[:2]), 30)
        none, why = churn_calibration(con, config, dates[1])
        assert none is None and why == "no past business date with its outcome in the history"
    assert calibration == fit_calibration(
        history.filter(pl.col("as_of_date").is_in([*dates[:4], *dates[3:7]])), CONFIG
    )
