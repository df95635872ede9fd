"""The Spark marts copied into the DuckDB warehouse, through Arrow, for what reads them there.

On the Spark engine dbt builds the marts in Spark. Scoring (the facts of past dates for its
churn calibration as well as today's) and publishing (the BI copy, :mod:`warehouse.publish`)
read the writer warehouse, a DuckDB file; this copy gives them the marts there, unchanged in
name, so neither needs to know which engine built them. A history table (``by_date``, the
facts) gets only the dates dbt built in this run, logged in the partition-write log as dbt's
post-hook logs them on DuckDB; any other mart is replaced whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from warehouse import partition_writes
from warehouse.spark.arrow import read_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The column a history table's dates are in.
DATE_COLUMN = "as_of_date"


def copy_marts(
    session: SparkSession,
    con: duckdb.DuckDBPyConnection,
    tables: Iterable[str],
    dates: Sequence[date],
) -> dict[str, int]:
    """Copy each Spark table of ``tables`` (``schema.name``) into the DuckDB table of the same
    name, a history table only its rows of ``dates`` (the dates dbt built this run: the night's,
    and a quarter's end built for credit); returns the rows copied per table. All tables change
    in one DuckDB transaction."""
    dates = sorted(set(dates))
    history = set(partition_writes.HISTORY_TABLES)
    frames = {
        table: read_table(session, table, {DATE_COLUMN: dates} if table in history else None)
        for table in tables
    }
    con.execute("begin transaction")
    try:
        for table, frame in frames.items():
            con.execute(f"create schema if not exists {table.split('.')[0]}")
            if table in history and _same_columns(con, table, frame):
                _register(con, frame)
                con.execute(
                    f"delete from {table} where {DATE_COLUMN} in (select unnest(?))", [dates]
                )
                con.execute(f"insert into {table} select * from _incoming")
                for day in dates:
                    partition_writes.record(con, table, day)
            else:
                # A dimension; or a history table that is new in DuckDB or whose columns
                # differ (the engine changed): then every date is copied, and publishing,
                # seeing other columns, copies the table in full too.
                whole = frame if table not in history else read_table(session, table)
                _register(con, whole)
                con.execute(f"create or replace table {table} as select * from _incoming")
                frames[table] = whole
                if table in history:
                    for day in sorted(whole[DATE_COLUMN].unique().to_list()):
                        partition_writes.record(con, table, day)
            con.unregister("_incoming")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return {table: frame.height for table, frame in frames.items()}


def _register(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    con.register("_incoming", frame.to_arrow())


def _same_columns(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> bool:
    """Whether the DuckDB table ``table`` exists with the columns (names and types) the frame
    would give it."""
    schema, name = table.split(".")
    held = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = ? and table_name = ? order by column_index",
        [schema, name],
    ).fetchall()
    return bool(held) and held == _frame_columns(con, frame)


def _frame_columns(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> list[tuple[str, str]]:
    con.register("_columns", frame.head(0).to_arrow())
    try:
        return [(row[0], row[1]) for row in con.execute("describe _columns").fetchall()]
    finally:
        con.unregister("_columns")
