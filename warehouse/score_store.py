"""Write scores back to the warehouse (schema ``scores``): history, current, credit, migrations.

Re-running a business date replaces that date's rows (never duplicates them); a re-run quarter
replaces that quarter's credit grades. ``customer_scores`` is rebuilt from the history of the
newest business date, so backfilling an old date never moves "current" backwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

import duckdb
import polars as pl

from scoring.labels import MIGRATING_SCHEMES
from scoring.migration import migration_matrix
from warehouse import partition_writes
from warehouse.faults import crash_point

SCHEMA = "scores"
HISTORY = f"{SCHEMA}.customer_score_history"
CURRENT = f"{SCHEMA}.customer_scores"
CREDIT = f"{SCHEMA}.credit_grades"
MIGRATIONS = f"{SCHEMA}.score_migrations"
CREDIT_MIGRATIONS = f"{SCHEMA}.credit_grade_migrations"
LABELS = f"{SCHEMA}.score_labels"
# Written by warehouse/churn_quality.py.
CHURN_QUALITY = f"{SCHEMA}.churn_model_quality"
# Which of these BI reads: warehouse/registry.py.


def scheme_levels(labels: pl.DataFrame) -> dict[str, list[str]]:
    """Ordered labels of each scheme, from :func:`scoring.labels.label_table`."""
    ordered = labels.sort("scheme", "sort_order")
    return {
        scheme: ordered.filter(pl.col("scheme") == scheme)["label"].to_list()
        for scheme in ordered["scheme"].unique(maintain_order=True)
    }


def read_facts(con: duckdb.DuckDBPyConnection, as_of: date) -> pl.DataFrame:
    """Customer facts for one business date, money as floats for scoring."""
    frame = con.sql(
        "select * from marts.fct_customer_facts where as_of_date = $d order by customer_id",
        params={"d": as_of},
    ).pl()
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def has_facts(con: duckdb.DuckDBPyConnection, as_of: date) -> bool:
    """Whether facts as of ``as_of`` have been built."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' "
        "and table_name = 'fct_customer_facts'"
    ).fetchall()[0][0]
    if not exists:
        return False
    return bool(
        con.execute(
            "select count(*) from marts.fct_customer_facts where as_of_date = ?", [as_of]
        ).fetchall()[0][0]
    )


def write_scores(
    con: duckdb.DuckDBPyConnection,
    scores: pl.DataFrame,
    as_of: date,
    grades: pl.DataFrame,
    quarter_label: str,
    run_id: str,
    levels: dict[str, list[str]],
    labels: pl.DataFrame,
) -> None:
    """Replace a date's scores and migrations and a quarter's credit grades and migration, then
    rebuild the current scores once; all in one transaction."""
    with _transaction(con):
        _replace_daily_scores(con, scores, as_of, run_id, levels, labels)
        _replace_credit_grades(con, grades, quarter_label, run_id, levels["credit_grade"])
        _rebuild_current(con)
        crash_point("scoring")


def _replace_daily_scores(
    con: duckdb.DuckDBPyConnection,
    scores: pl.DataFrame,
    as_of: date,
    run_id: str,
    levels: dict[str, list[str]],
    labels: pl.DataFrame,
) -> None:
    frame = scores.with_columns(run_id=pl.lit(run_id))
    _replace_rows(con, HISTORY, frame, "as_of_date", as_of)
    partition_writes.record(con, HISTORY, as_of)
    _replace_migrations(con, as_of, frame, levels)
    # A backfilled date becomes the predecessor of the next date already scored: that date's
    # moves were counted from whatever came before (or from nothing), so count them again.
    next_date = con.execute(
        f"select min(as_of_date) from {HISTORY} where as_of_date > ?", [as_of]
    ).fetchall()[0][0]
    if next_date is not None:
        _replace_migrations(
            con, next_date, _rows_at(con, HISTORY, "as_of_date", next_date, frame), levels
        )
    _replace_table(con, LABELS, labels)


def _replace_migrations(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    scores: pl.DataFrame,
    levels: dict[str, list[str]],
) -> None:
    """The moves into ``as_of`` from the previous business date scored (all new without one)."""
    previous_date = con.execute(
        f"select max(as_of_date) from {HISTORY} where as_of_date < ?", [as_of]
    ).fetchall()[0][0]
    previous = _rows_at(con, HISTORY, "as_of_date", previous_date, scores)
    migrations = _migrations(previous, scores, levels, MIGRATING_SCHEMES).with_columns(
        as_of_date=pl.lit(as_of), previous_as_of_date=pl.lit(previous_date, dtype=pl.Date)
    )
    _replace_rows(con, MIGRATIONS, migrations, "as_of_date", as_of)


def _replace_credit_grades(
    con: duckdb.DuckDBPyConnection,
    grades: pl.DataFrame,
    quarter_label: str,
    run_id: str,
    grade_levels: list[str],
) -> None:
    frame = grades.with_columns(run_id=pl.lit(run_id))
    _replace_rows(con, CREDIT, frame, "credit_quarter", quarter_label)
    previous_quarter = con.execute(
        f"select max(credit_quarter) from {CREDIT} where credit_quarter < ?", [quarter_label]
    ).fetchall()[0][0]
    previous = _rows_at(con, CREDIT, "credit_quarter", previous_quarter, frame)
    moves = _migrations(previous, frame, {"credit_grade": grade_levels}, ("credit_grade",))
    moves = moves.drop("scheme").with_columns(
        credit_quarter=pl.lit(quarter_label),
        previous_credit_quarter=pl.lit(previous_quarter, dtype=pl.String),
    )
    _replace_rows(con, CREDIT_MIGRATIONS, moves, "credit_quarter", quarter_label)


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block or nothing of it."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _migrations(
    previous: pl.DataFrame,
    current: pl.DataFrame,
    levels: dict[str, list[str]],
    schemes: tuple[str, ...],
) -> pl.DataFrame:
    frames = [
        migration_matrix(
            _recorded(previous, scheme), current, scheme, levels=levels[scheme]
        ).select(pl.lit(scheme).alias("scheme"), pl.all())
        for scheme in schemes
    ]
    return pl.concat(frames)


def _recorded(previous: pl.DataFrame, scheme: str) -> pl.DataFrame:
    """The previous rows that recorded a level of ``scheme``: a date scored by an earlier kam,
    before the scheme existed, has none, and its customers count as new to the scheme."""
    if scheme not in previous.columns:
        return previous.clear().with_columns(pl.lit(None, dtype=pl.String).alias(scheme))
    return previous.filter(pl.col(scheme).is_not_null())


def _rows_at(
    con: duckdb.DuckDBPyConnection, table: str, key: str, value: object, empty_like: pl.DataFrame
) -> pl.DataFrame:
    """Rows of ``table`` where ``key = value``; none (shaped like ``empty_like``) if no value."""
    if value is None:
        return empty_like.clear()
    return con.sql(f"select * from {table} where {key} = $v", params={"v": value}).pl()


def _replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, key: str, value: object
) -> None:
    """Delete ``key = value`` from ``table`` and insert ``frame`` (creating the table if new)."""
    arrow = frame.to_arrow()
    con.register("_incoming", arrow)
    try:
        exists = _table_exists(con, table)
        if not exists:
            con.execute(f"create table {table} as select * from _incoming")
            return
        _add_new_columns(con, table)
        con.execute(f"delete from {table} where {key} = ?", [value])
        con.execute(f"insert into {table} by name select * from _incoming")
    finally:
        con.unregister("_incoming")


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Add the columns of ``_incoming`` that ``table`` lacks (a score column added by a newer
    kam): the history keeps its rows, dates scored before have null in them."""
    schema, name = table.split(".")
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    for column, column_type, *_ in con.execute("describe _incoming").fetchall():
        if column not in existing:
            con.execute(f'alter table {table} add column "{column}" {column_type}')


def _replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("_incoming", frame.to_arrow())
    try:
        con.execute(f"create or replace table {table} as select * from _incoming")
    finally:
        con.unregister("_incoming")


def _rebuild_current(con: duckdb.DuckDBPyConnection) -> None:
    """Newest business date's scores with each customer's latest credit grade alongside."""
    if not _table_exists(con, HISTORY):
        return
    newest = con.execute(f"select max(as_of_date) from {HISTORY}").fetchall()[0][0]
    con.execute(
        f"create or replace table {CURRENT} as {_scores_select(con)} order by customer_id",
        {"d": newest},
    )


def previous_business_date(con: duckdb.DuckDBPyConnection, as_of: date) -> date | None:
    """The latest business date before ``as_of`` whose scores are in the history, if any."""
    if not _table_exists(con, HISTORY):
        return None
    return con.execute(
        f"select max(as_of_date) from {HISTORY} where as_of_date < ?", [as_of]
    ).fetchall()[0][0]


def scores_as_of(con: duckdb.DuckDBPyConnection, as_of: date) -> pl.DataFrame:
    """One business date's scores with the credit grade of the latest quarter ended by then."""
    return con.sql(f"{_scores_select(con)} order by customer_id", params={"d": as_of}).pl()


def _scores_select(con: duckdb.DuckDBPyConnection) -> str:
    """Scores of business date ``$d`` with the credit grades of the last quarter ended by then."""
    if not _table_exists(con, CREDIT):
        return f"select * from {HISTORY} where as_of_date = $d"
    excluded = "customer_id, config_version, run_id" + (
        ", as_of_date" if _has_column(con, CREDIT, "as_of_date") else ""
    )
    return f"""
        select history.*, credit.* exclude ({excluded})
        from {HISTORY} as history
        left join (
            select * from {CREDIT}
            where credit_quarter = (
                select max(credit_quarter) from {CREDIT} where credit_quarter_end_date <= $d
            )
        ) as credit using (customer_id)
        where history.as_of_date = $d"""


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from duckdb_columns() where schema_name = ? and table_name = ? "
            "and column_name = ?",
            [schema, name, column],
        ).fetchall()[0][0]
    )
