"""The files of the published folder: the ``kam.duckdb`` link and its versions, leftovers of
publications that died half-way, and the atomic swap of a symbolic link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DATABASE_NAME = "kam.duckdb"
# Folder, beside the ``kam.duckdb`` link, of the published database files (one per publication).
DATABASE_VERSIONS = "versions"
# Name prefix of everything a publication leaves beside the link while it is being written.
STAGING_PREFIX = f".{DATABASE_NAME}."
# File a finished Parquet version holds; its time is the moment the version was published.
SUCCESS_MARKER = "_SUCCESS"


def remove_leftovers(publish_dir: Path) -> None:
    """Staging files (with their write-ahead logs and spill folders) and unfinished Parquet
    folders of publications that died half-way."""
    for stale in publish_dir.glob(f"{STAGING_PREFIX}*"):
        remove(stale)
    parquet_root = publish_dir / "parquet"
    if parquet_root.is_dir():
        for version in parquet_root.iterdir():
            finished = (version / SUCCESS_MARKER).exists()
            if version.is_dir() and not version.is_symlink() and not finished:
                remove(version)


def swap_symlink(link: Path, target_name: str, *, directory: bool = True) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    remove(tmp)
    tmp.symlink_to(target_name, target_is_directory=directory)
    os.replace(tmp, link)


def prune_databases(versions: Path, keep: set[Path | None]) -> None:
    """Database files of older publications: all but the current one and the one it replaced
    (a reader that resolved the link just before the swap opens that one)."""
    kept = {path.resolve() for path in keep if path is not None}
    for old in versions.glob("*.duckdb"):
        if old.resolve() not in kept:
            remove(old)


def remove(path: Path) -> None:
    """Remove a file, link or folder; for a database file also its write-ahead log."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    wal = path.with_name(f"{path.name}.wal")
    if wal.is_file():
        wal.unlink()


def sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
