"""Who to call first: the margin that turns lifetime purchases into value at risk, and the
call list ranked by churn probability × value at risk."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from scoring.config import ChurnConfig
from scoring.frames import as_float as _num
from scoring.frames import per_date as _over


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
