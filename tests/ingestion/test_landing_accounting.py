"""Every entry of a landing folder is accounted for in the ingestion ledger: loaded, rejected or
ignored with the reason (docs/bad-inputs.md, "Files in a date folder")."""

from __future__ import annotations

import errno
import gzip
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion import LandingError, Mapping, ingest_partition, sync_landing

DAY = date(2024, 3, 31)
INV = "invoice_id,customer_id,invoice_date,due_date,amount,currency\n"
FOLDER = "invoices/2024-03-31"


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


def land(root: Path, name: str, content: str | bytes, source: str = "invoices") -> Path:
    path = root / source / DAY.isoformat() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def ledger(con) -> list[tuple]:
    return con.execute(
        """select source_file, status, rows_read, rows_loaded, rows_quarantined, message
           from raw.ingestion_ledger order by loaded_at, source_file"""
    ).fetchall()


def amounts(con) -> list[tuple]:
    return con.execute(
        "select _source_file, invoice_id, amount from raw.invoices order by _source_file"
    ).fetchall()


def test_every_entry_of_a_date_folder_gets_a_ledger_row(con, tmp_path):
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    land(tmp_path, "EXTRA.CSV", INV + "I2,C1,2024-03-01,2024-04-30,-100,CNY\n")
    land(
        tmp_path,
        "b.csv.gz",
        gzip.compress((INV + "I3,C1,2024-03-01,2024-04-30,200,CNY\n").encode()),
    )
    land(tmp_path, "sub/c.csv", INV + "I4,C1,2024-03-01,2024-04-30,300,CNY\n")
    land(tmp_path, "readme.txt", "exported by the ERP\n")
    land(tmp_path, ".d.csv", INV + "I5,C1,2024-03-01,2024-04-30,700,CNY\n")
    land(tmp_path, "e.csv.zip", b"PK\x03\x04")
    os.symlink(tmp_path / "nowhere.csv", tmp_path / FOLDER / "f.csv")
    os.mkfifo(tmp_path / FOLDER / "g.pipe")

    result = ingest_partition(con, "invoices", DAY, tmp_path, Mapping("invoices"), "run-1")

    assert amounts(con) == [
        (f"{FOLDER}/EXTRA.CSV", "I2", Decimal("-100")),
        (f"{FOLDER}/a.csv", "I1", Decimal("500")),
        (f"{FOLDER}/b.csv.gz", "I3", Decimal("200")),
    ]
    assert ledger(con) == [
        (
            f"{FOLDER}/.d.csv",
            "ignored",
            0,
            0,
            0,
            f"{FOLDER}/.d.csv: is a hidden file (its name starts with '.'), e.g. a copy in "
            "progress; not read",
        ),
        (f"{FOLDER}/EXTRA.CSV", "loaded", 1, 1, 0, None),
        (f"{FOLDER}/a.csv", "loaded", 1, 1, 0, None),
        (f"{FOLDER}/b.csv.gz", "loaded", 1, 1, 0, None),
        (
            f"{FOLDER}/e.csv.zip",
            "rejected",
            0,
            0,
            0,
            f"{FOLDER}/e.csv.zip: is compressed (.zip), which kam does not read; extract it into "
            "the date folder (kam reads gzip-compressed CSV)",
        ),
        (
            f"{FOLDER}/f.csv",
            "rejected",
            0,
            0,
            0,
            f"{FOLDER}/f.csv: is a symbolic link to {tmp_path / 'nowhere.csv'}, which does not "
            "exist; land the file itself, or correct the link",
        ),
        (
            f"{FOLDER}/g.pipe",
            "ignored",
            0,
            0,
            0,
            f"{FOLDER}/g.pipe: is not a regular file (a named pipe, socket or device); land a "
            "plain file",
        ),
        (
            f"{FOLDER}/readme.txt",
            "ignored",
            0,
            0,
            0,
            f"{FOLDER}/readme.txt: does not match file_pattern '*.csv' of the default mapping of "
            "invoices; not read (set file_pattern if it holds data)",
        ),
        (
            f"{FOLDER}/sub/",
            "ignored",
            0,
            0,
            0,
            f"{FOLDER}/sub/: is a sub-folder, not read (kam reads only the files directly in the "
            "date folder); move its files up into the date folder to load them",
        ),
    ]
    # The rejected entries fail the run, naming them.
    assert [p.split(":")[0] for p in result.problems] == [f"{FOLDER}/e.csv.zip", f"{FOLDER}/f.csv"]


def test_unchanged_folder_with_ignored_entries_is_a_no_op_until_an_entry_changes(con, tmp_path):
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    land(tmp_path, "notes.txt", "x")
    first = ingest_partition(con, "invoices", DAY, tmp_path, Mapping("invoices"), "run-1")
    again = ingest_partition(con, "invoices", DAY, tmp_path, Mapping("invoices"), "run-2")
    assert (first.status, again.status) == ("loaded", "unchanged")
    land(tmp_path, "more.txt", "y")
    third = ingest_partition(con, "invoices", DAY, tmp_path, Mapping("invoices"), "run-3")
    assert third.status == "replaced"
    assert [(f.source_file, f.status) for f in third.files] == [
        (f"{FOLDER}/a.csv", "replaced"),
        (f"{FOLDER}/more.txt", "ignored"),
        (f"{FOLDER}/notes.txt", "ignored"),
    ]
    assert amounts(con) == [(f"{FOLDER}/a.csv", "I1", Decimal("500"))]


def test_damaged_gzip_file_is_rejected_naming_it(con, tmp_path):
    whole = gzip.compress((INV + "I3,C1,2024-03-01,2024-04-30,200,CNY\n" * 50).encode())
    land(tmp_path, "b.csv.gz", whole[: len(whole) // 2])
    result = ingest_partition(con, "invoices", DAY, tmp_path, Mapping("invoices"), "run-1")
    assert [f.status for f in result.files] == ["rejected"]
    assert result.problems[0].startswith(f"{FOLDER}/b.csv.gz: cannot be decompressed (")
    assert result.problems[0].endswith("the gzip file is damaged or incomplete: land it again")
    assert amounts(con) == []


def _deny(monkeypatch, function: str, denied: Path) -> None:
    """Make ``os.<function>`` refuse ``denied`` as a file system would for a user without the
    right (needed when the tests run as root, which chmod does not stop)."""
    real = getattr(os, function)

    def refuse(path, *args, **kwargs):
        if Path(path) == denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, function, refuse)


def test_unreadable_file_is_rejected_with_a_ledger_row_and_kams_message(con, tmp_path, monkeypatch):
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    secret = land(tmp_path, "b.csv", INV + "I2,C1,2024-03-01,2024-04-30,400,CNY\n")
    secret.chmod(0)
    if os.geteuid() == 0:
        _deny(monkeypatch, "open", secret)
    result = ingest_partition(con, "invoices", DAY, tmp_path, Mapping("invoices"), "run-1")
    message = (
        f"{FOLDER}/b.csv: cannot be read (Permission denied); give the user running kam read "
        "permission on it"
    )
    assert result.problems == [message]
    assert [r[:2] for r in ledger(con)] == [
        (f"{FOLDER}/a.csv", "loaded"),
        (f"{FOLDER}/b.csv", "rejected"),
    ]
    assert amounts(con) == [(f"{FOLDER}/a.csv", "I1", Decimal("500"))]
    # Once readable, the next run retries the folder and loads it.
    secret.chmod(0o644)
    monkeypatch.undo()
    retry = ingest_partition(con, "invoices", DAY, tmp_path, Mapping("invoices"), "run-2")
    assert [f.status for f in retry.files] == ["replaced", "replaced"]
    assert [r[1] for r in amounts(con)] == ["I1", "I2"]


def test_unreadable_date_folder_is_rejected_with_a_ledger_row(con, tmp_path, monkeypatch):
    folder = land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n").parent
    folder.chmod(0)
    if os.geteuid() == 0:
        _deny(monkeypatch, "scandir", folder)
    try:
        result = ingest_partition(con, "invoices", DAY, tmp_path, Mapping("invoices"), "run-1")
    finally:
        folder.chmod(0o755)
    assert result.problems == [
        f"{FOLDER}/: cannot list the folder (Permission denied); give the user running kam read "
        "and execute permission on it (e.g. chmod a+rx), or move it out of the landing area"
    ]
    assert [r[:2] for r in ledger(con)] == [(f"{FOLDER}/", "rejected")]


def test_unreadable_source_folder_stops_the_run_naming_it(con, tmp_path, monkeypatch):
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    root = tmp_path / "invoices"
    real = Path.iterdir

    def refuse(self):
        if self == root:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(LandingError) as error:
        sync_landing(con, tmp_path, {}, up_to=DAY, run_id="run-1")
    assert str(error.value) == (
        f"cannot list the landing folder {root} (Permission denied); give the user running kam "
        "read and execute permission on it (e.g. chmod a+rx)"
    )


def test_dangling_link_directly_in_a_source_folder_stops_the_run(con, tmp_path):
    (tmp_path / "invoices").mkdir()
    os.symlink(tmp_path / "gone", tmp_path / "invoices" / "2024-03-31")
    with pytest.raises(LandingError) as error:
        sync_landing(con, tmp_path, {}, up_to=DAY, run_id="run-1")
    assert str(error.value).startswith(
        f"{tmp_path / 'invoices' / '2024-03-31'} (a symbolic link to nothing) lies directly in "
    )


def test_misnamed_folder_of_another_source_stops_before_anything_loads(con, tmp_path):
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    (tmp_path / "payments" / "March").mkdir(parents=True)
    with pytest.raises(LandingError, match="payments/March is not named after a business date"):
        sync_landing(con, tmp_path, {}, up_to=DAY, run_id="run-1", sources=["invoices"])
    assert con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw'"
    ).fetchone() == (0,)


# --- archiving and retracting --------------------------------------------------------------


def _ingest(con, root: Path, run_id: str):
    return ingest_partition(con, "invoices", DAY, root, Mapping("invoices"), run_id)


def test_file_archived_after_loading_keeps_its_rows(con, tmp_path):
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    archived = land(
        tmp_path, "b.csv", INV + "I2,C1,2024-03-01,2024-04-30,400,CNY\nI3,C1,x,2024-04-30,1,CNY\n"
    )
    _ingest(con, tmp_path, "run-1")
    archived.unlink()
    result = _ingest(con, tmp_path, "run-2")
    assert [(f.source_file, f.status, f.rows_read, f.rows_loaded) for f in result.files] == [
        (f"{FOLDER}/a.csv", "replaced", 1, 1),
        (f"{FOLDER}/b.csv", "kept", 2, 1),
    ]
    assert result.files[1].message == (
        "no longer in the landing folder (archived?); its rows are kept. To remove them, retract "
        "the file: put an empty file named 'b.csv.retracted' in the date folder"
    )
    assert amounts(con) == [
        (f"{FOLDER}/a.csv", "I1", Decimal("500")),
        (f"{FOLDER}/b.csv", "I2", Decimal("400")),
    ]
    assert con.execute("select source_file, line_number from raw.quarantine").fetchall() == [
        (f"{FOLDER}/b.csv", 3)
    ]
    # Nothing changes any more: the next run is a no-op.
    assert _ingest(con, tmp_path, "run-3").status == "unchanged"


def test_retraction_marker_removes_a_files_rows(con, tmp_path):
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    archived = land(tmp_path, "b.csv", INV + "I2,C1,2024-03-01,2024-04-30,400,CNY\n")
    _ingest(con, tmp_path, "run-1")
    archived.unlink()
    _ingest(con, tmp_path, "run-2")
    land(tmp_path, "b.csv.retracted", b"")
    result = _ingest(con, tmp_path, "run-3")
    assert [(f.source_file, f.status, f.message) for f in result.files] == [
        (f"{FOLDER}/a.csv", "replaced", ""),
        (f"{FOLDER}/b.csv", "retracted", f"retracted by {FOLDER}/b.csv.retracted; not loaded"),
    ]
    assert amounts(con) == [(f"{FOLDER}/a.csv", "I1", Decimal("500"))]
    assert _ingest(con, tmp_path, "run-4").status == "unchanged"


def test_retraction_marker_beside_the_file_keeps_it_out(con, tmp_path):
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    land(tmp_path, "A.csv.RETRACTED", b"")
    result = _ingest(con, tmp_path, "run-1")
    # The marker's name is compared ignoring case, like file patterns.
    assert [(f.source_file, f.status) for f in result.files] == [(f"{FOLDER}/A.csv", "retracted")]
    assert amounts(con) == []


def test_file_relanded_under_another_name_does_not_double_the_archived_rows(con, tmp_path):
    archived = land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    _ingest(con, tmp_path, "run-1")
    archived.unlink()
    land(
        tmp_path,
        "a_v2.csv",
        INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\nI9,C1,2024-03-01,2024-04-30,90,CNY\n",
    )
    result = _ingest(con, tmp_path, "run-2")
    assert [(f.source_file, f.status, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        (f"{FOLDER}/a_v2.csv", "replaced", 1, 1),
        (f"{FOLDER}/a.csv", "kept", 1, 0),
    ]
    assert con.execute("select sum(amount) from raw.invoices").fetchone() == (Decimal("590"),)
    assert con.execute("select line_number, reason from raw.quarantine").fetchall() == [
        (
            2,
            f"duplicate key (invoice_id=I1): first seen in {FOLDER}/a.csv line 2 "
            "(kept after the file left the landing folder)",
        )
    ]


def test_file_relanded_under_its_own_name_replaces_the_archived_rows(con, tmp_path):
    archived = land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\n")
    _ingest(con, tmp_path, "run-1")
    archived.unlink()
    _ingest(con, tmp_path, "run-2")
    land(tmp_path, "a.csv", INV + "I1,C1,2024-03-01,2024-04-30,450,CNY\n")
    result = _ingest(con, tmp_path, "run-3")
    assert [(f.source_file, f.status) for f in result.files] == [(f"{FOLDER}/a.csv", "replaced")]
    assert amounts(con) == [(f"{FOLDER}/a.csv", "I1", Decimal("450"))]
