"""Account-management rules beyond the tiers: service coverage, share of wallet, profitability,
lifecycle stage and the top customers (docs/scoring.md, "Relationship").

:func:`relationship` takes the customer facts plus the tier columns it builds on
(``pyramid_tier``, ``is_key_account`` and ``revenue_rank``, from :mod:`scoring.tier`) and
returns one row per customer (and ``as_of_date``) with the columns of :data:`OUTPUT_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from scoring.columns import columns_of
from scoring.config import RelationshipConfig
from scoring.frames import as_float as _num
from scoring.frames import codes_fired, date_keys
from scoring.frames import per_date as _over
from scoring.labels import SERVICE_GAPS_ZH, label_to_zh

#: Columns written by :func:`relationship` (declared in scoring/columns.py).
OUTPUT_COLUMNS: tuple[str, ...] = columns_of("relationship")


def _share(column: str, keys: Sequence[str]) -> pl.Expr:
    """A customer's share of the company total of ``column`` (each floored at 0)."""
    value = _num(column).fill_null(0.0).clip(lower_bound=0.0)
    total = _over(value.sum(), keys)
    return pl.when(total > 0).then(value / total)


def _service_gaps(config: RelationshipConfig, keys: Sequence[str]) -> dict[str, pl.Expr]:
    """Each gap as a boolean (never null), in the order of :data:`SERVICE_GAPS_ZH`."""
    s = config.service
    watched = pl.col("is_key_account") | pl.col("pyramid_tier").is_in(
        list(s.watched_pyramid_levels)
    )
    days = pl.col("days_since_last_contact")
    small = pl.col("pyramid_tier").is_in(list(s.small_pyramid_levels))
    cost_share = pl.col("cost_to_serve_share_trailing")
    revenue_share = _share("revenue_trailing", keys)
    overserved = (cost_share > 0) & (
        revenue_share.is_null() | (cost_share > s.max_cost_share_over_revenue_share * revenue_share)
    )
    return {
        # Never contacted counts as not contacted within the limit.
        "no_recent_contact": watched & (days.is_null() | (days > s.max_days_without_contact)),
        "too_few_contacts": watched
        & (pl.col("contact_employee_count_trailing").fill_null(0) < s.min_contact_employees),
        "overserved": small & overserved,
    }


def _lifecycle(config: RelationshipConfig) -> pl.Expr:
    """First matching stage: prospect, lapsed, newcomer, growing, declining, else stable."""
    c = config.lifecycle
    trailing, prior = _num("revenue_trailing"), _num("revenue_prior_trailing")
    return (
        pl.when(pl.col("first_order_date").is_null())
        .then(pl.lit("prospect"))
        .when(pl.col("days_since_last_order") > c.lapsed_days_since_last_order)
        .then(pl.lit("lapsed"))
        .when(pl.col("tenure_days") < c.new_tenure_days)
        .then(pl.lit("newcomer"))
        .when(trailing > (1 + c.growth_rate) * prior.clip(lower_bound=0.0))
        .then(pl.lit("growing"))
        .when(trailing < (1 - c.decline_rate) * prior)
        .then(pl.lit("declining"))
        .otherwise(pl.lit("stable"))
    )


def relationship(scored: pl.LazyFrame, config: RelationshipConfig) -> pl.LazyFrame:
    """Service coverage, share of wallet, profitability, lifecycle stage and top customers.

    ``scored`` is the customer facts with ``pyramid_tier``, ``is_key_account`` and
    ``revenue_rank`` (:func:`scoring.tier.revenue_rank`) added.
    """
    schema = scored.collect_schema()
    keys = date_keys(schema)
    on = [*keys, "customer_id"]
    gaps = _service_gaps(config, keys)
    cogs = _num("cost_of_goods_sold_annualised")
    handling = config.profitability.handling_cost_per_order
    after_handling = _num("contribution_trailing") - handling * _num("order_count_trailing")
    revenue = _num("revenue_trailing")
    return (
        scored.with_columns(cost_to_serve_share_trailing=_share("cost_to_serve_trailing", keys))
        .with_columns(
            service_gaps=codes_fired(gaps),
            service_gaps_zh=codes_fired(gaps, SERVICE_GAPS_ZH),
        )
        .with_columns(
            has_service_gap=pl.col("service_gaps").is_not_null(),
            share_of_wallet=pl.when(cogs > 0).then(revenue.clip(lower_bound=0.0) / cogs),
            share_of_wallet_missing=~(cogs > 0).fill_null(False),
            contribution_after_handling_trailing=after_handling,
            is_unprofitable=(after_handling < 0).fill_null(False),
            lifecycle_stage=_lifecycle(config),
            is_top_customer=(pl.col("revenue_rank") <= config.top_customers.count).fill_null(False),
        )
        .with_columns(label_to_zh("lifecycle_stage", config.lifecycle.levels))
        .select(*on, *OUTPUT_COLUMNS)
        .sort(on)
    )
