"""Parquet readers across publications: a published file is never written again, and a version a
reader resolved ``current`` to stays whole until it has not been current for a grace period, also
through a backfill that publishes many times in a row (see warehouse/publish/parquet_versions.py
and docs/bi-tables.md, "Reading while kam publishes")."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.dataset as ds

from warehouse.publish import PublishedTable, publish
from warehouse.publish.parquet_versions import (
    KEEP_PARQUET_VERSIONS,
    RETIRED_VERSION_GRACE_SECONDS,
    prune_versions,
)

SCORES = PublishedTable("main", "scores", "customer_scores")
LABELS = PublishedTable("main", "labels", "score_labels")
HISTORY = PublishedTable("main", "history", "customer_score_history", by_date=True)


def _write(writer: Path, run: int) -> None:
    """Publication ``run``'s warehouse: ``10 + run`` scores of ``run``, the same two labels every
    time, and one more history date per run (dates before it keep their rows)."""
    with duckdb.connect(str(writer)) as con:
        con.execute(
            "create or replace table scores as select 'c' || range as customer_id, "
            f"{run}::integer as score from range({10 + run})"
        )
        con.execute("create or replace table labels as select * from (values ('a', 1), ('b', 2))")
        con.execute("create table if not exists history (as_of_date date, customer_id varchar)")
        con.execute(
            "insert into history values (?, 'c1'), (?, 'c2')",
            [date(2025, 12, 1 + run), date(2025, 12, 1 + run)],
        )


def _publish(writer: Path, pub: Path, run: int) -> None:
    _write(writer, run)
    publish(writer, pub, [SCORES, LABELS, HISTORY], f"run-{run}")


def _versions(pub: Path) -> list[str]:
    root = pub / "parquet"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink())


def test_a_reader_that_resolved_current_reads_its_whole_version_through_a_backfill(
    tmp_path: Path,
) -> None:
    writer, pub = tmp_path / "w.duckdb", tmp_path / "pub"
    _publish(writer, pub, 0)
    # The reader resolves `current` once and keeps readers on that version's files: a pyarrow
    # dataset and a Polars lazy frame both read the footer now and the data at each collect.
    scores = (pub / "parquet" / "current" / "customer_scores.parquet").resolve()
    assert scores.parent.name == "run-0"
    dataset = ds.dataset(scores)
    lazy = pl.scan_parquet(scores)
    expected = [(f"c{i}", 0) for i in range(10)]
    assert sorted(lazy.collect().rows()) == expected

    # A backfill: more publications than are kept by count, within a minute.
    for run in range(1, KEEP_PARQUET_VERSIONS + 2):
        _publish(writer, pub, run)

    assert (pub / "parquet" / "current").resolve().name == f"run-{KEEP_PARQUET_VERSIONS + 1}"
    assert _versions(pub) == [f"run-{run}" for run in range(KEEP_PARQUET_VERSIONS + 2)]
    assert sorted(lazy.collect().rows()) == expected
    table = dataset.to_table()
    assert sorted(zip(*table.to_pydict().values(), strict=True)) == expected


def test_old_versions_are_removed_once_retired_for_longer_than_the_grace(tmp_path: Path) -> None:
    writer, pub = tmp_path / "w.duckdb", tmp_path / "pub"
    for run in range(5):
        _publish(writer, pub, run)
    assert _versions(pub) == ["run-0", "run-1", "run-2", "run-3", "run-4"]
    # When each was published, in seconds before `now`: run-0 three hours ago, run-1 two hours
    # ago, run-2 ten minutes ago (so run-1 has not been current for ten minutes), run-3 and run-4
    # five and one minute ago.
    now = time.time()
    ago = {"run-0": 3 * 3600, "run-1": 2 * 3600, "run-2": 600, "run-3": 300, "run-4": 60}
    for name, seconds in ago.items():
        os.utime(pub / "parquet" / name / "_SUCCESS", (now - seconds, now - seconds))

    prune_versions(pub / "parquet", keep=3, grace_seconds=RETIRED_VERSION_GRACE_SECONDS, now=now)
    # run-0 was replaced two hours ago: removed. run-1 beyond the newest three, but current until
    # ten minutes ago, under the 15-minute grace: kept.
    assert RETIRED_VERSION_GRACE_SECONDS == 15 * 60
    assert _versions(pub) == ["run-1", "run-2", "run-3", "run-4"]

    prune_versions(pub / "parquet", keep=3, now=now + 6 * 60)
    assert _versions(pub) == ["run-2", "run-3", "run-4"]
    # The newest three stay whatever their age; so does the one `current` names.
    prune_versions(pub / "parquet", keep=3, now=now + 30 * 24 * 3600)
    assert _versions(pub) == ["run-2", "run-3", "run-4"]
    assert (pub / "parquet" / "current").resolve().name == "run-4"


def _fingerprints(pub: Path) -> dict[str, tuple[int, int, int, str]]:
    """Every file of every Parquet version: inode, size, modification time and content hash."""
    found = {}
    for path in (pub / "parquet").glob("run-*/**/*.parquet"):
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        found[str(path.relative_to(pub))] = (stat.st_ino, stat.st_size, stat.st_mtime_ns, digest)
    return found


def test_a_published_file_is_never_written_again(tmp_path: Path) -> None:
    writer, pub = tmp_path / "w.duckdb", tmp_path / "pub"
    seen: dict[str, tuple[int, int, int, str]] = {}
    for run in range(4):
        _publish(writer, pub, run)
        now = _fingerprints(pub)
        # Files of earlier versions are the same files with the same bytes, never rewritten.
        assert {path: now[path] for path in seen} == seen
        seen = now

    # The unchanged labels and the history dates not written again are the same file in every
    # version (hard links), so a rewrite of one would have shown above in every version.
    labels = {seen[f"parquet/run-{run}/score_labels.parquet"][0] for run in range(4)}
    first_date = {
        seen[f"parquet/run-{run}/customer_score_history/2025-12-01.parquet"][0] for run in range(4)
    }
    changed = {seen[f"parquet/run-{run}/customer_scores.parquet"][0] for run in range(4)}
    assert (len(labels), len(first_date), len(changed)) == (1, 1, 4)
    # Each version: score_labels, customer_scores and publication, and one history file a date.
    assert len(seen) == 4 * 3 + (1 + 2 + 3 + 4)


def test_the_database_copy_names_its_parquet_version_for_sql_readers(tmp_path: Path) -> None:
    # The SQL route of docs/bi-tables.md: take the folder from `publication.parquet_version` of
    # the open database copy and read that folder, never `current/`.
    writer, pub = tmp_path / "w.duckdb", tmp_path / "pub"
    _publish(writer, pub, 0)
    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        folder = con.execute(
            "select value from publication where key = 'parquet_version'"
        ).fetchall()[0][0]
        assert folder == (pub / "parquet" / "current").resolve().name == "run-0"
        for run in range(1, KEEP_PARQUET_VERSIONS + 2):
            _publish(writer, pub, run)
        scores = pub / "parquet" / folder / "customer_scores.parquet"
        from_parquet = con.execute(
            f"select * from read_parquet('{scores}') order by customer_id"
        ).fetchall()
        from_database = con.execute("select * from customer_scores order by customer_id").fetchall()
    assert from_parquet == from_database == sorted((f"c{i}", 0) for i in range(10))


def test_the_parquet_copy_says_which_run_and_rows_it_holds(tmp_path: Path) -> None:
    # A Parquet-only reader has the publication table too: the same rows as the database's.
    writer, pub = tmp_path / "w.duckdb", tmp_path / "pub"
    for run in range(2):
        _publish(writer, pub, run)
    folder = (pub / "parquet" / "current").resolve()
    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        from_parquet = con.execute(
            f"select * from read_parquet('{folder / 'publication.parquet'}') order by key"
        ).fetchall()
        from_database = con.execute("select * from publication order by key").fetchall()
    assert from_parquet == from_database
    keys = dict(from_parquet)
    # Run 1 publishes 10 + 1 scores (_write).
    assert (keys["parquet_version"], keys["rows.customer_scores"]) == ("run-1", "11")
