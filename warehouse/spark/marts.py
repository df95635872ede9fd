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
            held = _columns(con, table)
            if table in history and held and set(held) == set(frame.columns):
                # Inserted by name, in the DuckDB table's types: a history the DuckDB engine
                # built (an installation that moved to Spark) keeps its dates and its types.
                _register(con, frame)
                con.execute(
                    f"delete from {table} where {DATE_COLUMN} in (select unnest(?))", [dates]
                )
                con.execute(f"insert into {table} by name select * from _incoming")
                for day in dates:
                    partition_writes.record(con, table, day)
            else:
                # A dimension; or a history table that is new in DuckDB or whose columns
                # differ (the model changed): then every date is copied, and publishing,
                # seeing other columns, copies the table in full too.
                whole = frame
                if table in history:
                    # Spark keeps a partition column last; the facts model selects it first.
                    whole = read_table(session, table)
                    whole = whole.select(DATE_COLUMN, pl.exclude(DATE_COLUMN))
                    if held:
                        _refuse_losing_dates(con, table, whole)
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


class MartsCopyError(ValueError):
    """Copying a mart from Spark would drop rows only the DuckDB warehouse holds."""


def _refuse_losing_dates(con: duckdb.DuckDBPyConnection, table: str, whole: pl.DataFrame) -> None:
    """Refuse to replace a history table whose dates Spark does not all hold."""
    held = {row[0] for row in con.execute(f"select distinct {DATE_COLUMN} from {table}").fetchall()}
    missing = sorted(held - set(whole[DATE_COLUMN].unique().to_list()))
    if missing:
        raise MartsCopyError(
            f"{table} in the DuckDB warehouse has other columns than Spark's, and Spark lacks "
            f"{len(missing)} of its dates ({missing[0]} … {missing[-1]}): replacing it would "
            "lose them — fix: build those dates on Spark first (kam backfill --engine spark "
            f"--start {missing[0]} --end {missing[-1]}), or run this date on duckdb"
        )


def _register(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    con.register("_incoming", frame.to_arrow())


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of the DuckDB table ``table`` (none when it does not exist)."""
    schema, name = table.split(".")
    return [
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() "
            "where schema_name = ? and table_name = ? order by column_index",
            [schema, name],
        ).fetchall()
    ]
