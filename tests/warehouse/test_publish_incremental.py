"""A publication reuses the previous one: only what changed is copied again, nothing else."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import duckdb
import pytest

from warehouse.publish import PublishedTable, clone_or_copy, publish
from warehouse.publish import reflink as publish_module

FACTS = PublishedTable("main", "facts", "fct_customer_facts")
LABELS = PublishedTable("main", "labels", "score_labels")


def _write(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(sql)


def _rows(pub: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        return con.execute(f"select * from {table} order by all").fetchall()


def _parquet(pub: Path, table: str) -> Path:
    return pub / "parquet" / "current" / f"{table}.parquet"


def _parquet_rows(pub: Path, table: str) -> list[tuple]:
    return duckdb.sql(f"select * from '{_parquet(pub, table)}' order by all").fetchall()


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    writer, pub = tmp_path / "w.duckdb", tmp_path / "pub"
    _write(
        writer,
        "create table facts (as_of_date date, customer_id varchar, revenue decimal(18, 2));"
        "insert into facts values ('2025-12-17', 'C1', 10.50), ('2025-12-17', 'C2', 3.00);"
        "create table labels (label varchar); insert into labels values ('A'), ('B');",
    )
    publish(writer, pub, [FACTS, LABELS], "run-1")
    return writer, pub


def test_new_date_is_added_and_earlier_dates_kept(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    _write(writer, "insert into facts values ('2025-12-18', 'C1', 11.00), (null, 'C9', 1.00)")

    result = publish(writer, pub, [FACTS, LABELS], "run-2")

    expected = [
        ("2025-12-17", "C1", "10.50"),
        ("2025-12-17", "C2", "3.00"),
        ("2025-12-18", "C1", "11.00"),
        (None, "C9", "1.00"),
    ]
    shown = [(d and d.isoformat(), c, f"{r:.2f}") for d, c, r in _rows(pub, "fct_customer_facts")]
    assert sorted(shown, key=str) == sorted(expected, key=str)
    assert result.row_counts == {"fct_customer_facts": 4, "score_labels": 2}
    assert len(_parquet_rows(pub, "fct_customer_facts")) == 4


def test_changed_and_removed_rows_of_an_earlier_date_are_replaced(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    _write(writer, "update facts set revenue = 99 where customer_id = 'C1'")
    _write(writer, "delete from facts where customer_id = 'C2'")

    publish(writer, pub, [FACTS, LABELS], "run-2")

    rows = _rows(pub, "fct_customer_facts")
    assert [(r[1], float(r[2])) for r in rows] == [("C1", 99.0)]
    assert [(r[1], float(r[2])) for r in _parquet_rows(pub, "fct_customer_facts")] == [("C1", 99.0)]


def test_unchanged_table_keeps_its_parquet_file_by_hard_link(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    first = _parquet(pub, "score_labels").resolve()

    publish(writer, pub, [FACTS, LABELS], "run-2")

    second = _parquet(pub, "score_labels").resolve()
    assert second.parent.name == "run-2"
    assert second.stat().st_ino == first.stat().st_ino
    assert _parquet_rows(pub, "score_labels") == [("A",), ("B",)]


def test_changed_column_type_copies_the_table_again(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    _write(writer, "create or replace table labels as select 1 as label")

    publish(writer, pub, [FACTS, LABELS], "run-2")

    assert _rows(pub, "score_labels") == [(1,)]
    assert _parquet_rows(pub, "score_labels") == [(1,)]


def test_table_no_longer_published_is_dropped(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)

    publish(writer, pub, [FACTS], "run-2")

    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert tables == {"fct_customer_facts", "publication"}


def test_unreadable_previous_copy_is_replaced_by_a_full_one(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    (pub / "kam.duckdb").write_bytes(b"not a database")

    publish(writer, pub, [FACTS, LABELS], "run-2")

    assert len(_rows(pub, "fct_customer_facts")) == 2
    assert _rows(pub, "score_labels") == [("A",), ("B",)]


def _free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def test_previous_publication_is_cloned_where_the_file_system_can(tmp_path: Path) -> None:
    """On XFS or Btrfs (run with ``--basetemp`` there) the copy takes no space and stays apart."""
    probe = tmp_path / "probe"
    _write_synced(probe, b"p" * 4096)
    if not clone_or_copy(probe, tmp_path / "probe-clone"):
        pytest.skip(f"{tmp_path} has no copy-on-write clones (e.g. ext4); run on XFS or Btrfs")
    source, target = tmp_path / "source", tmp_path / "target"
    data = os.urandom(64 * 2**20)
    _write_synced(source, data)
    free_before = _free_bytes(tmp_path)

    assert clone_or_copy(source, target)

    with open(target, "r+b") as f:
        os.fsync(f.fileno())
        # A byte-by-byte copy would take the file's 64 MiB.
        assert free_before - _free_bytes(tmp_path) < 8 * 2**20
        f.seek(2**20)
        f.write(b"w" * 2**20)
        f.flush()
        os.fsync(f.fileno())
    assert source.read_bytes() == data
    assert target.read_bytes() == data[: 2**20] + b"w" * 2**20 + data[2 * 2**20 :]


def test_a_refused_clone_falls_back_to_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise OSError(errno.EOPNOTSUPP, "Operation not supported")

    monkeypatch.setattr(publish_module.fcntl, "ioctl", refuse)
    writer, pub = _setup(tmp_path)
    _write(writer, "insert into facts values ('2025-12-18', 'C3', 7.25)")

    publish(writer, pub, [FACTS, LABELS], "run-2")

    assert [c for _, c, _ in _rows(pub, "fct_customer_facts")] == ["C1", "C2", "C3"]
    assert not clone_or_copy(pub / "kam.duckdb", tmp_path / "copy.duckdb")
    assert (tmp_path / "copy.duckdb").read_bytes() == (pub / "kam.duckdb").read_bytes()
