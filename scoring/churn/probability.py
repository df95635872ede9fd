"""Per business date: the chosen scorer's churn probability (calibrated when a calibration is
given), expected purchases, and the lifetime purchases and spend behind lifetime value."""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from scoring.churn.fallback import choose_scorer
from scoring.churn.results import STATUS_FITTED, STATUS_NO_REPEAT_BUYERS, Calibration, _Rows
from scoring.clv import (
    MIN_SPREAD_EVIDENCE,
    discounted_expected_purchases,
    expected_purchase_value,
    fit_gamma_gamma,
)
from scoring.config import ChurnConfig
from scoring.frames import date_keys as _keys

log = logging.getLogger(__name__)

#: A customer's own purchase cycle stretches their horizon only from this many repeat purchases.
MIN_REPEATS_FOR_OWN_CYCLE = 2
#: Steps of the lifetime-value sum, in days (each step's purchases discounted at its midpoint).
LIFETIME_STEP_DAYS = 30

_FIT_SCHEMA: dict[str, pl.DataType] = {
    "churn_probability": pl.Float64(),
    "probability_alive": pl.Float64(),
    "expected_purchases": pl.Float64(),
    "_lifetime_purchases": pl.Float64(),
    "expected_purchase_value": pl.Float64(),
    "churn_model": pl.String(),
    "churn_model_status": pl.String(),
    "churn_model_note": pl.String(),
}


def calibration_features(
    probability: np.ndarray, expected: np.ndarray, frequency: np.ndarray
) -> np.ndarray:
    """The calibration's design matrix: 1, logit P, log(E + 0.001), log(1 + repeat purchases)."""
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    return np.column_stack(
        [
            np.ones(len(p)),
            np.log(p / (1 - p)),
            np.log(np.maximum(expected, 0.0) + 1e-3),
            np.log1p(np.maximum(frequency, 0.0)),
        ]
    )


def calibrate(
    calibration: Calibration, probability: np.ndarray, expected: np.ndarray, frequency: np.ndarray
) -> np.ndarray:
    """The calibrated probability: logistic of the weighted features."""
    z = calibration_features(probability, expected, frequency) @ np.asarray(calibration.weights)
    return 1.0 / (1.0 + np.exp(-z))


def _spend_values(part: pl.DataFrame, eligible: np.ndarray) -> tuple[np.ndarray, str]:
    """Expected value of a purchase (Gamma-Gamma, else the customer's own average) and a note."""
    occasions = part["order_days_lifetime"].cast(pl.Float64).fill_null(0.0).to_numpy()
    revenue = part["revenue_lifetime"].cast(pl.Float64).to_numpy()
    with np.errstate(all="ignore"):
        mean_value = np.where(occasions > 0, revenue / np.maximum(occasions, 1.0), np.nan)
    # A purchase is worth something: a customer whose returns outweigh its purchases (a net
    # average of 0 or less) says nothing about what its next purchase is worth, so it gets the
    # company's (the model's population mean, or the mean of the positive averages).
    usable = np.isfinite(mean_value) & (mean_value > 0)
    positive = mean_value[usable]
    company = float(positive.mean()) if positive.size else np.nan
    own = np.where(usable, mean_value, np.where(np.isfinite(mean_value), company, mean_value))
    try:
        spend = fit_gamma_gamma(occasions[eligible], mean_value[eligible])
    except ValueError as error:
        return own, f"spend: own average value (Gamma-Gamma not fitted: {error})"
    if not spend.usable:
        why = (
            f"customers' spend barely differs, spread evidence {spend.spread_evidence:.3g} "
            f"< {MIN_SPREAD_EVIDENCE}"
            if spend.spread_evidence < MIN_SPREAD_EVIDENCE
            else "fit not usable"
        )
        return own, f"spend: own average value (Gamma-Gamma {why})"
    value = expected_purchase_value(spend, np.where(usable, occasions, 0.0), mean_value)
    return value, (
        f"spend: Gamma-Gamma p = {spend.p:.4g}, q = {spend.q:.4g}, γ = {spend.gamma:.4g}"
    )


def _horizons(config: ChurnConfig, horizon: float, x: _Rows, t_x: _Rows) -> _Rows:
    """Each customer's horizon: the configured one, stretched to ``horizon_cycle_multiple`` ×
    the customer's own mean time between purchases (t_x / x) when that is longer and measured
    over at least :data:`MIN_REPEATS_FOR_OWN_CYCLE` gaps (one gap is one observation, not a
    habit)."""
    own_cycle = np.where(x >= MIN_REPEATS_FOR_OWN_CYCLE, t_x / np.maximum(x, 1.0), 0.0)
    return np.maximum(horizon, config.horizon_cycle_multiple * own_cycle)


def _score_one_date(
    part: pl.DataFrame,
    config: ChurnConfig,
    time_unit_days: int,
    calibration: Calibration | None,
    with_value: bool,
) -> pl.DataFrame:
    """Choose a scorer for one business date's customers and add the prediction columns."""
    eligible = part["_pre_status"].is_null().to_numpy()
    x = part["_frequency"].to_numpy()[eligible].astype(np.float64)
    t_x = part["_recency"].to_numpy()[eligible].astype(np.float64)
    age = part["_T"].to_numpy()[eligible].astype(np.float64)
    horizon = config.prediction_horizon_days / time_unit_days
    columns = {
        name: np.full(part.height, np.nan)
        for name in (
            "churn_probability",
            "probability_alive",
            "expected_purchases",
            "_lifetime_purchases",
        )
    }
    model, status, note = None, STATUS_NO_REPEAT_BUYERS, "no customer with an order history"
    if eligible.any():
        choice = choose_scorer(x, t_x, age, config, horizon)
        status, note = choice.status, choice.note
        if choice.scorer is not None:
            scorer = choice.scorer
            model = scorer.model
            columns["probability_alive"][eligible] = scorer.probability_alive(x, t_x, age)
            columns["expected_purchases"][eligible] = scorer.expected_purchases(
                horizon, x, t_x, age
            )
            window = _horizons(config, horizon, x, t_x)
            probability = np.clip(scorer.probability_no_purchase(window, x, t_x, age), 0.0, 1.0)
            if calibration is not None:
                probability = calibrate(
                    calibration, probability, columns["expected_purchases"][eligible], x
                )
                note = f"{note}; {calibration.describe()}"
            columns["churn_probability"][eligible] = probability
            lifetime = config.lifetime_value
            if with_value:
                columns["_lifetime_purchases"][eligible] = discounted_expected_purchases(
                    lambda t: scorer.expected_purchases(t, x, t_x, age),
                    horizon=lifetime.horizon_days / time_unit_days,
                    step=LIFETIME_STEP_DAYS / time_unit_days,
                    annual_discount_rate=lifetime.annual_discount_rate,
                    time_units_per_year=365.0 / time_unit_days,
                )
        if status != STATUS_FITTED:
            date = part["as_of_date"][0] if "as_of_date" in part.columns else None
            log.warning("churn model for %s: %s", date, note)
    value = np.full(part.height, np.nan)
    if with_value:
        value, spend_note = _spend_values(part, eligible)
        if model is not None:
            note = f"{note}; {spend_note}"
    pre = part["_pre_status"]
    return part.with_columns(
        **{name: pl.Series(values).fill_nan(None) for name, values in columns.items()},
        expected_purchase_value=pl.Series(value, dtype=pl.Float64).fill_nan(None),
        churn_model=pl.when(pre.is_null()).then(pl.lit(model, dtype=pl.String)),
        churn_model_status=pl.coalesce(pre, pl.lit(status)),
        churn_model_note=pl.when(pre.is_null()).then(pl.lit(note)),
    )


def _score_all_dates(
    frame: pl.DataFrame,
    config: ChurnConfig,
    time_unit_days: int,
    calibration: Calibration | None,
    with_value: bool,
) -> pl.DataFrame:
    keys = _keys(frame.schema)
    parts = frame.partition_by(keys, maintain_order=True) if keys else [frame]
    scored = [
        _score_one_date(part, config, time_unit_days, calibration, with_value)
        for part in parts
        if part.height
    ]
    if not scored:
        return frame.with_columns(
            **{name: pl.lit(None, dtype=dtype) for name, dtype in _FIT_SCHEMA.items()}
        )
    return pl.concat(scored)
