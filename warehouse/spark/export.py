"""DuckDB tables exported to Spark as Parquet tables, rewriting only what changed.

Each partition (or an unpartitioned table as a whole) is fingerprinted in DuckDB; its file in
Spark's warehouse is named by that fingerprint (:mod:`warehouse.spark.tables`). An export writes
the partitions whose fingerprint differs from the file's (changed, new, or a file of an export
that did not finish), removes those gone from DuckDB, and leaves every other file untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from warehouse.spark import tables

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The fingerprint of every row (count, and the XOR of the hashes of the rows as text): reads
#: every column. Not ``hash(t)`` of the row itself: DuckDB combines the columns' hashes so that
#: the same change to one column of two rows cancels out in the XOR.
CONTENT = "count(*) || '-' || bit_xor(hash(t::varchar))"


def loaded_at_fingerprint(column: str) -> str:
    """A fingerprint read from two columns: the row count and the latest ``column``. Enough for a
    table whose writer stamps every row it writes with the time (a swap that only removes rows
    changes the count)."""
    return f"count(*) || '-' || coalesce(epoch_us(max({column})), 0)"


@dataclass
class Export:
    """What one export of one table wrote and removed."""

    table: str
    written: list[date | None] = field(default_factory=list)
    removed: list[date] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def export_table(
    con: duckdb.DuckDBPyConnection,
    source: str,
    session: SparkSession,
    schema: str,
    name: str,
    *,
    partition_column: str | None = None,
    fingerprint: str = CONTENT,
) -> Export:
    """Make the Spark table ``schema.name`` hold DuckDB's ``source`` (``schema.table``),
    partitioned by the date column ``partition_column`` if given; ``fingerprint`` is a SQL
    aggregate over rows aliased ``t`` that changes whenever a partition's rows change."""
    columns = con.sql(f"select * from {source} limit 0").arrow().schema
    table, new = tables.ensure_table(session, schema, name, columns, partition_column)
    done = Export(table.qualified)
    if partition_column is None:
        token = _token(con.execute(f"select {fingerprint} from {source} t").fetchall()[0][0])
        if new or tables.table_token(table) != token:
            tables.write_file(
                table.location, token, lambda path: _copy(con, f"select * from {source}", path)
            )
            done.written.append(None)
    else:
        wanted = {
            value: _token(token)
            for value, token in con.execute(
                f"select {partition_column}, {fingerprint} from {source} t group by all"
            ).fetchall()
        }
        if None in wanted:
            raise ValueError(
                f"{source} has rows without {partition_column}: they cannot be "
                "exported to a partition"
            )
        held = {} if new else tables.written_tokens(table)
        query = f"select * exclude ({partition_column}) from {source} where {partition_column} = "
        for value in sorted(v for v, token in wanted.items() if held.get(v) != token):
            tables.write_file(
                table.partition_dir(value),
                wanted[value],
                lambda path, v=value: _copy(con, f"{query}date '{v}'", path),
            )
            done.written.append(value)
        registered = tables.registered_partitions(session, table)
        gone = (set(held) | registered) - set(wanted)
        tables.drop_partitions(session, table, gone)
        done.removed = sorted(gone)
        tables.register_partitions(session, table, set(wanted) - registered)
    if done.changed:
        tables.refresh(session, table)
    return done


def _token(fingerprint: object) -> str:
    return str(fingerprint).replace(" ", "_")


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    target = str(path).replace("'", "''")
    con.execute(f"copy ({query}) to '{target}' (format parquet, compression zstd)")
