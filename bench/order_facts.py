"""The churn inputs of fct_customer_facts that dated orders alone give, as the benches rebuild
them in-process (docs/facts.md): bench/churn_quality.py from CDNOW's records,
bench/backtest_parity_demo.py from the demo's order lines.

Each function returns named Polars expressions for ``group_by(...).agg(**...)`` or
``with_columns(**...)``, so both benches define every fact once and in the same words.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

TRAILING_DAYS = 365  # facts' trailing window: 12 months
RECENT_DAYS = 90  # facts' recent window
#: Facts columns the churn step reads that order lines alone cannot give (left null).
ABSENT_COLUMNS: dict[str, pl.DataType] = {
    "open_complaint_count": pl.Int64(),
    "distinct_categories_trailing": pl.Int64(),
    "distinct_products_trailing": pl.Int64(),
    "average_days_past_due_recent": pl.Float64(),
    "average_days_past_due_trailing": pl.Float64(),
    "interaction_count_recent": pl.Int64(),
    "interaction_count_prior_recent": pl.Int64(),
    "contribution_trailing": pl.Float64(),
}


def trailing(day: pl.Expr, as_of: dt.date) -> pl.Expr:
    """``day`` in the trailing window ending at ``as_of`` (rows after ``as_of`` are dropped
    before aggregating)."""
    return day > as_of - dt.timedelta(days=TRAILING_DAYS)


def order_date_facts(order_date: pl.Expr, as_of: dt.date) -> dict[str, pl.Expr]:
    """Aggregations of a customer's order dates up to ``as_of``: first and last, the number of
    distinct order days, the mean days between them, and orders in the trailing window."""
    first, last, days = order_date.min(), order_date.max(), order_date.n_unique()
    return {
        "first_order_date": first,
        "last_order_date": last,
        "order_days_lifetime": days.cast(pl.Int64),
        "mean_days_between_orders": pl.when(days >= 2).then(
            (last - first).dt.total_days() / (days - 1)
        ),
        "order_count_trailing": trailing(order_date, as_of).sum().cast(pl.Int64),
    }


def revenue_facts(day: pl.Expr, as_of: dt.date) -> dict[str, pl.Expr]:
    """Aggregations of ``amount`` by the ``day`` of each row up to ``as_of``: lifetime, trailing,
    recent, and the recent window a year before."""
    recent = (day > as_of - dt.timedelta(days=RECENT_DAYS)) & (day <= as_of)
    year_ago = as_of - dt.timedelta(days=365)
    recent_last_year = (day > year_ago - dt.timedelta(days=RECENT_DAYS)) & (day <= year_ago)
    amount = pl.col("amount")
    return {
        "revenue_lifetime": amount.sum(),
        "revenue_trailing": amount.filter(trailing(day, as_of)).sum(),
        "revenue_recent": amount.filter(recent).sum(),
        "revenue_recent_last_year": amount.filter(recent_last_year).sum(),
    }


def as_of_columns(as_of: dt.date) -> dict[str, pl.Expr]:
    """``as_of_date``, ``days_since_last_order`` and the absent columns (null), once the facts
    have ``last_order_date``."""
    return {
        "as_of_date": pl.lit(as_of),
        "days_since_last_order": (pl.lit(as_of) - pl.col("last_order_date")).dt.total_days(),
        **{name: pl.lit(None, dtype=dtype) for name, dtype in ABSENT_COLUMNS.items()},
    }
