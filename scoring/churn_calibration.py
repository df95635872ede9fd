"""Churn probability learnt from the company's own history, and the back-test that measures it.

``fct_customer_facts`` exists per business date, so a past date D whose horizon has passed has
a known outcome: the customer bought within (D, D + h] exactly when the last order date in the
facts as of D + h is after D. :func:`fit_calibration` scores such past dates with
:func:`scoring.churn.score_churn` and fits a logistic regression of "no purchase within h" on
the model's own outputs (:data:`scoring.churn.CALIBRATION_FEATURES`: logit of the model's
probability, log of expected purchases, log(1 + repeat purchases)). Passed to ``score_churn``
as ``calibration=``, it replaces the model's probability before risk levels and the call list
are set (docs/churn-model.md).

:func:`backtest` scores past dates with known outcomes and reports, per date, the ROC AUC of
kam's churn probability and of three baselines (BG/NBD expected purchases, days since the last
order, order days), precision and recall of the flag, and calibration by decile, as one long
frame (the shape of a ``churn_model_quality`` table).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from scoring import _bgnbd_math as math_
from scoring.bgnbd import fit_model
from scoring.churn import (
    Calibration,
    calibration_features,
    precision_recall,
    roc_auc,
    score_churn,
)
from scoring.config import ChurnConfig

#: Calibration needs at least this many past customer rows, and this many of each outcome.
MIN_CALIBRATION_ROWS = 200
MIN_CALIBRATION_OUTCOMES = 20
#: It learns from at most this many past dates, the latest first, at least this far apart.
CALIBRATION_DATES = 6
CALIBRATION_SPACING_DAYS = 30
#: It learns from at least this many such dates when it can: over the configured horizon when
#: that many dates have their outcome, otherwise over the longest shorter horizon, down to
#: this fraction of the configured one, that has them (one snapshot is a thin sample; the
#: weights of a shorter horizon carry over, see :func:`calibration_horizon`); over the
#: configured horizon from a single date only when no shorter horizon has enough.
MIN_CALIBRATION_DATES = 2
MIN_SHORTER_HORIZON_FRACTION = 1 / 3
_RIDGE = 1e-3  # a whisper of L2 so separable data still give finite weights

#: Baseline scores of :func:`backtest` (each oriented so that higher = more likely to churn).
BASELINES = ("bgnbd_expected_purchases", "days_since_last_order", "order_days_lifetime")
#: The columns of :func:`backtest`'s frame, a long table of metrics; scores.churn_model_quality
#: holds them and where each row came from (warehouse/churn_quality.py).
QUALITY_SCHEMA = pl.Schema(
    {
        "as_of_date": pl.Date(),
        "score": pl.String(),
        "metric": pl.String(),
        "decile": pl.Int64(),
        "value": pl.Float64(),
    }
)


class CalibrationError(ValueError):
    """The history cannot calibrate the churn probability (too short, too few outcomes)."""


def outcomes(history: pl.DataFrame | pl.LazyFrame, horizon_days: int) -> pl.DataFrame:
    """``as_of_date``, ``customer_id``, ``churned`` for every date D whose D + horizon is in
    ``history`` (facts with ``as_of_date``): churned = no order in (D, D + horizon]."""
    facts = history.lazy().select("as_of_date", "customer_id", "last_order_date")
    later = facts.select(
        (pl.col("as_of_date") - pl.duration(days=horizon_days)).alias("as_of_date"),
        "customer_id",
        pl.col("last_order_date").alias("_last_later"),
    )
    return (
        facts.join(later, on=["as_of_date", "customer_id"], how="inner")
        .select(
            "as_of_date",
            "customer_id",
            churned=~(pl.col("_last_later") > pl.col("as_of_date")).fill_null(False),
        )
        .sort("as_of_date", "customer_id")
        .collect()
    )


def _spaced(dates: Sequence[dt.date]) -> list[dt.date]:
    """The latest dates, at most CALIBRATION_DATES, each CALIBRATION_SPACING_DAYS apart."""
    chosen: list[dt.date] = []
    for date in sorted(dates, reverse=True):
        if len(chosen) == CALIBRATION_DATES:
            break
        if not chosen or (chosen[-1] - date).days >= CALIBRATION_SPACING_DAYS:
            chosen.append(date)
    return sorted(chosen)


def _starts(have: set[dt.date], horizon_days: int) -> list[dt.date]:
    """The spaced dates D of ``have`` whose D + horizon is in ``have`` too."""
    horizon = dt.timedelta(days=horizon_days)
    return _spaced([d for d in have if d + horizon in have])


def calibration_horizon(available: Sequence[dt.date], horizon_days: int) -> int | None:
    """The horizon, in days, of the outcomes the calibration learns from: the longest horizon
    from ``horizon_days`` down to :data:`MIN_SHORTER_HORIZON_FRACTION` of it for which
    :data:`MIN_CALIBRATION_DATES` spaced dates of ``available`` have their outcome; else
    ``horizon_days`` if one date has; else None.

    The calibration's inputs are the model's own outputs for the horizon it scores, so weights
    learnt on a shorter horizon carry over: they correct how the model ranks and how confident
    it is, while the model's probability for the configured horizon keeps the horizon's length.
    """
    have = set(available)
    shortest = max(1, math.ceil(horizon_days * MIN_SHORTER_HORIZON_FRACTION))
    for days in range(horizon_days, shortest - 1, -1):
        if len(_starts(have, days)) >= MIN_CALIBRATION_DATES:
            return days
    return horizon_days if _starts(have, horizon_days) else None


def calibration_dates(
    available: Sequence[dt.date], as_of: dt.date, horizon_days: int
) -> list[dt.date]:
    """The fact dates :func:`fit_calibration` would use for a run on ``as_of``: the latest
    spaced past dates D whose D + h (≤ ``as_of``) is also available, and those D + h, where h
    is :func:`calibration_horizon`. Read only these from the warehouse."""
    have = {d for d in available if d <= as_of}
    days = calibration_horizon(sorted(have), horizon_days)
    if days is None:
        return []
    starts = _starts(have, days)
    return sorted({*starts, *(d + dt.timedelta(days=days) for d in starts)})


def _logistic(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Maximum-likelihood logistic weights (ridge :data:`_RIDGE` on all but the intercept) by
    Newton's method with step halving: a handful of iterations for a few features, however
    many rows."""
    penalty = np.full(features.shape[1], 2 * _RIDGE)
    penalty[0] = 0.0

    def loss(w: np.ndarray) -> float:
        z = features @ w
        return float(np.sum(np.logaddexp(0.0, z) - labels * z) + 0.5 * penalty @ (w * w))

    w = np.zeros(features.shape[1])
    w[1] = 1.0  # the model's own probability
    current = loss(w)
    for _ in range(100):
        probability = 1.0 / (1.0 + np.exp(-(features @ w)))
        gradient = features.T @ (probability - labels) + penalty * w
        hessian = features.T @ (features * (probability * (1 - probability))[:, None])
        try:
            step = np.linalg.solve(hessian + np.diag(penalty), gradient)
        except np.linalg.LinAlgError:
            raise CalibrationError(
                "the calibration's inputs are collinear (e.g. every customer alike)"
            ) from None
        scale = 1.0
        while scale > 1e-8:
            candidate = w - scale * step
            value = loss(candidate)
            if np.isfinite(value) and value <= current:
                break
            scale /= 2
        w, previous, current = candidate, current, value
        if previous - current <= 1e-12 * max(1.0, abs(current)):
            break
    else:
        raise CalibrationError("the logistic calibration did not converge in 100 iterations")
    if not np.all(np.isfinite(w)):
        raise CalibrationError("the logistic calibration gave non-finite weights")
    return w


def fit_calibration(
    history: pl.DataFrame | pl.LazyFrame, config: ChurnConfig, *, time_unit_days: int = 7
) -> Calibration:
    """Learn the calibration from past dates of ``history`` (facts per ``as_of_date``) whose
    outcome over ``config.prediction_horizon_days`` is in ``history`` too: the latest
    :data:`CALIBRATION_DATES` such dates at least :data:`CALIBRATION_SPACING_DAYS` apart.
    The horizon of the outcomes is :func:`calibration_horizon`: shorter than the configured one
    while the history has too few dates with that outcome (``Calibration.horizon_days`` says).

    Raises :class:`CalibrationError` when no such date exists, or fewer than
    :data:`MIN_CALIBRATION_ROWS` scored rows or :data:`MIN_CALIBRATION_OUTCOMES` of either
    outcome are available.
    """
    facts = history.lazy().collect()
    configured = config.prediction_horizon_days
    horizon = calibration_horizon(facts["as_of_date"].unique().to_list(), configured)
    if horizon is None:
        shortest = max(1, math.ceil(configured * MIN_SHORTER_HORIZON_FRACTION))
        raise CalibrationError(
            f"no past date has its outcome {configured} days later in the history, nor "
            f"{MIN_CALIBRATION_DATES} dates {CALIBRATION_SPACING_DAYS} days apart with "
            f"their outcome at least {shortest} days later: score more business dates "
            "(backfill) before calibrating"
        )
    known = outcomes(facts, horizon)
    dates = _spaced(sorted(set(known["as_of_date"].to_list())))
    past = facts.filter(pl.col("as_of_date").is_in(dates))
    keys = ["as_of_date", "customer_id"]
    rows = (
        score_churn(past, config, time_unit_days=time_unit_days, with_value=False)
        .collect()
        .join(known, on=keys)
        .join(
            past.select(*keys, _frequency=pl.col("order_days_lifetime").cast(pl.Float64) - 1),
            on=keys,
        )
        .filter(
            pl.col("churn_probability").is_not_null() & pl.col("expected_purchases").is_not_null()
        )
    )
    churned = int(rows["churned"].sum())
    if rows.height < MIN_CALIBRATION_ROWS or min(churned, rows.height - churned) < (
        MIN_CALIBRATION_OUTCOMES
    ):
        raise CalibrationError(
            f"{rows.height} past customer rows with a known outcome ({churned} churned); "
            f"calibration needs {MIN_CALIBRATION_ROWS} rows and {MIN_CALIBRATION_OUTCOMES} of "
            "each outcome"
        )
    features = calibration_features(
        rows["churn_probability"].to_numpy(),
        rows["expected_purchases"].to_numpy(),
        rows["_frequency"].to_numpy(),
    )
    weights = _logistic(features, rows["churned"].cast(pl.Float64).to_numpy())
    return Calibration(
        weights=tuple(float(w) for w in weights),
        rows=rows.height,
        churned=churned,
        dates=tuple(dates),
        horizon_days=horizon,
    )


# --------------------------------------------------------------------------- back-test


def bgnbd_expected_purchases(
    facts: pl.DataFrame, horizon_days: int, time_unit_days: int = 7
) -> pl.Series:
    """Plain BG/NBD expected purchases over the horizon, fitted on ``facts`` (one as-of date);
    all null when the fit fails or does not converge."""
    first, last = pl.col("first_order_date"), pl.col("last_order_date")
    summary = facts.select(
        x=pl.col("order_days_lifetime").cast(pl.Float64) - 1,
        t_x=(last - first).dt.total_days() / time_unit_days,
        T=(pl.col("as_of_date") - first).dt.total_days() / time_unit_days,
    )
    ok = (
        summary.select(pl.all_horizontal(pl.all().is_not_null()) & (pl.col("x") >= 0))
        .to_series()
        .to_numpy()
    )
    values = np.full(facts.height, np.nan)
    x, t_x, T = (summary[c].to_numpy()[ok] for c in ("x", "t_x", "T"))
    try:
        fit = fit_model("bgnbd", x, t_x, T)
    except ValueError:
        return pl.Series("bgnbd_expected_purchases", values).fill_nan(None)
    if fit.converged:
        values[ok] = math_.expected_purchases(
            fit.params, horizon_days / time_unit_days, x, t_x, T, "bgnbd"
        )
    return pl.Series("bgnbd_expected_purchases", values).fill_nan(None)


def deciles(predicted: np.ndarray, churned: np.ndarray) -> list[tuple[int, float, float, int]]:
    """(decile, mean predicted, observed churn rate, customers) over ten equal-count groups
    of ascending ``predicted`` (ties split by their order)."""
    order = np.argsort(predicted, kind="mergesort")
    return [
        (i + 1, float(predicted[g].mean()), float(churned[g].mean()), len(g))
        for i, g in enumerate(np.array_split(order, 10))
        if len(g)
    ]


def backtest(
    history: pl.DataFrame | pl.LazyFrame,
    config: ChurnConfig,
    *,
    as_of_dates: Sequence[dt.date] | None = None,
    calibrate: bool = True,
    time_unit_days: int = 7,
) -> pl.DataFrame:
    """Quality of the churn probability on past dates of ``history`` with known outcomes.

    For each date D (default: every date whose D + horizon is in ``history``) the facts as of
    D are scored; with ``calibrate`` the calibration is learnt from what a run on D could have
    known (facts up to D, so outcomes of dates up to D − horizon) and used when possible.
    Long frame with columns ``as_of_date``, ``score``, ``metric``, ``decile``, ``value``:

    - ``auc`` for ``churn_probability`` and each of :data:`BASELINES` (− expected purchases,
      days since the last order, − order days), over the customers kam gave a probability;
    - for ``churn_probability`` also ``customers``, ``churned``, ``flagged``, ``precision``,
      ``recall`` (of ``is_churn_risk``), ``calibrated`` (1 or 0), and per ``decile``
      ``mean_predicted`` and ``observed_churn_rate``.
    """
    facts = history.lazy().collect()
    horizon = config.prediction_horizon_days
    known = outcomes(facts, horizon)
    dates = sorted(set(known["as_of_date"].to_list()))
    if as_of_dates is not None:
        wanted = set(as_of_dates)
        dates = [d for d in dates if d in wanted]
    keys = ["as_of_date", "customer_id"]
    rows: list[dict[str, object]] = []
    for date in dates:
        day = facts.filter(pl.col("as_of_date") == date)
        calibration = None
        if calibrate:
            try:
                calibration = fit_calibration(
                    facts.filter(pl.col("as_of_date") <= date),
                    config,
                    time_unit_days=time_unit_days,
                )
            except CalibrationError:
                calibration = None
        baselines = day.select(
            *keys,
            "days_since_last_order",
            "order_days_lifetime",
            bgnbd_expected_purchases_=bgnbd_expected_purchases(day, horizon, time_unit_days),
        )
        frame = (
            score_churn(day, config, time_unit_days=time_unit_days, calibration=calibration)
            .collect()
            .join(known.filter(pl.col("as_of_date") == date), on=keys)
            .join(baselines, on=keys)
            .filter(pl.col("churn_probability").is_not_null())
        )
        label = frame["churned"]
        if frame.height == 0 or label.all() or not label.any():
            continue
        measured: list[tuple[str, str, float | None, int | None]] = [
            ("churn_probability", "auc", roc_auc(frame["churn_probability"], label), None)
        ]
        oriented = {
            "bgnbd_expected_purchases": -frame["bgnbd_expected_purchases_"],
            "days_since_last_order": frame["days_since_last_order"].cast(pl.Float64),
            "order_days_lifetime": -frame["order_days_lifetime"].cast(pl.Float64),
        }
        for name, values in oriented.items():
            if not values.is_null().any():
                measured.append((name, "auc", roc_auc(values, label), None))
        flag = precision_recall(frame["is_churn_risk"], label)
        measured += [
            ("churn_probability", "customers", float(frame.height), None),
            ("churn_probability", "churned", float(label.sum()), None),
            ("churn_probability", "flagged", float(flag.flagged), None),
            ("churn_probability", "precision", flag.precision, None),
            ("churn_probability", "recall", flag.recall, None),
            ("churn_probability", "calibrated", float(calibration is not None), None),
        ]
        for decile, mean_predicted, observed, _ in deciles(
            frame["churn_probability"].to_numpy().astype(float),
            label.cast(pl.Float64).to_numpy(),
        ):
            measured.append(("churn_probability", "mean_predicted", mean_predicted, decile))
            measured.append(("churn_probability", "observed_churn_rate", observed, decile))
        rows += [
            {"as_of_date": date, "score": s, "metric": m, "decile": d, "value": v}
            for s, m, v, d in measured
        ]
    return pl.DataFrame(rows, schema=QUALITY_SCHEMA)
