"""Point-in-time customer facts of a made-up order history, for the tests of the churn
calibration, the back-test and the churn_model_quality table."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

START = date(2023, 1, 1)
# Columns the churn step reads that these tests do not vary.
CONSTANT: dict[str, Any] = {
    "revenue_recent": 100.0,
    "revenue_recent_last_year": 100.0,
    "revenue_trailing": 400.0,
    "contribution_trailing": 100.0,
    "open_complaint_count": 0,
    "order_count_trailing": 3,
    "distinct_categories_trailing": 3,
    "distinct_products_trailing": 3,
    "average_days_past_due_recent": 0.0,
    "average_days_past_due_trailing": 0.0,
    "interaction_count_recent": 2,
    "interaction_count_prior_recent": 2,
    "average_order_value_trailing": 50.0,
    "average_order_value_lifetime": 50.0,
}


def facts_at(orders: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The order-history facts of every customer with an order on or before ``as_of``."""
    day = pl.col("order_date")
    days = day.n_unique()
    return (
        orders.filter(day <= as_of)
        .group_by("customer_id")
        .agg(
            first_order_date=day.min(),
            last_order_date=day.max(),
            order_days_lifetime=days.cast(pl.Int64),
            revenue_lifetime=pl.col("amount").sum(),
        )
        .with_columns(
            as_of_date=pl.lit(as_of),
            days_since_last_order=(pl.lit(as_of) - pl.col("last_order_date")).dt.total_days(),
            mean_days_between_orders=pl.when(pl.col("order_days_lifetime") >= 2).then(
                (pl.col("last_order_date") - pl.col("first_order_date")).dt.total_days()
                / (pl.col("order_days_lifetime") - 1)
            ),
            **{k: pl.lit(v) for k, v in CONSTANT.items()},
        )
        .sort("customer_id")
    )


def orders_of(seed: int, customers: int = 600) -> pl.DataFrame:
    """Customers who buy at their own rate until they stop (a stop date), over two years."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, date, float]] = []
    for i in range(customers):
        start = rng.integers(0, 200)
        life = rng.exponential(300)
        gap = rng.gamma(2.0, 20.0)
        t = float(start)
        while t < min(start + life, 730):
            rows.append((f"c{i:04d}", START + timedelta(days=int(t)), float(rng.gamma(3, 20))))
            t += rng.exponential(gap) + 1
    return pl.DataFrame(rows, schema=["customer_id", "order_date", "amount"], orient="row")


def facts_history(seed: int, dates: list[date]) -> pl.DataFrame:
    orders = orders_of(seed)
    return pl.concat([facts_at(orders, d) for d in dates], how="vertical")
