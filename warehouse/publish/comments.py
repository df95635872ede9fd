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
    for column, old in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = "
        "current_database() and schema_name = 'main' and table_name = ? order by column_index",
        [name],
    ).fetchall():
        new = column_comment(column, columns)
        if new != old:
            con.execute(f"comment on column main.{name}.{_identifier(column)} is {_literal(new)}")


def column_comment(column: str, columns: dict[str, str]) -> str | None:
    """The description of ``column`` in ``columns``: its own, else that of the first pattern
    (``credit_ind_*``) that matches it; None when neither names it."""
    text = columns.get(column)
    if text is None:
        patterns = ((p, t) for p, t in columns.items() if "*" in p)
        text = next((t for p, t in patterns if fnmatch.fnmatchcase(column, p)), None)
    return text


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
