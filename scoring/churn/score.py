"""The churn step: :func:`score_churn` joins inputs, per-date predictions, warning signs, risk
levels and the call list into one lazy plan."""

from __future__ import annotations

import polars as pl

from scoring.churn.call_list import _call_list, _margin
from scoring.churn.inputs import _check_columns, _model_inputs, required_columns
from scoring.churn.probability import _FIT_SCHEMA, _score_all_dates
from scoring.churn.results import OUTPUT_COLUMNS, Calibration
from scoring.churn.signs import _risk_level, _sign_weights
from scoring.config import ChurnConfig
from scoring.frames import as_float as _num
from scoring.frames import date_keys as _keys
from scoring.frames import joined as _joined
from scoring.labels import label_to_zh


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
    Columns: see :data:`OUTPUT_COLUMNS` and docs/churn.md. Raises :class:`ChurnInputError`
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
