"""Make a table of the staging copy hold exactly the rows of its warehouse source, rewriting only
what changed: a table whose rows (count and sum of row hashes, per ``as_of_date`` where it has
one) and columns are unchanged is kept as it is, a table with changed dates has only those dates
replaced, any other is copied again in full."""

from __future__ import annotations

import duckdb

from warehouse.publish.types import PublishedTable

# Column by which large, growing tables are compared and replaced date by date.
PARTITION_COLUMN = "as_of_date"


def source_query(table: PublishedTable) -> str:
    replace = ", ".join(f"{expr} as {column}" for column, expr in table.replace)
    columns = f"* replace ({replace})" if replace else "*"
    return f"select {columns} from warehouse.{table.source_schema}.{table.source_table}"


def drop_unpublished(con: duckdb.DuckDBPyConnection, names: set[str]) -> None:
    """Tables of the previous publication that this one does not publish (and ``publication``)."""
    for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database()"
    ).fetchall():
        if name not in names:
            con.execute(f"drop table main.{name}")
    for (name,) in con.execute(
        "select view_name from duckdb_views() where database_name = current_database() "
        "and not internal"
    ).fetchall():
        con.execute(f"drop view main.{name}")


def sync_table(
    con: duckdb.DuckDBPyConnection, name: str, source: str, written: set | None = None
) -> set | None:
    """Make ``main.<name>`` hold exactly the rows of ``source``.

    Returns the ``as_of_date`` values whose rows were replaced (empty: the table already held
    them all), or None when the table was copied in full. ``written`` (a by-date table's dates
    written since the previous publication, from the log) replaces hashing every date.
    """
    columns = table_columns(con, source)
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and table_name = ?",
        [name],
    ).fetchall()[0][0]
    if not exists or table_columns(con, f"main.{name}") != columns:
        con.execute(f"create or replace table main.{name} as {source}")
        return None
    key = PARTITION_COLUMN if any(c[0] == PARTITION_COLUMN for c in columns) else None
    if key is not None and written is not None:
        found = _find_written_changes(con, f"main.{name}", source, key, written)
    else:
        found = find_changes(con, f"main.{name}", source, key)
    if not found:
        return set()
    if key is None:
        con.execute(f"create or replace table main.{name} as {source}")
        return None
    changed = {row[0] for row in con.execute("select k from _changes").fetchall()}
    # The dates as constants: the filter then reaches the scans, which read only those dates'
    # row groups (a filter on a subquery would read every column of all history).
    values = sorted(v for v in changed if v is not None)
    where = " or ".join(
        ([f"{key} in ({', '.join('?' for _ in values)})"] if values else [])
        + ([f"{key} is null"] if None in changed else [])
    )
    con.execute(f"delete from main.{name} where {where}", values)
    con.execute(f"insert into main.{name} select * from ({source}) where {where}", values)
    return changed


def table_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """Names and types of a table or query, in order (constraints are not copied, so ignored)."""
    return [(row[0], row[1]) for row in con.execute(f"describe {relation}").fetchall()]


def find_changes(con: duckdb.DuckDBPyConnection, table: str, source: str, key: str | None) -> int:
    """Fill temp table ``_changes`` with the ``key`` values (null for a whole table without one)
    whose rows differ between ``table`` and ``source`` (row count or sum of row hashes)."""
    group = key or "null"
    fingerprint = "select {g} as k, count(*) as n, sum(hash(t)::hugeint) as h from ({q}) as t"
    new = fingerprint.format(g=group, q=source) + " group by all"
    old = fingerprint.format(g=group, q=f"select * from {table}") + " group by all"
    con.execute(
        f"""
        create or replace temp table _changes as
        select coalesce(new.k, old.k) as k
        from ({new}) as new full join ({old}) as old on new.k is not distinct from old.k
        where new.n is distinct from old.n or new.h is distinct from old.h
        """
    )
    return con.execute("select count(*) from _changes").fetchall()[0][0]


def _find_written_changes(
    con: duckdb.DuckDBPyConnection, table: str, source: str, key: str, written: set
) -> int:
    """:func:`find_changes` for a history table: the ``written`` dates, and every date whose
    row count differs (a date deleted or added outside the log). Reads only the key column."""
    count = "select {k} as k, count(*) as n from ({q}) group by all"
    new, old = count.format(k=key, q=source), count.format(k=key, q=f"select * from {table}")
    con.execute(
        f"""
        create or replace temp table _changes as
        select unnest(cast(? as date[])) as k
        union
        select coalesce(new.k, old.k)
        from ({new}) as new full join ({old}) as old on new.k is not distinct from old.k
        where new.n is distinct from old.n
        """,
        [sorted(written)],
    )
    return con.execute("select count(*) from _changes").fetchall()[0][0]


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'main' and table_name = ?",
            [name],
        ).fetchall()[0][0]
    )
