"""A Parquet file as a relation like a CSV's, and which typed (Parquet or Excel) columns can
hold a contract column's values."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.contracts import Column
from ingestion.results import FileRejected, first_line
from ingestion.sql import ident, lit

PARQUET_INTEGERS = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)
# Parquet types (besides text) whose values a contract type takes; see parquet_kind.
PARQUET_ACCEPTS = {
    "string": ("integer", "fractional"),
    "integer": ("integer", "fractional"),
    "decimal": ("integer", "fractional"),
    "date": ("date", "timestamp"),
    "timestamp": ("date", "timestamp"),
    "boolean": ("boolean",),
}
PARQUET_HINTS = {
    "string": "text",
    "integer": "a whole number",
    "decimal": "a number",
    "date": "a date",
    "timestamp": "a timestamp",
    "boolean": "a boolean",
}


def parquet_relation(
    con: duckdb.DuckDBPyConnection, path: Path, name: str
) -> tuple[str, list[str], dict[str, str]]:
    """A Parquet file as a relation like a CSV's (``_line``, ``_raw``, ``_p0``, ``_p1``, …), its
    header, and the DuckDB type of each of its columns."""
    try:
        described = con.execute(f"describe select * from read_parquet({lit(str(path))})").fetchall()
    except duckdb.Error as exc:
        raise FileRejected(
            f"{name}: cannot be read as Parquet ({first_line(exc)}); export it "
            "again or set format: csv in the mapping if it is a CSV"
        ) from exc
    names = [row[0] for row in described]
    # DuckDB renames a repeated column (amount, amount_1); the file's own names let the header
    # check reject a repeated column as it does in a CSV header.
    try:
        header = pq.read_schema(path).names
    except (OSError, pa.ArrowException):
        header = names
    if len(header) != len(names):
        header = names
    native = {h: row[1] for h, row in zip(header, described, strict=True)}
    pack = ", ".join(f"{ident(c)} := {ident(c)}" for c in names)
    # Columns are renamed by position, so an export column called e.g. _line cannot clash.
    columns = ", ".join(f"{ident(c)} as _p{i}" for i, c in enumerate(names))
    relation = f"""(select file_row_number + 1 as _line, to_json(struct_pack({pack})) as _raw,
        cast(null as varchar) as _struct_error, false as _plain, {columns}
        from read_parquet({lit(str(path))}, file_row_number = true))"""
    return relation, header, native


def parquet_kind(sql_type: str) -> str:
    """What a DuckDB type holds: integer, fractional, timestamp, or the type itself (date, …)."""
    if sql_type in PARQUET_INTEGERS:
        return "integer"
    if sql_type in ("FLOAT", "DOUBLE") or sql_type.startswith("DECIMAL"):
        return "fractional"
    if sql_type.startswith("TIMESTAMP"):
        return "timestamp"
    return sql_type.lower()


def check_parquet_type(
    col: Column, export: str, sql_type: str, name: str, what: str = "Parquet"
) -> None:
    """Reject a typed column whose type cannot hold the contract's values (text always can)."""
    if sql_type in ("VARCHAR", "NULL", '"NULL"'):  # an all-empty column has type NULL
        return
    if parquet_kind(sql_type) in PARQUET_ACCEPTS[col.type]:
        return
    raise FileRejected(
        f"{name}: column {export!r} ('{col.name}') has {what} type {sql_type}, which cannot hold "
        f"{col.type} values; export it as {PARQUET_HINTS[col.type]} or as text"
    )
