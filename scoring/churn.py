"""Churn (客户流失): churn probability, lifetime value at risk, call list and warning signs.

:func:`score_churn` fits a repeat-buying model per business date on every customer's order
history and scores, per customer:

- ``churn_probability`` = P(no purchase within ``prediction_horizon_days``) =
  1 − P(alive) + P(alive) · P(0 purchases | alive) (see docs/churn-model.md);
- ``customer_lifetime_value``: discounted expected remaining purchases × the Gamma-Gamma
  expected value of a purchase × the contribution margin (seed 004, scoring/clv.py);
- ``is_churn_risk`` / ``churn_call_priority``: the call list, the top of the ranking by
  churn probability × value at risk, sized by configuration;
- ``churn_risk_level`` from the probability; the warning signs (reason codes with Chinese
  names) explain the risk, they do not rank it.

Fitting is a fallback chain: the configured model, the other BG/NBD-family model, then a
model-free estimate. A fit that did not converge, has implausible parameters or gives
non-finite predictions is rejected and never used; ``churn_model`` names what scored each
row and ``churn_model_note`` says why the earlier choices were rejected.

:func:`roc_auc` and :func:`precision_recall` measure how well scores and flags found the
customers who really left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
import polars as pl

from scoring import _bgnbd_math as math_
from scoring.bgnbd import MODELS, BgNbdFit, fit_model
from scoring.clv import (
    discounted_expected_purchases,
    expected_purchase_value,
    fit_gamma_gamma,
)
from scoring.config import ChurnConfig
from scoring.frames import as_float as _num
from scoring.frames import date_keys as _keys
from scoring.frames import joined as _joined
from scoring.frames import per_date as _over
from scoring.labels import label_to_zh

log = logging.getLogger(__name__)

#: Name of the model-free estimate in ``churn_model``.
MODEL_FREE = "model_free"
#: A customer's own purchase cycle stretches their horizon only from this many repeat purchases.
MIN_REPEATS_FOR_OWN_CYCLE = 2
#: Steps of the lifetime-value sum, in days (each step's purchases discounted at its midpoint).
LIFETIME_STEP_DAYS = 30

#: ``churn_model_status`` values.
STATUS_FITTED = "fitted"
STATUS_FALLBACK = "fallback"
STATUS_NO_PURCHASE_HISTORY = "no_purchase_history"
STATUS_INCONSISTENT = "inconsistent_order_history"
STATUS_NO_REPEAT_BUYERS = "no_repeat_buyers"
STATUSES = (
    STATUS_FITTED,
    STATUS_FALLBACK,
    STATUS_NO_PURCHASE_HISTORY,
    STATUS_INCONSISTENT,
    STATUS_NO_REPEAT_BUYERS,
)

#: Chinese names of the columns written by :func:`score_churn`.
COLUMN_NAMES_ZH: dict[str, str] = {
    "churn_probability": "流失概率",
    "probability_alive": "活跃概率",
    "expected_purchases": "预期购买次数",
    "expected_revenue_next_period": "预期下期交易额",
    "churn_model": "流失模型",
    "churn_model_status": "流失模型状态",
    "churn_model_note": "流失模型说明",
    "churn_score": "流失预警信号分",
    "churn_risk_level": "流失风险等级",
    "churn_risk_level_zh": "流失风险等级(中文)",
    "is_churn_risk": "是否流失预警",
    "churn_reasons": "流失预警原因",
    "churn_reasons_zh": "流失预警原因(中文)",
    "expected_purchase_value": "预期单次购买金额",
    "customer_lifetime_value": "客户终身价值",
    "value_at_risk": "流失损失金额",
    "churn_call_priority": "挽留优先顺序",
}

OUTPUT_COLUMNS: tuple[str, ...] = tuple(COLUMN_NAMES_ZH)

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


class ChurnInputError(ValueError):
    """The customer facts lack columns the churn step needs."""


#: Inputs of the calibration (scoring/churn_calibration.py), in the order of its weights.
CALIBRATION_FEATURES = (
    "intercept",
    "logit_churn_probability",
    "log_expected_purchases",
    "log1p_frequency",
)


@dataclass(frozen=True)
class Calibration:
    """Logistic weights over :data:`CALIBRATION_FEATURES`, learnt by
    :func:`scoring.churn_calibration.fit_calibration` from ``rows`` past customer rows."""

    weights: tuple[float, ...]
    rows: int
    churned: int
    dates: tuple[date, ...]
    horizon_days: int

    def describe(self) -> str:
        """One clause for ``churn_model_note``."""
        return (
            f"probability calibrated on {self.rows} customer rows of {len(self.dates)} past "
            f"date(s) {min(self.dates)}..{max(self.dates)}"
        )


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


# --------------------------------------------------------------------------- model inputs


def _model_inputs(schema: pl.Schema, time_unit_days: int) -> dict[str, pl.Expr]:
    """frequency / recency / T in time units, and a pre-fit status (null = can be scored)."""
    first = pl.col("first_order_date").cast(pl.Date)
    last = pl.col("last_order_date").cast(pl.Date)
    if "as_of_date" in schema:
        age_days = (pl.col("as_of_date").cast(pl.Date) - first).dt.total_days()
    else:  # tenure_days = as-of date − first order date
        age_days = pl.col("tenure_days")
    frequency = pl.col("order_days_lifetime").cast(pl.Int64) - 1
    recency = (last - first).dt.total_days() / time_unit_days
    age = age_days.cast(pl.Float64) / time_unit_days
    has_history = (first.is_not_null() & (pl.col("order_days_lifetime") >= 1)).fill_null(False)
    consistent = (
        (frequency >= 0) & (recency >= 0) & (recency <= age) & ((frequency == 0) == (recency == 0))
    ).fill_null(False)
    status = (
        pl.when(~has_history)
        .then(pl.lit(STATUS_NO_PURCHASE_HISTORY))
        .when(~consistent)
        .then(pl.lit(STATUS_INCONSISTENT))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return {"_frequency": frequency, "_recency": recency, "_T": age, "_pre_status": status}


# --------------------------------------------------------------------------- the fallback chain

_Rows = np.ndarray


@dataclass(frozen=True)
class Scorer:
    """Predictions of one accepted model for one business date (all times in model units)."""

    model: str
    probability_alive: Callable[[_Rows, _Rows, _Rows], _Rows]
    expected_purchases: Callable[[float, _Rows, _Rows, _Rows], _Rows]
    # the horizon may differ per customer (an array)
    probability_no_purchase: Callable[[float | _Rows, _Rows, _Rows, _Rows], _Rows]


def _model_scorer(model: str, params: tuple[float, float, float, float]) -> Scorer:
    return Scorer(
        model=model,
        probability_alive=lambda x, t_x, T: math_.probability_alive(params, x, t_x, T, model),
        expected_purchases=lambda t, x, t_x, T: math_.expected_purchases(
            params, t, x, t_x, T, model
        ),
        probability_no_purchase=lambda t, x, t_x, T: math_.probability_no_purchase(
            params, t, x, t_x, T, model
        ),
    )


def model_free_scorer(x: _Rows, t_x: _Rows, T: _Rows) -> Scorer | None:
    """The estimate used when no model fit is acceptable; None without any repeat purchase.

    Each customer's purchase rate is their repeat purchases shrunk towards the pooled rate
    λ̄ = Σx / ΣT (a Gamma prior of shape 1 and mean λ̄): λ̂ = (x + 1) / (T + 1/λ̄). The
    chance of still buying is the chance of a silence at least as long as theirs at that rate,
    P(alive) = exp(−λ̂ (T − t_x)); then P(no purchase in t) = 1 − P(alive)(1 − exp(−λ̂ t)) and
    E[purchases in t] = P(alive) λ̂ t.
    """
    total_time = float(np.sum(T))
    repeat = float(np.sum(x))
    if repeat <= 0 or total_time <= 0:
        return None
    prior_time = total_time / repeat  # 1 / λ̄

    def rate(x: _Rows, T: _Rows) -> _Rows:
        return (x + 1.0) / (T + prior_time)

    def alive(x: _Rows, t_x: _Rows, T: _Rows) -> _Rows:
        return np.exp(-rate(x, T) * (T - t_x))

    return Scorer(
        model=MODEL_FREE,
        probability_alive=alive,
        expected_purchases=lambda t, x, t_x, T: alive(x, t_x, T) * rate(x, T) * t,
        probability_no_purchase=lambda t, x, t_x, T: (
            1.0 - alive(x, t_x, T) * (1.0 - np.exp(-rate(x, T) * t))
        ),
    )


def rejection(
    scorer: Scorer, fit: BgNbdFit, x: _Rows, t_x: _Rows, T: _Rows, horizon: float
) -> str | None:
    """Why a converged fit must not be used, or None: a parameter outside
    :data:`scoring.bgnbd.PARAMETER_BOUNDS`, or predictions not finite / outside their range."""
    problem = fit.implausible_parameter()
    if problem is not None:
        return problem
    with np.errstate(all="ignore"):
        alive = scorer.probability_alive(x, t_x, T)
        expected = scorer.expected_purchases(horizon, x, t_x, T)
        zero = scorer.probability_no_purchase(horizon, x, t_x, T)
    if not (np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))):
        return "probability alive not finite or outside 0..1"
    if not (np.all(np.isfinite(expected)) and np.all(expected >= 0)):
        return "expected purchases not finite or negative"
    if not (np.all(np.isfinite(zero)) and np.all((zero >= -1e-12) & (zero <= 1 + 1e-12))):
        return "probability of no purchase not finite or outside 0..1"
    return None


class Choice(NamedTuple):
    """The scorer chosen for one date (None: nothing can score), its status and the why."""

    scorer: Scorer | None
    status: str
    note: str


def choose_scorer(
    x: _Rows,
    t_x: _Rows,
    T: _Rows,
    config: ChurnConfig,
    horizon: float,
    fit: Callable[..., BgNbdFit] | None = None,
) -> Choice:
    """Walk the fallback chain: the configured model, the other model, the model-free estimate."""
    fit = fit or fit_model
    chain = [config.model, *(m for m in MODELS if m != config.model)]
    repeat_buyers = int(np.sum(x > 0))
    rejected: list[str] = []
    if repeat_buyers < config.min_repeat_buyers:
        rejected.append(
            f"models not fitted: {repeat_buyers} repeat buyer(s), fewer than min_repeat_buyers"
            f" = {config.min_repeat_buyers}"
        )
    else:
        for model in chain:
            try:
                result = fit(model, x, t_x, T)
            except Exception as error:  # the nightly run goes on with the next choice
                log.warning("churn model %s could not be fitted: %s", model, error)
                rejected.append(f"{model} fit failed ({type(error).__name__}: {error})")
                continue
            if not result.converged:
                rejected.append(f"{model} fit did not converge")
                continue
            scorer = _model_scorer(model, result.params)
            reason = rejection(scorer, result, x, t_x, T, horizon)
            if reason is not None:
                rejected.append(f"{model} fit rejected: {reason}")
                continue
            if not rejected:
                return Choice(scorer, STATUS_FITTED, f"{model} fitted on {len(x)} customers")
            return Choice(scorer, STATUS_FALLBACK, "; ".join([*rejected, f"{model} used instead"]))
    scorer = model_free_scorer(x, t_x, T)
    if scorer is None:
        return Choice(
            None,
            STATUS_NO_REPEAT_BUYERS,
            "; ".join([*rejected, "no repeat purchase at all: nothing to estimate from"]),
        )
    return Choice(scorer, STATUS_FALLBACK, "; ".join([*rejected, "model-free estimate used"]))


# --------------------------------------------------------------------------- one business date


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
        return own, "spend: own average value (Gamma-Gamma fit not usable)"
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


# --------------------------------------------------------------------------- warning signs


def _sign_weights(config: ChurnConfig, keys: Sequence[str]) -> dict[str, pl.Expr]:
    """Each enabled sign's weight where it fires, else 0, in the fixed reason order.

    A null input never fires. ``product_dependence`` weighs by the number of categories.
    """
    s = config.signals
    cycle = pl.coalesce(
        _num("mean_days_between_orders"), _over(_num("mean_days_between_orders").median(), keys)
    )
    last_year = _num("revenue_recent_last_year")
    prior = _num("interaction_count_prior_recent")
    dependence = s.product_dependence
    categories = pl.col("distinct_categories_trailing").cast(pl.Int64)
    dependence_weight = pl.when(pl.col("order_count_trailing") > 0).then(
        categories.replace_strict(
            {int(k): float(v) for k, v in dependence.weight_by_categories.items()},
            default=None,
            return_dtype=pl.Float64,
        )
    )
    rules = {
        "no_recent_order": _num("days_since_last_order") > s.no_recent_order.cycle_multiple * cycle,
        "revenue_drop": (last_year > 0)
        & (_num("revenue_recent") < s.revenue_drop.max_ratio * last_year),
        "open_complaints": pl.col("open_complaint_count") >= s.open_complaints.min_count,
        "product_dependence": dependence_weight.is_not_null(),
        "payment_worsening": _num("average_days_past_due_recent")
        - _num("average_days_past_due_trailing")
        > s.payment_worsening.min_increase_days,
        "contact_quiet": (prior > 0)
        & (_num("interaction_count_recent") < s.contact_quiet.max_ratio * prior),
        "model_inactive": pl.col("probability_alive") < s.model_inactive.max_probability_alive,
    }
    weights: dict[str, pl.Expr] = {}
    for code, rule in rules.items():
        sign = getattr(s, code)
        weight = dependence_weight if code == "product_dependence" else pl.lit(float(sign.weight))
        weights[code] = (
            pl.when(rule.fill_null(False)).then(weight).otherwise(0.0)
            if sign.enabled
            else pl.lit(0.0)
        )
    return weights


def _risk_level(config: ChurnConfig) -> pl.Expr:
    levels = config.risk_levels
    probability = pl.col("churn_probability")
    rule = pl.when(probability >= levels[0].min_probability).then(pl.lit(levels[0].label))
    for level in levels[1:]:
        rule = rule.when(probability >= level.min_probability).then(pl.lit(level.label))
    return rule.otherwise(pl.lit(levels[-1].label))


def required_columns(config: ChurnConfig, schema: pl.Schema) -> list[str]:
    """Facts columns :func:`score_churn` reads (``tenure_days`` only without ``as_of_date``)."""
    columns = [
        "customer_id",
        "order_days_lifetime",
        "first_order_date",
        "last_order_date",
        "days_since_last_order",
        "mean_days_between_orders",
        "revenue_lifetime",
        "revenue_trailing",
        "contribution_trailing",
        "revenue_recent",
        "revenue_recent_last_year",
        "open_complaint_count",
        "order_count_trailing",
        "distinct_categories_trailing",
        "average_days_past_due_recent",
        "average_days_past_due_trailing",
        "interaction_count_recent",
        "interaction_count_prior_recent",
        "average_order_value_trailing",
        "average_order_value_lifetime",
    ]
    if "as_of_date" not in schema:
        columns.append("tenure_days")
    return columns


def _check_columns(config: ChurnConfig, schema: pl.Schema) -> None:
    missing = [c for c in required_columns(config, schema) if c not in schema]
    if missing:
        hint = (
            " order_days_lifetime (distinct order dates) is added by the current dbt model:"
            " rebuild it with `dbt build --select fct_customer_facts`."
            if "order_days_lifetime" in missing
            else ""
        )
        raise ChurnInputError(
            f"customer facts are missing column(s) {', '.join(missing)} needed by the churn "
            f"step (scoring/churn.py) — fix: pass fct_customer_facts as documented in "
            f"docs/facts.md.{hint}"
        )


def _margin(config: ChurnConfig) -> pl.Expr:
    """Share of a purchase's value the company keeps: contribution ÷ revenue (trailing), or 1."""
    if config.lifetime_value.value_basis == "revenue":
        return pl.lit(1.0)
    revenue = _num("revenue_trailing")
    return pl.when(revenue > 0).then(_num("contribution_trailing") / revenue)


def _call_list(config: ChurnConfig, keys: Sequence[str]) -> dict[str, pl.Expr]:
    """Priority (1 = call first) among customers at or above the call list's minimum
    probability, by churn probability × value at risk (unknown value last), then probability,
    then customer id; flagged = within the configured size."""
    calls = config.call_list
    candidate = pl.col("churn_probability") >= calls.min_probability
    customers = _over(pl.len(), keys)
    limits = []
    if calls.top_share is not None:
        limits.append((customers.cast(pl.Float64) * calls.top_share + 1e-9).floor())
    if calls.top_n is not None:
        limits.append(pl.lit(float(calls.top_n)))
    size = pl.min_horizontal(limits)
    priority = pl.when(candidate.fill_null(False)).then(
        _over(pl.col("_order").rank("ordinal"), [*keys, "_candidate"])
    )
    return {"churn_call_priority": priority.cast(pl.Int64), "_size": size}


# --------------------------------------------------------------------------- scoring


def score_churn(
    facts: pl.LazyFrame | pl.DataFrame,
    config: ChurnConfig,
    *,
    time_unit_days: int = 7,
    calibration: Calibration | None = None,
    with_value: bool = True,
) -> pl.LazyFrame:
    """Churn probability, lifetime value, call list, risk level and reasons per customer.

    The repeat-buying model is fitted per ``as_of_date`` inside the lazy plan (one Python call
    per business date, no row loops), on frequency = order_days_lifetime − 1, recency = last −
    first order date and T = as_of_date − first order date, in ``time_unit_days`` (weeks).
    With a ``calibration`` (learnt from past dates, scoring/churn_calibration.py) the model's
    probability is replaced by the calibrated one before levels and the call list are set.
    ``with_value=False`` skips the spend model and lifetime value (their columns, and so the
    call list's ranking, are null) — for calibration and back-tests, which need the probability.
    Columns: see :data:`OUTPUT_COLUMNS` and docs/scoring.md. Raises :class:`ChurnInputError`
    when a needed facts column is missing.
    """
    if time_unit_days <= 0:
        raise ValueError(f"time_unit_days must be > 0, got {time_unit_days}")
    lazy = facts.lazy()
    schema = lazy.collect_schema()
    _check_columns(config, schema)
    keys = _keys(schema)
    base = lazy.select(
        *keys,
        "customer_id",
        **_model_inputs(schema, time_unit_days),
        _order_value=pl.coalesce(
            _num("average_order_value_trailing"), _num("average_order_value_lifetime")
        ),
        **{
            c: pl.col(c)
            for c in required_columns(config, schema)
            if c not in {*keys, "customer_id"}
        },
    )
    fitted_schema = pl.Schema({**base.collect_schema(), **_FIT_SCHEMA})
    fitted = base.map_batches(
        lambda frame: _score_all_dates(frame, config, time_unit_days, calibration, with_value),
        schema=fitted_schema,
    )
    weights = _sign_weights(config, keys)
    names_zh = {code: getattr(config.signals, code).name_zh for code in weights}
    fired = {code: pl.col(f"_sign_{code}") > 0 for code in weights}
    lifetime_value = (
        pl.col("_lifetime_purchases") * pl.col("expected_purchase_value") * _margin(config)
    )
    calls = _call_list(config, keys)
    return (
        fitted.with_columns(**{f"_sign_{code}": weight for code, weight in weights.items()})
        .with_columns(
            churn_score=pl.sum_horizontal(pl.col(f"_sign_{c}") for c in weights).round(9),
            churn_reasons=_joined([pl.when(f).then(pl.lit(c)) for c, f in fired.items()]),
            churn_reasons_zh=_joined(
                [pl.when(f).then(pl.lit(names_zh[c])) for c, f in fired.items()]
            ),
            expected_revenue_next_period=pl.col("expected_purchases") * pl.col("_order_value"),
            customer_lifetime_value=lifetime_value,
            value_at_risk=lifetime_value.clip(lower_bound=0.0),
            churn_risk_level=_risk_level(config),
        )
        .with_columns(label_to_zh("churn_risk_level", config.risk_levels))
        .sort(
            [
                *keys,
                pl.col("churn_probability") * pl.col("value_at_risk"),
                "churn_probability",
                "customer_id",
            ],
            descending=[*([False] * len(keys)), True, True, False],
            nulls_last=True,
        )
        .with_columns(
            _order=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
            _candidate=(pl.col("churn_probability") >= config.call_list.min_probability).fill_null(
                False
            ),
        )
        .with_columns(**calls)
        .with_columns(
            is_churn_risk=(pl.col("churn_call_priority") <= pl.col("_size")).fill_null(False)
        )
        .select(*keys, "customer_id", *OUTPUT_COLUMNS)
        .sort([*keys, "customer_id"])
    )


# --------------------------------------------------------------------------- measured quality


def _series(
    values: Sequence[float] | Sequence[bool] | pl.Series | np.ndarray, name: str
) -> pl.Series:
    series = values if isinstance(values, pl.Series) else pl.Series(name, values, strict=False)
    if series.null_count():
        raise ValueError(f"{name} has {series.null_count()} missing value(s); drop those rows")
    return series


def _booleans(
    values: Sequence[bool] | Sequence[int] | pl.Series | np.ndarray, name: str
) -> pl.Series:
    series = _series(values, name)
    if not series.cast(pl.Float64).is_in([0.0, 1.0]).all():
        raise ValueError(f"{name} must be true/false or 1/0 (labels: 1 = really churned)")
    return series.cast(pl.Boolean)


def roc_auc(
    scores: Sequence[float] | pl.Series | np.ndarray,
    labels: Sequence[bool] | Sequence[int] | pl.Series | np.ndarray,
) -> float:
    """ROC AUC of ``scores`` (higher = more likely positive) by the rank (Mann–Whitney) formula;
    tied scores get their average rank, so a tie between a positive and a negative counts ½."""
    score = _series(scores, "scores").cast(pl.Float64)
    label = _booleans(labels, "labels")
    if score.len() != label.len():
        raise ValueError(f"{score.len()} scores but {label.len()} labels; pass one of each per row")
    positives = int(label.sum())
    negatives = label.len() - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs at least one positive and one negative label")
    rank_sum = float(score.rank("average").filter(label).sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


class PrecisionRecall(NamedTuple):
    """Precision (share of flagged who are positive) and recall (share of positives flagged)."""

    precision: float | None
    recall: float | None
    true_positives: int
    flagged: int
    positives: int


def precision_recall(
    flags: Sequence[bool] | pl.Series | np.ndarray,
    labels: Sequence[bool] | Sequence[int] | pl.Series | np.ndarray,
) -> PrecisionRecall:
    """Precision and recall of boolean ``flags``; a ratio over nothing is None."""
    flag = _booleans(flags, "flags")
    label = _booleans(labels, "labels")
    if flag.len() != label.len():
        raise ValueError(f"{flag.len()} flags but {label.len()} labels; pass one of each per row")
    hits = int((flag & label).sum())
    flagged, positives = int(flag.sum()), int(label.sum())
    return PrecisionRecall(
        precision=hits / flagged if flagged else None,
        recall=hits / positives if positives else None,
        true_positives=hits,
        flagged=flagged,
        positives=positives,
    )
