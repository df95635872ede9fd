"""Frames between Spark tables and kam's Python steps, through Arrow.

Customer-level tables fit one machine: scoring reads the facts of one business date from Spark
(``DataFrame.toArrow``) into Polars, and frames go back to Spark as Parquet tables written by
Polars (:mod:`warehouse.spark.tables`), one file per date partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

import polars as pl

from warehouse.spark import tables

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

FACTS = "marts.fct_customer_facts"


def read_table(
    session: SparkSession, table: str, where: Mapping[str, object] | None = None
) -> pl.DataFrame:
    """Rows of the Spark table ``table`` (``schema.name``) whose columns equal ``where``'s
    values (or one of them, for a list). Timestamps come back as DuckDB holds them: without
    time zone, in UTC."""
    from pyspark.sql import functions as F

    frame = session.table(table)
    for column, value in (where or {}).items():
        if isinstance(value, list | tuple | set | frozenset):
            frame = frame.where(F.col(column).isin(sorted(value)))
        else:
            frame = frame.where(F.col(column) == F.lit(value))
    result = pl.from_arrow(frame.toArrow())
    return result.with_columns(
        pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        for name, kind in result.schema.items()
        if isinstance(kind, pl.Datetime) and kind.time_zone is not None
    )


def read_facts(session: SparkSession, as_of: date) -> pl.DataFrame:
    """Customer facts for one business date, money as floats for scoring: what
    :func:`warehouse.score_store.read_facts` gives from DuckDB, read from Spark."""
    facts = read_table(session, FACTS, {"as_of_date": as_of}).sort("customer_id")
    return facts.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def write_table(
    session: SparkSession,
    frame: pl.DataFrame,
    table: str,
    partition_column: str | None = None,
) -> list[date | None]:
    """Write ``frame`` to the Spark table ``table`` (``schema.name``; created from the frame's
    columns if missing). Partitioned by the date column ``partition_column``, only the dates
    ``frame`` holds are replaced; otherwise the whole table is. Returns what was written."""
    schema, name = table.split(".")
    parquet_table, _ = tables.ensure_table(
        session,
        schema,
        name,
        frame.to_arrow().schema,
        partition_column,
        rebuild_on_change=partition_column is None,
    )
    token = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    if partition_column is None:
        tables.write_file(parquet_table.location, token, frame.write_parquet)
        written: list[date | None] = [None]
    else:
        if frame[partition_column].null_count():
            raise ValueError(f"rows for {table} without {partition_column} cannot be written")
        written = sorted(frame[partition_column].unique().to_list())
        for value in written:
            part = frame.filter(pl.col(partition_column) == value).drop(partition_column)
            tables.write_file(parquet_table.partition_dir(value), token, part.write_parquet)
        tables.register_partitions(session, parquet_table, written)
    tables.refresh(session, parquet_table)
    return written
