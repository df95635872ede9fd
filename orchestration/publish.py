"""Publish a read-only copy of the warehouse for BI tools, atomically.

The pipeline writes only to its own warehouse file. Publishing copies the tables BI reads into a
brand-new DuckDB file next to the published one and renames it over the old one in a single
``os.replace`` — a BI tool that holds the old file open keeps reading the old snapshot (POSIX keeps
the unlinked inode alive) and sees the new one on its next connection. Parquet copies go to a new
folder per publication and a ``current`` symbolic link is swapped the same way.

The new file starts as a copy of the previous publication: a table whose rows (count and sum of
row hashes, per ``as_of_date`` where it has one) and columns are unchanged is kept as it is, a
table with changed dates has only those dates replaced, any other is copied again in full. An
unchanged table's Parquet file is hard-linked from the previous version when it holds the same
rows. So a night that adds one date no longer rewrites every earlier date.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.faults import crash_point

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PUBLICATION_ID = re.compile(r"^[A-Za-z0-9_-]+$")
KEEP_PARQUET_VERSIONS = 3
# Column by which large, growing tables are compared and replaced date by date.
PARTITION_COLUMN = "as_of_date"


@dataclass(frozen=True)
class PublishedTable:
    """A warehouse relation to publish and the name BI sees it under."""

    source_schema: str
    source_table: str
    published_name: str
    # Replacements applied while copying, e.g. {"raw_record": "<masking expression>"}; fixed SQL
    # written in kam's code, never taken from configuration.
    replace: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for part in (
            self.source_schema,
            self.source_table,
            self.published_name,
            *(column for column, _ in self.replace),
        ):
            if not _IDENTIFIER.match(part):
                raise ValueError(
                    f"refusing to publish {part!r}: table and schema names must be plain "
                    "identifiers (letters, digits, underscore)"
                )


@dataclass
class PublishResult:
    """What a publication wrote."""

    database_path: Path
    parquet_dir: Path
    row_counts: dict[str, int] = field(default_factory=dict)


def publish(
    warehouse_path: Path,
    publish_dir: Path,
    tables: Sequence[PublishedTable],
    publication_id: str,
    *,
    metadata: dict[str, str] | None = None,
) -> PublishResult:
    """Copy ``tables`` from the writer warehouse into a fresh published DuckDB file and Parquet.

    ``publication_id`` names the Parquet folder of this publication (use the run id).
    ``metadata`` is written to a one-row ``publication`` table (run id, business date, …).
    """
    if not _PUBLICATION_ID.match(publication_id):
        raise ValueError(f"publication id {publication_id!r} must be letters, digits, - or _")
    publish_dir.mkdir(parents=True, exist_ok=True)
    final_db = publish_dir / "kam.duckdb"
    staging_db = publish_dir / f".kam.duckdb.{publication_id}.tmp"
    parquet_root = publish_dir / "parquet"
    version_dir = parquet_root / publication_id
    _remove_leftovers(publish_dir)
    version_dir.mkdir(parents=True)

    counts: dict[str, int] = {}
    previous_parquet = _previous_parquet_dir(parquet_root)
    con = _open_staging(final_db, staging_db)
    try:
        con.execute(f"attach '{_sql_path(warehouse_path)}' as warehouse (read_only)")
        _drop_unpublished(con, {t.published_name for t in tables})
        for table in tables:
            name = table.published_name
            kept = _sync_table(con, name, _source_query(table))
            counts[name] = con.execute(f"select count(*) from main.{name}").fetchall()[0][0]
            parquet = version_dir / f"{name}.parquet"
            if not (kept and _link_parquet(con, name, previous_parquet, parquet)):
                con.execute(
                    f"copy main.{name} to '{_sql_path(parquet)}' (format parquet, compression zstd)"
                )
        _write_publication_table(con, metadata or {}, counts)
        con.execute("detach warehouse")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        _remove(staging_db)
        _remove(version_dir)
        raise
    con.close()
    (version_dir / "_SUCCESS").touch()

    crash_point("publishing")
    os.replace(staging_db, final_db)
    _swap_symlink(parquet_root / "current", version_dir.name)
    _prune_versions(parquet_root, keep=KEEP_PARQUET_VERSIONS)
    return PublishResult(
        database_path=final_db, parquet_dir=parquet_root / "current", row_counts=counts
    )


def _source_query(table: PublishedTable) -> str:
    replace = ", ".join(f"{expr} as {column}" for column, expr in table.replace)
    columns = f"* replace ({replace})" if replace else "*"
    return f"select {columns} from warehouse.{table.source_schema}.{table.source_table}"


def _open_staging(final_db: Path, staging_db: Path) -> duckdb.DuckDBPyConnection:
    """The staging file, started from a copy of the previous publication when it opens."""
    if final_db.is_file():
        shutil.copyfile(final_db, staging_db)
        try:
            return duckdb.connect(str(staging_db))
        except duckdb.Error:
            _remove(staging_db)  # unreadable previous copy: start from nothing
    return duckdb.connect(str(staging_db))


def _drop_unpublished(con: duckdb.DuckDBPyConnection, names: set[str]) -> None:
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


def _sync_table(con: duckdb.DuckDBPyConnection, name: str, source: str) -> bool:
    """Make ``main.<name>`` hold exactly the rows of ``source``; True if it already did."""
    columns = _columns(con, source)
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and table_name = ?",
        [name],
    ).fetchall()[0][0]
    if not exists or _columns(con, f"main.{name}") != columns:
        con.execute(f"create or replace table main.{name} as {source}")
        return False
    key = PARTITION_COLUMN if any(c[0] == PARTITION_COLUMN for c in columns) else None
    if not _find_changes(con, f"main.{name}", source, key):
        return True
    if key is None:
        con.execute(f"create or replace table main.{name} as {source}")
    else:
        con.execute(f"delete from main.{name} where {_changed(key)}")
        con.execute(f"insert into main.{name} select * from ({source}) where {_changed(key)}")
    return False


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """Names and types of a table or query, in order (constraints are not copied, so ignored)."""
    return [(row[0], row[1]) for row in con.execute(f"describe {relation}").fetchall()]


def _changed(key: str) -> str:
    """SQL: the row's ``key`` is one of the changed values (a null key included)."""
    return (
        f"({key} in (select k from _changes) "
        f"or ({key} is null and exists (select 1 from _changes where k is null)))"
    )


def _find_changes(con: duckdb.DuckDBPyConnection, table: str, source: str, key: str | None) -> int:
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


def _previous_parquet_dir(parquet_root: Path) -> Path | None:
    current = parquet_root / "current"
    return current.resolve() if current.is_symlink() and current.resolve().is_dir() else None


def _link_parquet(
    con: duckdb.DuckDBPyConnection, name: str, previous: Path | None, target: Path
) -> bool:
    """Hard-link the previous version's file when it holds exactly the table's rows."""
    old = previous / f"{name}.parquet" if previous else None
    if old is None or not old.is_file():
        return False
    parquet = f"select * from read_parquet('{_sql_path(old)}')"
    try:
        same_columns = _columns(con, parquet) == _columns(con, f"main.{name}")
        if not same_columns or _find_changes(con, f"main.{name}", parquet, None):
            return False
        os.link(old, target)
    except (duckdb.Error, OSError):
        return False
    return True


def _write_publication_table(
    con: duckdb.DuckDBPyConnection, metadata: dict[str, str], counts: dict[str, int]
) -> None:
    con.execute("create table main.publication (key varchar primary key, value varchar)")
    rows = [*sorted(metadata.items()), *((f"rows.{k}", str(v)) for k, v in sorted(counts.items()))]
    if rows:
        con.executemany("insert into main.publication values (?, ?)", rows)


def _remove_leftovers(publish_dir: Path) -> None:
    """Staging files and unfinished Parquet folders of publications that died half-way."""
    for stale in publish_dir.glob(".kam.duckdb.*.tmp"):
        _remove(stale)
    parquet_root = publish_dir / "parquet"
    if parquet_root.is_dir():
        for version in parquet_root.iterdir():
            finished = (version / "_SUCCESS").exists()
            if version.is_dir() and not version.is_symlink() and not finished:
                _remove(version)


def _swap_symlink(link: Path, target_name: str) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    _remove(tmp)
    tmp.symlink_to(target_name, target_is_directory=True)
    os.replace(tmp, link)


def _prune_versions(parquet_root: Path, keep: int) -> None:
    current = (parquet_root / "current").resolve()
    versions = sorted(
        (p for p in parquet_root.iterdir() if p.is_dir() and not p.is_symlink()),
        key=lambda p: p.stat().st_mtime,
    )
    for old in versions[:-keep]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
