"""Churn (客户流失): repeat-buying model plus the B2B warning signs of SPEC §5.

:func:`score_churn` fits the configured repeat-buying model (MBG/NBD by default, see
docs/churn-model.md) per business date on every customer's order history, scores probability
alive and expected purchases, fires the configured warning signs (reason codes), sums their
weights into a churn score, grades it and prices what losing the customer costs.

The model never stops the nightly run: when it cannot be fitted (too few repeat buyers, a
failed or non-converged fit) its columns are null and ``churn_model_status`` says why; the
rule-based signs are still scored.

:func:`roc_auc` and :func:`precision_recall` measure how well scores and flags found the
customers who really left.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import polars as pl

from scoring import _bgnbd_math as math_
from scoring.bgnbd import fit_model
from scoring.config import ChurnConfig
from scoring.labels import label_to_zh
from scoring.metrics import metric_expr

log = logging.getLogger(__name__)

#: The model is fitted only when at least this many customers bought on two or more days.
MIN_REPEAT_BUYERS = 2

#: ``churn_model_status`` values.
STATUS_FITTED = "fitted"
STATUS_NO_PURCHASE_HISTORY = "no_purchase_history"
STATUS_INCONSISTENT = "inconsistent_order_history"
STATUS_TOO_FEW_REPEAT_BUYERS = "too_few_repeat_buyers"
STATUS_NOT_CONVERGED = "fit_not_converged"
STATUS_FIT_FAILED = "fit_failed"
STATUS_NOT_FINITE = "prediction_not_finite"

#: Chinese names of the columns written by :func:`score_churn`.
COLUMN_NAMES_ZH: dict[str, str] = {
    "probability_alive": "活跃概率",
    "expected_purchases": "预期购买次数",
    "expected_revenue_next_period": "预期下期交易额",
    "churn_model": "流失模型",
    "churn_model_status": "流失模型状态",
    "churn_score": "流失风险评分",
    "churn_risk_level": "流失风险等级",
    "churn_risk_level_zh": "流失风险等级(中文)",
    "is_churn_risk": "是否流失预警",
    "churn_reasons": "流失预警原因",
    "churn_reasons_zh": "流失预警原因(中文)",
    "value_at_risk": "流失损失金额",
    "churn_call_priority": "挽留优先顺序",
}

OUTPUT_COLUMNS: tuple[str, ...] = tuple(COLUMN_NAMES_ZH)

_FIT_COLUMNS = ("probability_alive", "expected_purchases", "churn_model_status")


class ChurnInputError(ValueError):
    """The customer facts lack columns the churn step needs."""


def _keys(schema: pl.Schema) -> list[str]:
    return ["as_of_date"] if "as_of_date" in schema else []


def _over(expr: pl.Expr, keys: Sequence[str]) -> pl.Expr:
    return expr.over(keys) if keys else expr


def _num(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64)


# --------------------------------------------------------------------------- model inputs


def _model_inputs(schema: pl.Schema, time_unit_days: int) -> dict[str, pl.Expr]:
    """frequency / recency / T in time units, and a pre-fit status (null = can be fitted)."""
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


def _fit_one_date(part: pl.DataFrame, model: str, horizon: float) -> pl.DataFrame:
    """Fit the model on one business date's customers and add the model columns."""
    eligible = part["_pre_status"].is_null().to_numpy()
    x = part["_frequency"].to_numpy()[eligible].astype(np.float64)
    t_x = part["_recency"].to_numpy()[eligible]
    age = part["_T"].to_numpy()[eligible]
    alive = np.full(part.height, np.nan)
    expected = np.full(part.height, np.nan)
    date = part["as_of_date"][0] if "as_of_date" in part.columns and part.height else None
    status = STATUS_FITTED
    if int(np.sum(x > 0)) < MIN_REPEAT_BUYERS:
        status = STATUS_TOO_FEW_REPEAT_BUYERS
    else:
        try:
            fit = fit_model(model, x, t_x, age)
            if fit.converged:
                alive[eligible] = math_.probability_alive(fit.params, x, t_x, age, model)
                expected[eligible] = math_.expected_purchases(
                    fit.params, horizon, x, t_x, age, model
                )
            else:
                status = STATUS_NOT_CONVERGED
        except Exception:  # the nightly run goes on with the rule-based signs
            log.exception("churn model %s could not be fitted for %s", model, date)
            status = STATUS_FIT_FAILED
    if status != STATUS_FITTED and eligible.any():
        log.warning("churn model %s not used for %s: %s", model, date, status)
    not_finite = eligible & ~(np.isfinite(alive) & np.isfinite(expected))
    if status == STATUS_FITTED and not_finite.any():
        log.warning(
            "churn model %s gave %d non-finite prediction(s) for %s (degenerate fit)",
            model,
            int(not_finite.sum()),
            date,
        )
    row_status = np.where(not_finite & (status == STATUS_FITTED), STATUS_NOT_FINITE, status)
    return part.with_columns(
        probability_alive=pl.Series(np.where(np.isfinite(alive), alive, np.nan)).fill_nan(None),
        expected_purchases=pl.Series(np.where(np.isfinite(expected), expected, np.nan)).fill_nan(
            None
        ),
        churn_model_status=pl.coalesce(
            pl.col("_pre_status"),
            pl.when(pl.Series(eligible)).then(pl.Series(row_status, dtype=pl.String)),
        ),
    )


def _fit_all_dates(frame: pl.DataFrame, model: str, horizon: float) -> pl.DataFrame:
    keys = _keys(frame.schema)
    parts = frame.partition_by(keys, maintain_order=True) if keys else [frame]
    scored = [_fit_one_date(part, model, horizon) for part in parts if part.height]
    if not scored:
        return frame.with_columns(
            probability_alive=pl.lit(None, dtype=pl.Float64),
            expected_purchases=pl.lit(None, dtype=pl.Float64),
            churn_model_status=pl.lit(None, dtype=pl.String),
        )
    return pl.concat(scored)


# --------------------------------------------------------------------------- warning signs


def _signs(config: ChurnConfig, keys: Sequence[str]) -> dict[str, pl.Expr]:
    """Each enabled sign as a boolean expression, in the fixed reason order; null never fires."""
    s = config.signals
    cycle = pl.coalesce(
        _num("mean_days_between_orders"), _over(_num("mean_days_between_orders").median(), keys)
    )
    last_year = _num("revenue_recent_last_year")
    prior = _num("interaction_count_prior_recent")
    rules = {
        "no_recent_order": _num("days_since_last_order") > s.no_recent_order.cycle_multiple * cycle,
        "revenue_drop": (last_year > 0)
        & (_num("revenue_recent") < s.revenue_drop.max_ratio * last_year),
        "open_complaints": pl.col("open_complaint_count") >= s.open_complaints.min_count,
        "single_category": (pl.col("order_count_trailing") > 0)
        & (pl.col("distinct_categories_trailing") <= s.single_category.max_categories),
        "payment_worsening": _num("average_days_past_due_recent")
        - _num("average_days_past_due_trailing")
        > s.payment_worsening.min_increase_days,
        "contact_quiet": (prior > 0)
        & (_num("interaction_count_recent") < s.contact_quiet.max_ratio * prior),
        "model_inactive": pl.col("probability_alive") < s.model_inactive.max_probability_alive,
    }
    return {
        code: rule.fill_null(False) if getattr(s, code).enabled else pl.lit(False)
        for code, rule in rules.items()
    }


def _joined(parts: Sequence[pl.Expr]) -> pl.Expr:
    """The non-null parts joined by ";", null when none is set.

    ``concat_str`` skipping nulls is a flat string kernel; a list built per row with
    ``concat_list().list.join()`` is ~30× slower at 100,000 customers.
    """
    joined = pl.concat_str(parts, separator=";", ignore_nulls=True)
    return pl.when(joined != "").then(joined)


def _risk_level(config: ChurnConfig) -> pl.Expr:
    levels = config.risk_levels
    rule = pl.when(pl.col("churn_score") >= levels[0].min_score).then(pl.lit(levels[0].label))
    for level in levels[1:]:
        rule = rule.when(pl.col("churn_score") >= level.min_score).then(pl.lit(level.label))
    return rule.otherwise(pl.lit(levels[-1].label))


def required_columns(config: ChurnConfig, schema: pl.Schema) -> list[str]:
    """Facts columns :func:`score_churn` reads (``tenure_days`` only without ``as_of_date``)."""
    value = metric_expr(config.value_at_risk_metric, schema).meta.root_names()
    columns = [
        "customer_id",
        "order_days_lifetime",
        "first_order_date",
        "last_order_date",
        "days_since_last_order",
        "mean_days_between_orders",
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
        *value,
    ]
    if "as_of_date" not in schema:
        columns.append("tenure_days")
    return list(dict.fromkeys(columns))


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


# --------------------------------------------------------------------------- scoring


def score_churn(
    facts: pl.LazyFrame | pl.DataFrame, config: ChurnConfig, *, time_unit_days: int = 7
) -> pl.LazyFrame:
    """Churn model, warning signs, risk level and value at risk per customer (and as_of_date).

    The repeat-buying model is fitted per ``as_of_date`` inside the lazy plan (one Python call
    per business date, no row loops), on frequency = order_days_lifetime − 1, recency = last −
    first order date and T = as_of_date − first order date, in ``time_unit_days`` (weeks).
    Columns: see :data:`OUTPUT_COLUMNS` and docs/scoring.md. Raises :class:`ChurnInputError`
    when a needed facts column is missing.
    """
    if time_unit_days <= 0:
        raise ValueError(f"time_unit_days must be > 0, got {time_unit_days}")
    lazy = facts.lazy()
    schema = lazy.collect_schema()
    _check_columns(config, schema)
    keys = _keys(schema)
    horizon = config.prediction_horizon_days / time_unit_days
    base = lazy.select(
        *keys,
        "customer_id",
        **_model_inputs(schema, time_unit_days),
        _value=metric_expr(config.value_at_risk_metric, schema).cast(pl.Float64),
        _order_value=pl.coalesce(
            _num("average_order_value_trailing"), _num("average_order_value_lifetime")
        ),
        **{
            c: pl.col(c)
            for c in required_columns(config, schema)
            if c not in {*keys, "customer_id"}
        },
    )
    base_schema = base.collect_schema()
    fitted_schema = pl.Schema(
        {
            **base_schema,
            "probability_alive": pl.Float64,
            "expected_purchases": pl.Float64,
            "churn_model_status": pl.String,
        }
    )
    fitted = base.map_batches(
        lambda frame: _fit_all_dates(frame, config.model, horizon), schema=fitted_schema
    )
    signs = _signs(config, keys)
    weights = {code: getattr(config.signals, code).weight for code in signs}
    names_zh = {code: getattr(config.signals, code).name_zh for code in signs}
    score = pl.sum_horizontal(
        [pl.when(pl.col(f"_sign_{c}")).then(pl.lit(w)).otherwise(0.0) for c, w in weights.items()]
    )
    fired = {code: pl.col(f"_sign_{code}") for code in signs}
    return (
        fitted.with_columns(**{f"_sign_{code}": rule for code, rule in signs.items()})
        .with_columns(
            churn_score=score.cast(pl.Float64).round(9),
            churn_reasons=_joined([pl.when(f).then(pl.lit(c)) for c, f in fired.items()]),
            churn_reasons_zh=_joined(
                [pl.when(f).then(pl.lit(names_zh[c])) for c, f in fired.items()]
            ),
            churn_model=pl.lit(config.model),
            expected_revenue_next_period=pl.col("expected_purchases") * pl.col("_order_value"),
            value_at_risk=pl.col("_value").clip(lower_bound=0.0),
        )
        .with_columns(
            churn_risk_level=_risk_level(config),
            is_churn_risk=pl.col("churn_score") >= config.flag_min_score,
        )
        .with_columns(label_to_zh("churn_risk_level", config.risk_levels))
        .sort(
            [*keys, "is_churn_risk", "value_at_risk", "churn_score", "customer_id"],
            descending=[*([False] * len(keys)), True, True, True, False],
            nulls_last=True,
        )
        .with_columns(
            churn_call_priority=pl.when(pl.col("is_churn_risk")).then(
                _over(pl.int_range(1, pl.len() + 1, dtype=pl.Int64), keys)
            )
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
