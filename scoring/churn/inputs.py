"""The customer-facts columns the churn step reads, and the repeat-buying model's inputs
(frequency, recency, T) built from them."""

from __future__ import annotations

import polars as pl

from scoring.churn.results import STATUS_INCONSISTENT, STATUS_NO_PURCHASE_HISTORY
from scoring.config import ChurnConfig


class ChurnInputError(ValueError):
    """The customer facts lack columns the churn step needs."""


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
        config.signals.product_dependence.column,
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
        if "distinct_products_trailing" in missing:
            hint += (
                " distinct_products_trailing is added by the current dbt model (run the date"
                " again), or weigh categories instead: churn.signals.product_dependence."
                "weight_by_categories in the scoring configuration."
            )
        raise ChurnInputError(
            f"customer facts are missing column(s) {', '.join(missing)} needed by the churn "
            f"step (scoring/churn/inputs.py) — fix: pass fct_customer_facts as documented in "
            f"docs/facts.md.{hint}"
        )


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
