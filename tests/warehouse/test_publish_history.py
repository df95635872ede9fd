"""History tables are published date by date: only dates written since the last publication are
compared and copied again, and each date is its own Parquet file (see warehouse/publish/)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb

from warehouse import partition_writes
from warehouse.publish import PublishedTable, publish
from warehouse.settings import DBT_PROJECT_DIR

HISTORY = PublishedTable("main", "history", "customer_score_history", by_date=True)
D1, D2, D3 = date(2025, 12, 17), date(2025, 12, 18), date(2025, 12, 19)


def _write(
    path: Path, sql: str, logged: tuple[date, ...] = (), params: tuple[int, ...] = ()
) -> None:
    """Run ``sql`` on the writer warehouse and log the ``logged`` dates as written."""
    with duckdb.connect(str(path)) as con:
        con.execute(sql, list(params))
        for day in logged:
            partition_writes.record(con, "main.history", day)


def _rows(pub: Path) -> list[tuple]:
    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        return con.execute("select * from customer_score_history order by all").fetchall()


def _folder(pub: Path) -> Path:
    return pub / "parquet" / "current" / "customer_score_history"


def _files(pub: Path) -> dict[str, list[tuple]]:
    """Each Parquet file of the table's folder and its rows."""
    return {
        f.name: duckdb.sql(f"select * from '{f}' order by all").fetchall()
        for f in sorted(_folder(pub).iterdir())
    }


def _inode(pub: Path, name: str) -> int:
    return (_folder(pub) / name).resolve().stat().st_ino


def _new_warehouse(writer: Path, scores: tuple[int, int, int]) -> None:
    """A writer warehouse whose history holds C1 and C2 on D1 and C1 on D2, both dates logged."""
    _write(
        writer,
        "create table history (as_of_date date, customer_id varchar, score integer);"
        "insert into history values ('2025-12-17', 'C1', ?), ('2025-12-17', 'C2', ?),"
        "('2025-12-18', 'C1', ?);",
        logged=(D1, D2),
        params=scores,
    )


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    writer, pub = tmp_path / "w.duckdb", tmp_path / "pub"
    _new_warehouse(writer, (10, 20, 11))
    publish(writer, pub, [HISTORY], "run-1")
    return writer, pub


def test_history_is_one_parquet_file_per_date(tmp_path: Path) -> None:
    _, pub = _setup(tmp_path)

    assert _files(pub) == {
        "2025-12-17.parquet": [(D1, "C1", 10), (D1, "C2", 20)],
        "2025-12-18.parquet": [(D2, "C1", 11)],
    }
    assert _rows(pub) == [(D1, "C1", 10), (D1, "C2", 20), (D2, "C1", 11)]


def test_new_date_is_written_and_earlier_dates_are_hard_linked(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    before = {name: _inode(pub, name) for name in _files(pub)}
    _write(writer, "insert into history values ('2025-12-19', 'C1', 12)", logged=(D3,))

    publish(writer, pub, [HISTORY], "run-2")

    assert _folder(pub).resolve().parent.name == "run-2"
    assert {name: _inode(pub, name) for name in before} == before
    assert _files(pub)["2025-12-19.parquet"] == [(D3, "C1", 12)]
    assert _rows(pub) == [(D1, "C1", 10), (D1, "C2", 20), (D2, "C1", 11), (D3, "C1", 12)]


def test_a_date_written_again_is_replaced_even_with_the_same_row_count(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    linked = _inode(pub, "2025-12-18.parquet")
    _write(writer, "update history set score = 99 where as_of_date = '2025-12-17'", logged=(D1,))

    publish(writer, pub, [HISTORY], "run-2")

    assert _rows(pub) == [(D1, "C1", 99), (D1, "C2", 99), (D2, "C1", 11)]
    assert _files(pub)["2025-12-17.parquet"] == [(D1, "C1", 99), (D1, "C2", 99)]
    assert _inode(pub, "2025-12-18.parquet") == linked


def test_the_log_is_trusted_for_dates_it_does_not_name(tmp_path: Path) -> None:
    # Writers must log what they write: a same-size change of a date left out of the log is
    # not looked for (comparing every date is what the log saves).
    writer, pub = _setup(tmp_path)
    _write(writer, "update history set score = 99 where as_of_date = '2025-12-17'")

    publish(writer, pub, [HISTORY], "run-2")

    assert _rows(pub) == [(D1, "C1", 10), (D1, "C2", 20), (D2, "C1", 11)]


def test_a_date_deleted_or_grown_outside_the_log_is_found_by_its_row_count(
    tmp_path: Path,
) -> None:
    writer, pub = _setup(tmp_path)
    _write(
        writer,
        "delete from history where as_of_date = '2025-12-18';"
        "insert into history values ('2025-12-17', 'C3', 30)",
    )

    publish(writer, pub, [HISTORY], "run-2")

    expected = [(D1, "C1", 10), (D1, "C2", 20), (D1, "C3", 30)]
    assert _rows(pub) == expected
    assert _files(pub) == {"2025-12-17.parquet": expected}


def test_another_warehouses_log_makes_every_date_compared(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    # The warehouse is re-created with different values and as many writes as before: its log
    # reaches the same write id, but it started at another time.
    writer.unlink()
    _new_warehouse(writer, (1, 2, 3))

    publish(writer, pub, [HISTORY], "run-2")

    assert _rows(pub) == [(D1, "C1", 1), (D1, "C2", 2), (D2, "C1", 3)]
    assert _files(pub)["2025-12-18.parquet"] == [(D2, "C1", 3)]


def test_files_of_a_parquet_version_not_published_with_the_database_are_not_reused(
    tmp_path: Path,
) -> None:
    writer, pub = _setup(tmp_path)
    # A crash between the two swaps: the database copy is run-1's, `current` points elsewhere.
    stray = pub / "parquet" / "stray"
    (stray / "customer_score_history").mkdir(parents=True)
    duckdb.sql(
        "copy (select date '2025-12-17' as as_of_date, 'X' as customer_id, 0 as score) "
        f"to '{stray / 'customer_score_history' / '2025-12-17.parquet'}' (format parquet)"
    )
    (stray / "_SUCCESS").touch()
    current = pub / "parquet" / "current"
    current.unlink()
    current.symlink_to("stray", target_is_directory=True)

    publish(writer, pub, [HISTORY], "run-2")

    assert _files(pub)["2025-12-17.parquet"] == [(D1, "C1", 10), (D1, "C2", 20)]


def test_rows_without_a_date_get_their_own_file(tmp_path: Path) -> None:
    writer, pub = _setup(tmp_path)
    _write(writer, "insert into history values (null, 'C9', 1)")

    publish(writer, pub, [HISTORY], "run-2")

    assert _files(pub)["undated.parquet"] == [(None, "C9", 1)]
    assert (None, "C9", 1) in _rows(pub)


def test_dbt_makes_the_partition_write_log_as_the_python_writers_do() -> None:
    macro = (DBT_PROJECT_DIR / "macros" / "incremental" / "partition_writes.sql").read_text(
        encoding="utf-8"
    )
    found = re.search(
        r"create table if not exists \{\{ partition_writes_table\(\) \}\} \((.*?)\)\s*\{% endmacro",
        macro,
        re.DOTALL,
    )
    assert found, "dbt_project/macros/incremental/partition_writes.sql no longer creates the log"
    # dbt.type_string() renders as VARCHAR on DuckDB (dbt-duckdb's string type); no other Jinja
    ddl = found.group(1).replace("{{ dbt.type_string() }}", "varchar")
    assert "{" not in ddl, ddl
    with duckdb.connect() as con:
        con.execute(f"create table from_dbt ({ddl})")
        partition_writes.record(con, "main.history", D1)

        def columns(table: str) -> list[tuple]:
            return [row[:3] for row in con.execute(f"describe {table}").fetchall()]

        assert (
            columns("from_dbt")
            == columns(partition_writes.TABLE)
            == [
                ("table_name", "VARCHAR", "NO"),
                ("as_of_date", "DATE", "NO"),
                ("write_id", "BIGINT", "NO"),
                ("written_at", "TIMESTAMP", "NO"),
            ]
        )
