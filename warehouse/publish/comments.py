"""The descriptions BI tools show next to a published table and its columns (``COMMENT ON``)."""

from __future__ import annotations

import fnmatch

import duckdb


def comment(
    con: duckdb.DuckDBPyConnection, name: str, table: str | None, columns: dict[str, str]
) -> None:
    """Give ``main.<name>`` and its columns these descriptions (none for a column not named);
    only what differs from the copy is written, so an unchanged night changes nothing."""
    current = con.execute(
        "select comment from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main' and table_name = ?",
        [name],
    ).fetchall()[0][0]
    if current != table:
        con.execute(f"comment on table main.{name} is {_literal(table)}")
    patterns = [(p, text) for p, text in columns.items() if "*" in p]
    for column, old in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = "
        "current_database() and schema_name = 'main' and table_name = ? order by column_index",
        [name],
    ).fetchall():
        new = columns.get(column)
        if new is None:
            new = next((t for p, t in patterns if fnmatch.fnmatchcase(column, p)), None)
        if new != old:
            con.execute(f"comment on column main.{name}.{_identifier(column)} is {_literal(new)}")


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
