"""Warning signs (reason codes with their weights) and the risk level from the probability."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from scoring.config import ChurnConfig
from scoring.frames import as_float as _num
from scoring.frames import per_date as _over


def _sign_weights(config: ChurnConfig, keys: Sequence[str]) -> dict[str, pl.Expr]:
    """Each enabled sign's weight where it fires, else 0, in the fixed reason order.

    A null input never fires. ``product_dependence`` weighs by the number of distinct products
    (or categories, by configuration) bought over the trailing window.
    """
    s = config.signals
    cycle = pl.coalesce(
        _num("mean_days_between_orders"), _over(_num("mean_days_between_orders").median(), keys)
    )
    last_year = _num("revenue_recent_last_year")
    prior = _num("interaction_count_prior_recent")
    dependence = s.product_dependence
    dependence_weight = pl.when(pl.col("order_count_trailing") > 0).then(
        pl.col(dependence.column)
        .cast(pl.Int64)
        .replace_strict(dependence.weights, default=None, return_dtype=pl.Float64)
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
