"""The Parquet copy: a folder per publication under ``parquet/``, the ``current`` link swapped to
the newest. An unchanged table's file is hard-linked from the previous version when it holds the
same rows; a history table (``by_date``) is a folder of one file per date, the dates not replaced
hard-linked from the previous version.

A published file is never written again: a reader that resolved ``current`` once reads one whole
version. Readers that open ``current/<table>.parquet`` more than once per read (the footer, then
the data: pyarrow, Polars and DuckDB all do) can pair one version's footer with the next one's
bytes, so docs/bi-tables.md tells readers to resolve ``current`` once per query. An old version is
removed only when it is older than the newest ``KEEP_PARQUET_VERSIONS`` and has not been current
for ``RETIRED_VERSION_GRACE_SECONDS``: a backfill publishing many dates in a row does not remove a
version a reader resolved a minute ago."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb

from warehouse.publish.files import SUCCESS_MARKER, sql_path
from warehouse.publish.table_sync import PARTITION_COLUMN, find_changes, table_columns

KEEP_PARQUET_VERSIONS = 3
# How long a version stays after it stopped being current (a running query, a held reader).
RETIRED_VERSION_GRACE_SECONDS = 15 * 60
# File name, in a by-date table's Parquet folder, of the rows without a date (normally none).
UNDATED_FILE = "undated.parquet"


def write_parquet_by_date(
    con: duckdb.DuckDBPyConnection,
    name: str,
    previous: Path | None,
    folder: Path,
    changed: set | None,
) -> None:
    """One Parquet file per date in ``folder``; a date not in ``changed`` (None: all changed)
    is hard-linked from the previous version's folder when it has the file."""
    folder.mkdir()
    dates = [
        row[0]
        for row in con.execute(f"select distinct {PARTITION_COLUMN} from main.{name}").fetchall()
    ]
    for value in dates:
        file_name = UNDATED_FILE if value is None else f"{value.isoformat()}.parquet"
        old = previous / name / file_name if previous is not None else None
        if changed is not None and value not in changed and old is not None and old.is_file():
            try:
                os.link(old, folder / file_name)
                continue
            except OSError:
                pass  # another file system or no hard links: write it again
        where = f"{PARTITION_COLUMN} is null" if value is None else f"{PARTITION_COLUMN} = ?"
        con.execute(
            f"copy (select * from main.{name} where {where}) to "
            f"'{sql_path(folder / file_name)}' (format parquet, compression zstd)",
            [] if value is None else [value],
        )


def previous_parquet_dir(parquet_root: Path) -> Path | None:
    current = parquet_root / "current"
    return current.resolve() if current.is_symlink() and current.resolve().is_dir() else None


def link_parquet(
    con: duckdb.DuckDBPyConnection, name: str, previous: Path | None, target: Path
) -> bool:
    """Hard-link the previous version's file when it holds exactly the table's rows."""
    old = previous / f"{name}.parquet" if previous else None
    if old is None or not old.is_file():
        return False
    parquet = f"select * from read_parquet('{sql_path(old)}')"
    try:
        same_columns = table_columns(con, parquet) == table_columns(con, f"main.{name}")
        if not same_columns or find_changes(con, f"main.{name}", parquet, None):
            return False
        os.link(old, target)
    except (duckdb.Error, OSError):
        return False
    return True


def prune_versions(
    parquet_root: Path,
    keep: int,
    grace_seconds: float = RETIRED_VERSION_GRACE_SECONDS,
    now: float | None = None,
) -> None:
    """Remove the versions older than the newest ``keep`` whose successor was published more than
    ``grace_seconds`` before ``now`` (then they stopped being current that long ago)."""
    current = (parquet_root / "current").resolve()
    now = time.time() if now is None else now
    versions = sorted(
        (p for p in parquet_root.iterdir() if p.is_dir() and not p.is_symlink()),
        key=published_at,
    )
    for index, old in enumerate(versions[:-keep]):
        retired_for = now - published_at(versions[index + 1])
        if old.resolve() != current and retired_for > grace_seconds:
            shutil.rmtree(old, ignore_errors=True)


def published_at(version: Path) -> float:
    """When ``version`` was published: its success marker's time (the folder's, without one)."""
    marker = version / SUCCESS_MARKER
    return (marker if marker.is_file() else version).stat().st_mtime
