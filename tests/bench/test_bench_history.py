"""bench/history.py adds history the way nightly runs would have written it."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb

from warehouse.partition_writes import HISTORY_TABLES

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import history  # noqa: E402


def test_earlier_dates_repeat_the_first_date_and_are_logged(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for table in HISTORY_TABLES:
            schema = table.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {table} (as_of_date date, customer_id varchar, v integer)")
            con.execute(
                f"insert into {table} values ('2025-12-17', 'C1', 1), ('2025-12-17', 'C2', 2),"
                "('2025-12-18', 'C1', 3)"
            )

    counts = history.add_history(warehouse, date(2025, 12, 17), 2)

    assert counts == {table: 7 for table in HISTORY_TABLES}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        facts = con.execute("select * from marts.fct_customer_facts order by all").fetchall()
        log = con.execute(
            "select table_name, as_of_date, write_id from main.kam_partition_writes order by 3"
        ).fetchall()
    assert facts == [
        (date(2025, 12, 15), "C1", 1),
        (date(2025, 12, 15), "C2", 2),
        (date(2025, 12, 16), "C1", 1),
        (date(2025, 12, 16), "C2", 2),
        (date(2025, 12, 17), "C1", 1),
        (date(2025, 12, 17), "C2", 2),
        (date(2025, 12, 18), "C1", 3),
    ]
    facts_table, scores_table = HISTORY_TABLES
    assert log == [
        (facts_table, date(2025, 12, 15), 1),
        (facts_table, date(2025, 12, 16), 2),
        (scores_table, date(2025, 12, 15), 3),
        (scores_table, date(2025, 12, 16), 4),
    ]
