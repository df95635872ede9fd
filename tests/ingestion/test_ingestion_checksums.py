"""Landed files are read for their checksum only when they may have changed since last read."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from test_ingestion import DAY, land

from ingestion import Mapping, ingest_partition, sync_landing
from ingestion import checksums as checksums_module

pytestmark = pytest.mark.skipif(os.name != "posix", reason="stat identities are used on POSIX only")

HEADER = "payment_id,customer_id,payment_date,amount\n"
# What a sync over landed folders of one source sends when nothing changed: creating the raw
# schema if missing (the schema, 6 source tables, the ledger, the quarantine), the table of file
# records, the progress-bar setting; then for the source its latest ledger attempts and its
# file records. None per folder.
EXPECTED_STATEMENTS = 1 + 6 + 2 + 1 + 1 + 2
NAME = f"payments/{DAY.isoformat()}/p.csv"


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Names of the files read for a checksum, in order."""
    seen: list[str] = []
    original = checksums_module.file_checksum

    def counting(path: Path) -> tuple[str, int]:
        seen.append(path.name)
        return original(path)

    monkeypatch.setattr(checksums_module, "file_checksum", counting)
    return seen


@pytest.fixture
def short_settling(monkeypatch) -> float:
    """Settling time cut to 50 ms (from 5 s) so that a test can wait it out; returns it in s."""
    monkeypatch.setattr(checksums_module, "SETTLED_NS", 50_000_000)
    return 0.05


def ingest(con, landing: Path, run_id: str):
    return ingest_partition(con, "payments", DAY, landing, Mapping("payments"), run_id)


def payments(con) -> list[tuple]:
    return con.execute("select payment_id, amount from raw.payments order by 1").fetchall()


def test_settled_unchanged_file_is_not_read_again(con, tmp_path, reads, short_settling):
    path = land(tmp_path, "payments", "p.csv", HEADER + "P1,C1,2024-03-30,1\n")
    time.sleep(2 * short_settling)
    assert ingest(con, tmp_path, "run-1").status == "loaded"
    assert reads == ["p.csv"]
    st = path.stat()
    assert con.execute(
        "select source_file, inode, size_bytes, mtime_ns, ctime_ns from main.kam_landed_files"
    ).fetchall() == [(NAME, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)]

    result = ingest(con, tmp_path, "run-2")
    assert result.status == "unchanged"
    assert reads == ["p.csv"]
    # The checksum taken from the record is the file's.
    ledger = con.execute("select file_checksum from raw.ingestion_ledger").fetchone()[0]
    assert [(f.file_checksum, f.file_bytes) for f in result.files] == [(ledger, st.st_size)]


def test_same_size_rewrite_with_its_old_modification_time_is_read_and_replaces(
    con, tmp_path, reads, short_settling
):
    path = land(tmp_path, "payments", "p.csv", HEADER + "P1,C1,2024-03-30,1\n")
    time.sleep(2 * short_settling)
    ingest(con, tmp_path, "run-1")
    old = path.stat()
    # What `cp -p` or `rsync -a` of a corrected export does: same size, same modification time.
    path.write_text(HEADER + "P1,C1,2024-03-30,7\n")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (old.st_size, old.st_mtime_ns)

    assert ingest(con, tmp_path, "run-2").status == "replaced"
    assert reads == ["p.csv", "p.csv"]
    assert payments(con) == [("P1", Decimal("7"))]


def test_file_changed_just_before_it_was_read_is_read_again_next_time(con, tmp_path, reads):
    # With the real settling time (5 s) a file written just now is not remembered: a rewrite of
    # the same size within the same tick of the file system's clock would keep its identity.
    path = land(tmp_path, "payments", "p.csv", HEADER + "P1,C1,2024-03-30,1\n")
    ingest(con, tmp_path, "run-1")
    assert con.execute("select count(*) from main.kam_landed_files").fetchone() == (0,)
    old = path.stat()
    path.write_text(HEADER + "P1,C1,2024-03-30,8\n")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))

    assert ingest(con, tmp_path, "run-2").status == "replaced"
    assert reads == ["p.csv", "p.csv"]
    assert payments(con) == [("P1", Decimal("8"))]


def test_copied_landing_folder_is_read_again_and_found_unchanged(
    con, tmp_path, reads, short_settling
):
    first = tmp_path / "first"
    land(first, "payments", "p.csv", HEADER + "P1,C1,2024-03-30,1\n")
    time.sleep(2 * short_settling)
    ingest(con, first, "run-1")
    # A copy keeps the name, size and (copy2) modification time, but not the inode.
    second = tmp_path / "second"
    shutil.copytree(first, second)
    assert ingest(con, second, "run-2").status == "unchanged"
    assert reads == ["p.csv", "p.csv"]


def test_record_of_a_file_that_changes_again_too_soon_is_dropped(
    con, tmp_path, reads, short_settling, monkeypatch
):
    path = land(tmp_path, "payments", "p.csv", HEADER + "P1,C1,2024-03-30,1\n")
    time.sleep(2 * short_settling)
    ingest(con, tmp_path, "run-1")
    path.write_text(HEADER + "P1,C1,2024-03-30,2\n")
    monkeypatch.setattr(checksums_module, "SETTLED_NS", 3_600_000_000_000)  # not settled yet
    ingest(con, tmp_path, "run-2")
    assert con.execute("select count(*) from main.kam_landed_files").fetchone() == (0,)
    ingest(con, tmp_path, "run-3")
    assert reads == ["p.csv", "p.csv", "p.csv"]


class CountingConnection:
    """A DuckDB connection that counts the statements sent to it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.statements = 0

    def execute(self, *args, **kwargs):
        self.statements += 1
        return self._con.execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        self.statements += 1
        return self._con.executemany(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._con, name)


@pytest.mark.parametrize("folders", [2, 20])
def test_a_night_with_nothing_new_sends_the_same_statements_however_many_folders_landed(
    con, tmp_path, reads, short_settling, folders
):
    for i in range(folders):
        day = date(2024, 3, 1) + timedelta(days=i)
        land(tmp_path, "payments", "p.csv", HEADER + f"P{i},C1,{day},1\n", day=day)
    time.sleep(2 * short_settling)
    up_to = date(2024, 3, 1) + timedelta(days=folders - 1)
    first = sync_landing(con, tmp_path, {}, up_to=up_to, run_id="run-1")
    assert [r.status for r in first] == ["loaded"] * folders
    assert len(reads) == folders

    counting = CountingConnection(con)
    again = sync_landing(counting, tmp_path, {}, up_to=up_to, run_id="run-2")
    assert [r.status for r in again] == ["unchanged"] * folders
    assert len(reads) == folders  # no file read again
    assert counting.statements == EXPECTED_STATEMENTS
