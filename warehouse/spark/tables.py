"""Parquet tables in Spark's catalog whose files kam writes itself.

DuckDB or Polars writes the Parquet; Spark only registers it. A partitioned table keeps one
file per partition (``<column>=<value>/part-<token>.parquet``), an unpartitioned one a single
file. The token names what the file holds (a fingerprint of its rows, or the time it was
written), so a caller rewrites only the partitions whose token changed and leaves every other
file as it is.

The tables are external (``location`` under the session's warehouse folder): dropping one from
the catalog never deletes files kam did not mean to delete.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from warehouse.spark.session import tables_root

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_TOKEN = re.compile(r"^[A-Za-z0-9_.-]+$")
_FILE = re.compile(r"^part-(?P<token>[A-Za-z0-9_.-]+)\.parquet$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Writes one Parquet file at the path it is given.
Writer = Callable[[Path], None]


@dataclass(frozen=True)
class ParquetTable:
    """A Parquet table of the catalog and the folder holding its files."""

    schema: str
    name: str
    location: Path
    partition_column: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def partition_dir(self, value: date) -> Path:
        return self.location / f"{self.partition_column}={value.isoformat()}"


def spark_type(arrow_type: pa.DataType) -> str:
    """The Spark SQL type of a column of ``arrow_type``. A timestamp without time zone becomes
    Spark's ``timestamp``: kam's session runs in UTC, the zone DuckDB's timestamps are in."""
    from pyspark.sql.pandas.types import from_arrow_type

    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        arrow_type = pa.string()
    return from_arrow_type(arrow_type, prefer_timestamp_ntz=False).simpleString()


def ensure_table(
    session: SparkSession,
    schema: str,
    name: str,
    columns: pa.Schema,
    partition_column: str | None = None,
    *,
    rebuild_on_change: bool = True,
) -> tuple[ParquetTable, bool]:
    """The table ``schema.name`` with ``columns`` (partitioned by ``partition_column``), created
    if missing; and whether it starts empty (new, or re-created because its columns changed:
    every partition must then be written again). Without ``rebuild_on_change`` a table whose
    columns changed is an error instead (its other partitions would be lost)."""
    for part in (schema, name, *columns.names):
        if not _IDENTIFIER.match(part):
            raise ValueError(f"refusing Spark table {schema}.{name}: {part!r} is not a plain name")
    table = ParquetTable(
        schema, name, tables_root(session) / f"{schema}.db" / name, partition_column
    )
    data = [(f.name, spark_type(f.type)) for f in columns if f.name != partition_column]
    wanted = data + (
        [(partition_column, spark_type(columns.field(partition_column).type))]
        if partition_column
        else []
    )
    session.sql(f"create database if not exists {schema}")
    if session.catalog.tableExists(table.qualified):
        held = [(f.name, f.dataType.simpleString()) for f in session.table(table.qualified).schema]
        if held == wanted:
            return table, False
        if not rebuild_on_change:
            raise ValueError(
                f"the Spark table {table.qualified} has columns {held}, the rows written to it "
                f"{wanted}: export the table in full from its source, or drop it "
                f"(drop table {table.qualified}) to have it created again"
            )
        # A column added to or changed in the source: the files written before lack it, so the
        # table is declared again and written again in full.
        session.sql(f"drop table {table.qualified}")
    shutil.rmtree(table.location, ignore_errors=True)
    table.location.mkdir(parents=True)
    ddl = ", ".join(f"`{column}` {kind}" for column, kind in wanted)
    partitioned = f" partitioned by (`{partition_column}`)" if partition_column else ""
    session.sql(
        f"create table {table.qualified} ({ddl}) using parquet{partitioned} "
        f"location '{_quoted(table.location)}'"
    )
    return table, True


def written_tokens(table: ParquetTable) -> dict[date, str | None]:
    """Every partition folder of ``table`` and the token of its file (None when it does not
    hold exactly one file of kam's: rewrite it)."""
    prefix = f"{table.partition_column}="
    found: dict[date, str | None] = {}
    for folder in table.location.glob(f"{prefix}*"):
        try:
            value = date.fromisoformat(folder.name.removeprefix(prefix))
        except ValueError:
            continue
        found[value] = _token(folder)
    return found


def table_token(table: ParquetTable) -> str | None:
    """The token of an unpartitioned table's file (None when it holds anything else)."""
    return _token(table.location)


def _token(folder: Path) -> str | None:
    names = [n for n in os.listdir(folder) if not n.startswith(".")] if folder.is_dir() else []
    match = _FILE.match(names[0]) if len(names) == 1 else None
    return match["token"] if match else None


def registered_partitions(session: SparkSession, table: ParquetTable) -> set[date]:
    """The partitions the catalog knows (``show partitions`` lists them without a filter)."""
    prefix = f"{table.partition_column}="
    rows = session.sql(f"show partitions {table.qualified}").collect()
    return {date.fromisoformat(row[0].removeprefix(prefix)) for row in rows}


def write_file(folder: Path, token: str, write: Writer) -> Path:
    """Write ``folder``'s one file (``part-<token>.parquet``) through ``write``, then remove
    whatever else the folder held. The file is written under a hidden name (Spark skips names
    starting with a dot) and renamed into place."""
    if not _TOKEN.match(token):
        raise ValueError(f"file token {token!r} must be letters, digits, '.', '_' or '-'")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"part-{token}.parquet"
    hidden = folder / f".{target.name}.incoming"
    write(hidden)
    os.replace(hidden, target)
    for entry in folder.iterdir():
        if entry != target:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    return target


def register_partitions(session: SparkSession, table: ParquetTable, values: Iterable[date]) -> None:
    """Add the partitions ``values`` (folders already written) to the catalog, in one statement."""
    specs = [
        f"partition (`{table.partition_column}` = '{v.isoformat()}') "
        f"location '{_quoted(table.partition_dir(v))}'"
        for v in sorted(values)
    ]
    if specs:
        session.sql(f"alter table {table.qualified} add if not exists " + " ".join(specs))


def drop_partitions(session: SparkSession, table: ParquetTable, values: Iterable[date]) -> None:
    """Remove the partitions ``values`` from the catalog and their folders from disk."""
    values = sorted(values)
    specs = [f"partition (`{table.partition_column}` = '{v.isoformat()}')" for v in values]
    if specs:
        session.sql(f"alter table {table.qualified} drop if exists " + ", ".join(specs))
    for value in values:
        shutil.rmtree(table.partition_dir(value), ignore_errors=True)


def refresh(session: SparkSession, table: ParquetTable) -> None:
    """Make the session read the table's files as they now are (Spark caches file listings)."""
    session.sql(f"refresh table {table.qualified}")


def _quoted(path: Path) -> str:
    """``path`` inside a Spark SQL string literal (a plain path: a ``file:`` URI would have
    the ``=`` of a partition folder's name percent-encoded into another folder)."""
    return str(path).replace("\\", "\\\\").replace("'", "\\'")
