"""Points on a configured scale: the bands or value map of a tier criterion or credit
indicator (``config/scoring.yaml``) applied to a metric as a Polars expression."""

from __future__ import annotations

import polars as pl

from scoring.config.scales import Scale


def points_expr(value: pl.Expr, scale: Scale) -> pl.Expr:
    """Points for ``value`` on a configured scale: first matching band (or the value map),
    ``otherwise`` when no band matches, ``missing`` when the value is null."""
    if scale.points_by_value:
        mapped = value.cast(pl.String).replace_strict(
            dict(scale.points_by_value), default=scale.otherwise, return_dtype=pl.Float64
        )
        return pl.when(value.is_null()).then(pl.lit(scale.missing)).otherwise(mapped)
    rule = pl.when(value.is_null()).then(pl.lit(scale.missing))
    for band in scale.bands:
        met = value >= band.at_least if band.at_least is not None else value <= band.at_most
        rule = rule.when(met).then(pl.lit(band.points))
    return rule.otherwise(pl.lit(scale.otherwise)).cast(pl.Float64)
