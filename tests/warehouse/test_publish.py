"""Publishing replaces the BI copy atomically and never touches it on failure."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from warehouse.publish import PublishedTable, publish

TABLES = [PublishedTable("main", "scores", "customer_scores")]


def _writer(path: Path, rows: list[tuple[str, int]]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table scores (customer_id varchar, score integer)")
        con.executemany("insert into scores values (?, ?)", rows)
    return path


def _read(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select * from customer_scores order by customer_id").fetchall()


def test_publish_writes_database_parquet_and_publication_table(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "w.duckdb", [("c1", 90), ("c2", 75)])
    result = publish(
        writer, tmp_path / "pub", TABLES, "run-1", metadata={"business_date": "2025-12-31"}
    )

    assert result.row_counts == {"customer_scores": 2}
    assert _read(tmp_path / "pub" / "kam.duckdb") == [("c1", 90), ("c2", 75)]
    parquet = tmp_path / "pub" / "parquet" / "current" / "customer_scores.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall() == [(2,)]
    with duckdb.connect(str(result.database_path), read_only=True) as con:
        meta = dict(con.execute("select key, value from publication").fetchall())
    assert meta == {
        "business_date": "2025-12-31",
        "parquet_version": "run-1",
        "storage_version": "v1.0.0",
        "rows.customer_scores": "2",
    }
    # The published name is a link to this publication's own file.
    assert os.readlink(tmp_path / "pub" / "kam.duckdb") == "versions/run-1.duckdb"


def test_reader_holding_old_copy_keeps_its_snapshot_while_new_one_is_published(
    tmp_path: Path,
) -> None:
    writer = _writer(tmp_path / "w.duckdb", [("c1", 90)])
    publish(writer, tmp_path / "pub", TABLES, "run-1")
    reader = duckdb.connect(str(tmp_path / "pub" / "kam.duckdb"), read_only=True)

    _writer(writer, [("c1", 50), ("c2", 60)])
    publish(writer, tmp_path / "pub", TABLES, "run-2")

    assert reader.execute("select count(*) from customer_scores").fetchone()[0] == 1
    reader.close()
    assert _read(tmp_path / "pub" / "kam.duckdb") == [("c1", 50), ("c2", 60)]


def test_failed_publication_leaves_previous_copy_and_no_leftovers(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "w.duckdb", [("c1", 90)])
    publish(writer, tmp_path / "pub", TABLES, "run-1")

    missing = [*TABLES, PublishedTable("main", "no_such_table", "broken")]
    with pytest.raises(duckdb.CatalogException):
        publish(writer, tmp_path / "pub", missing, "run-2")

    assert _read(tmp_path / "pub" / "kam.duckdb") == [("c1", 90)]
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == [
        "kam.duckdb",
        "parquet",
        "versions",
    ]
    assert [p.name for p in (tmp_path / "pub" / "versions").iterdir()] == ["run-1.duckdb"]
    assert (tmp_path / "pub" / "parquet" / "current").resolve().name == "run-1"


def test_old_parquet_versions_are_pruned(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "w.duckdb", [("c1", 90)])
    for i in range(5):
        publish(writer, tmp_path / "pub", TABLES, f"run-{i}")
        # Nightly runs: each version was published a day before the next (a version replaced
        # minutes ago is kept, tests/warehouse/test_parquet_readers.py).
        for marker in (tmp_path / "pub" / "parquet").glob("run-*/_SUCCESS"):
            published = marker.stat().st_mtime - 24 * 3600
            os.utime(marker, (published, published))
    versions = sorted(
        p.name for p in (tmp_path / "pub" / "parquet").iterdir() if not p.is_symlink()
    )
    assert versions == ["run-2", "run-3", "run-4"]


@pytest.mark.parametrize("name", ["scores; drop table x", "a.b", "1abc", ""])
def test_table_names_must_be_plain_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="plain identifiers"):
        PublishedTable("main", name, "ok")


def test_quarantined_customer_lines_are_withheld_from_the_bi_copy(tmp_path: Path) -> None:
    from warehouse.registry import RAW_TABLES as RAW_TABLES_PUBLISHED

    writer = tmp_path / "w.duckdb"
    with duckdb.connect(str(writer)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.ingestion_ledger (source varchar)")
        con.execute("create table raw.quarantine (source varchar, raw_record varchar)")
        con.execute(
            "insert into raw.quarantine values "
            "('customers', 'C9,李雷,13800000001,lilei@example.com'), ('payments', 'P1,C1,x,5')"
        )
    publish(writer, tmp_path / "pub", RAW_TABLES_PUBLISHED, "run-1")
    with duckdb.connect(str(tmp_path / "pub" / "kam.duckdb"), read_only=True) as con:
        rows = dict(con.execute("select source, raw_record from quarantine").fetchall())
    assert rows["payments"] == "P1,C1,x,5"
    assert "13800000001" not in rows["customers"] and "withheld" in rows["customers"]
