"""Publish a read-only copy of the warehouse for BI tools, atomically.

The pipeline writes only to its own warehouse file. Publishing copies the tables BI reads into a
brand-new DuckDB file next to the published one and renames it over the old one in a single
``os.replace`` — a BI tool that holds the old file open keeps reading the old snapshot (POSIX keeps
the unlinked inode alive) and sees the new one on its next connection. Parquet copies go to a new
folder per publication and a ``current`` symbolic link is swapped the same way.
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
    con = duckdb.connect(str(staging_db))
    try:
        con.execute(f"attach '{_sql_path(warehouse_path)}' as warehouse (read_only)")
        for table in tables:
            replace = ", ".join(f"{expr} as {column}" for column, expr in table.replace)
            columns = f"* replace ({replace})" if replace else "*"
            con.execute(
                f"create table main.{table.published_name} as "
                f"select {columns} from warehouse.{table.source_schema}.{table.source_table}"
            )
            counts[table.published_name] = con.execute(
                f"select count(*) from main.{table.published_name}"
            ).fetchall()[0][0]
            con.execute(
                f"copy main.{table.published_name} to "
                f"'{_sql_path(version_dir / (table.published_name + '.parquet'))}' "
                "(format parquet, compression zstd)"
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
