"""Checksums of landed files, read again only when a file may have changed.

Every night ingestion compares each landed folder with what it loaded before, by the sha256 of
its files. Reading every landed byte to find that out would make each night cost what all
history costs (at 10 million lines, 1.4 GB and 1.4 s after the initial extract, growing with
every folder). So, like git's index, kam keeps each file's checksum with the file's identity
as ``stat`` gives it (device, inode, size, modification and change time in nanoseconds) and
reuses the checksum while that identity is unchanged.

Any write to a file moves its change time (ctime), and no tool sets it back: ``cp -p``,
``rsync -a`` and ``touch`` can restore the modification time, but not the change time. A
checksum is kept only for a file whose identity was the same before and after it was read, and
whose last change was at least ``SETTLED_NS`` before the read began; a file changed again within
the same tick of the file system's clock could otherwise keep its old identity ("racy git").
Until then the file is read each night. Outside POSIX (on Windows ``st_ctime`` is the creation
time) every file is read each night.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.textfile import file_checksum

TABLE = "main.kam_landed_files"
DDL = f"""
create table if not exists {TABLE} (
    source_file varchar not null,
    device ubigint not null,
    inode ubigint not null,
    size_bytes bigint not null,
    mtime_ns bigint not null,
    ctime_ns bigint not null,
    file_checksum varchar not null
)"""
# A file last changed this long before it is read is taken as settled (FAT's clock ticks every
# 2 s; a file server's clock may differ a little from this machine's).
SETTLED_NS = 5_000_000_000


@dataclass(frozen=True)
class FileIdentity:
    """What ``stat`` says about a file: equal identities mean unchanged content."""

    device: int
    inode: int
    size_bytes: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity:
        st = path.stat()
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def as_row(self) -> tuple[int, int, int, int, int]:
        return (self.device, self.inode, self.size_bytes, self.mtime_ns, self.ctime_ns)


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``main.kam_landed_files`` if missing."""
    con.execute(DDL)


def recorded(con: duckdb.DuckDBPyConnection, prefix: str) -> dict[str, tuple[FileIdentity, str]]:
    """Identity and checksum recorded for each file whose name starts with ``prefix``."""
    rows = con.execute(
        f"""select source_file, device, inode, size_bytes, mtime_ns, ctime_ns, file_checksum
            from {TABLE} where starts_with(source_file, ?)""",
        [prefix],
    ).fetchall()
    return {row[0]: (FileIdentity(*row[1:6]), row[6]) for row in rows}


def landed_checksums(
    con: duckdb.DuckDBPyConnection,
    files: dict[str, Path],
    known: dict[str, tuple[FileIdentity, str]],
) -> dict[str, tuple[str, int]]:
    """sha256 and size of each file (``name`` → path; names relative to the landing folder).

    A file whose identity matches the one ``known`` records with its checksum (see
    :func:`recorded`) is not read. The records of the given files are updated.
    """
    if os.name != "posix":
        return {name: file_checksum(path) for name, path in files.items()}
    checksums: dict[str, tuple[str, int]] = {}
    remember: list[tuple] = []
    forget: list[str] = []
    for name, path in files.items():
        before = FileIdentity.of(path)
        if name in known and known[name][0] == before:
            checksums[name] = (known[name][1], before.size_bytes)
            continue
        started_ns = time.time_ns()
        checksum, size = file_checksum(path)
        checksums[name] = (checksum, size)
        changed_ns = max(before.mtime_ns, before.ctime_ns)
        if FileIdentity.of(path) == before and changed_ns <= started_ns - SETTLED_NS:
            remember.append((name, *before.as_row(), checksum))
        elif name in known:
            forget.append(name)  # read it again next time
    _record(con, remember, forget)
    return checksums


def _record(con: duckdb.DuckDBPyConnection, remember: list[tuple], forget: list[str]) -> None:
    """Replace the records of ``forget`` and of the files in ``remember`` by ``remember``."""
    if not remember and not forget:
        return
    con.execute("begin transaction")
    try:
        con.execute(
            f"delete from {TABLE} where source_file in (select unnest(?))",
            [forget + [row[0] for row in remember]],
        )
        if remember:
            con.executemany(f"insert into {TABLE} values (?, ?, ?, ?, ?, ?, ?)", remember)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
