"""Which dates of a history table were written since the previous publication, read from the
warehouse's partition-write log (:mod:`warehouse.partition_writes`)."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from warehouse.partition_writes import TABLE as PARTITION_WRITES


def write_log_token(con: duckdb.DuckDBPyConnection) -> str | None:
    """The state of the warehouse's partition-write log: its highest write id and first write
    time (so the log of another, re-created warehouse is never taken for this one's); None
    without a log."""
    try:
        high, first = con.execute(
            f"select max(write_id), min(written_at) from warehouse.{PARTITION_WRITES}"
        ).fetchall()[0]
    except duckdb.CatalogException:
        return None
    return None if high is None else f"{high}@{first.isoformat()}"


def written_since(
    con: duckdb.DuckDBPyConnection, token: str | None, seen: str | None
) -> Callable[[str], set | None]:
    """A function giving a warehouse table's dates written after ``seen`` (the previous
    publication's token), or None (compare every date) when the log cannot tell."""
    high, _, first = (token or "").partition("@")
    seen_id, _, seen_first = (seen or "").partition("@")
    if token is None or seen is None or seen_first != first or not seen_id.isdigit():
        return lambda _table: None
    if int(seen_id) > int(high):
        return lambda _table: None

    def dates(table: str) -> set | None:
        rows = con.execute(
            f"select distinct as_of_date from warehouse.{PARTITION_WRITES} "
            "where table_name = ? and write_id > ?",
            [table, int(seen_id)],
        ).fetchall()
        return {row[0] for row in rows}

    return dates
