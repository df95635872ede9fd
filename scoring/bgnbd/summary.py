"""The customer summary (frequency, recency, T) built from one row per purchase."""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.bgnbd.inputs import BgNbdInputError


def summarise_transactions(
    frame: pl.DataFrame | pl.LazyFrame,
    customer_col: str,
    date_col: str,
    calibration_end: dt.date,
    time_unit_days: float = 7,
) -> pl.LazyFrame:
    """Per-customer frequency / recency / T from purchases dated on or before `calibration_end`.

    One row per purchase (sales lines only: drop returns first). All purchases of a customer
    on one calendar day are one purchase occasion. With first / last = first / last purchase
    date: frequency = occasions − 1, recency = (last − first) days / time_unit_days,
    T = (calibration_end − first) days / time_unit_days. This reproduces the published
    CDNOW summary exactly (weeks, calibration_end 1997-09-30). Rows with a null date are
    outside every period and ignored.
    """
    if time_unit_days <= 0:
        raise ValueError(f"time_unit_days must be > 0, got {time_unit_days}")
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    for column in (customer_col, date_col):
        if column not in schema.names():
            raise BgNbdInputError(
                f"missing column '{column}'",
                f"Available columns: {', '.join(schema.names())}",
            )
    if not isinstance(schema[date_col], pl.Date | pl.Datetime):
        raise BgNbdInputError(
            f"column '{date_col}' has type {schema[date_col]}, expected a date or datetime",
            "Parse it first, e.g. pl.col(...).str.to_date('%Y%m%d')",
            date_col,
        )
    end = pl.lit(calibration_end, dtype=pl.Date)
    day = pl.col(date_col).cast(pl.Date)
    return (
        lazy.select(pl.col(customer_col), day.alias("_day"))
        .filter(pl.col("_day") <= end)
        .group_by(customer_col)
        .agg(
            first=pl.col("_day").min(),
            last=pl.col("_day").max(),
            occasions=pl.col("_day").n_unique(),
        )
        .select(
            pl.col(customer_col),
            frequency=(pl.col("occasions") - 1).cast(pl.Int64),
            recency=(pl.col("last") - pl.col("first")).dt.total_days() / time_unit_days,
            T=(end - pl.col("first")).dt.total_days() / time_unit_days,
        )
        .sort(customer_col)
    )
