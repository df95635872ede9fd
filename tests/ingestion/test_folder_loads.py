"""Changed landing folders of a source load side by side on cursors of one DuckDB database
(``KAM_INGEST_THREADS``): what they write equals what loading them one after another writes,
they do overlap, and a failing folder stops the folders not yet started."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from landing_files import land
from test_ingestion import TX_HEADER, assert_ledger_reconciles

from ingestion import folder_loads as folder_loads_module
from ingestion import sync_landing

FIRST = date(2024, 3, 1)
FOLDERS = 12


def _line(order: str, line: int, customer: str, day: date, amount: str) -> str:
    return f"{order},{line},{customer},{day} 10:00:00,P1,Tea,1,{amount},{amount},1.00,0\n"


def first_night(landing: Path) -> None:
    """Twelve daily folders: each with valid lines, some with a bad amount (quarantined), one
    with a second file and one with an entry that is not an export."""
    for i in range(FOLDERS):
        day = FIRST + timedelta(days=i)
        text = TX_HEADER + _line(f"O{i}", 1, f"C{i % 3}", day, "10.00")
        text += _line(f"O{i}", 2, f"C{i % 3}", day, "abc" if i % 4 == 0 else "5.50")
        land(landing, "transactions", "orders.csv", text, day)
    land(
        landing, "transactions", "late.csv", TX_HEADER + _line("L1", 1, "C9", FIRST, "7.00"), FIRST
    )
    land(landing, "transactions", "notes.txt", "not an export", FIRST + timedelta(days=5))


def second_night(landing: Path) -> None:
    """Corrections in three folders (one file replaced, one file gone, one file added), and
    three new folders."""
    day = FIRST + timedelta(days=2)
    land(landing, "transactions", "orders.csv", TX_HEADER + _line("O2", 1, "C2", day, "99.00"), day)
    (landing / "transactions" / FIRST.isoformat() / "late.csv").unlink()
    day = FIRST + timedelta(days=7)
    land(landing, "transactions", "more.csv", TX_HEADER + _line("M7", 1, "C1", day, "3.00"), day)
    for i in range(FOLDERS, FOLDERS + 3):
        day = FIRST + timedelta(days=i)
        land(
            landing,
            "transactions",
            "orders.csv",
            TX_HEADER + _line(f"O{i}", 1, "C1", day, "2.00"),
            day,
        )


def written(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every row ingestion wrote, without the load times and run ids that differ by run."""
    return {
        "transactions": con.execute(
            "select * exclude (_loaded_at) from raw.transactions order by all"
        ).fetchall(),
        "quarantine": con.execute(
            "select * exclude (quarantined_at, run_id) from raw.quarantine order by all"
        ).fetchall(),
        "amounts": con.execute(
            "select order_id, line_number, line_amount from raw.transactions order by all"
        ).fetchall(),
        "ledger": con.execute(
            "select * exclude (loaded_at, run_id) from raw.ingestion_ledger order by all"
        ).fetchall(),
    }


def nights(landing: Path, threads: int) -> tuple[list[list[tuple]], list[dict[str, list[tuple]]]]:
    """The partition statuses and written rows after each of the two nights."""
    statuses, rows = [], []
    with duckdb.connect() as con:
        for night, (land_night, up_to) in enumerate(
            [
                (first_night, FIRST + timedelta(days=FOLDERS - 1)),
                (second_night, FIRST + timedelta(days=FOLDERS + 2)),
            ]
        ):
            land_night(landing)
            results = sync_landing(
                con,
                landing,
                {},
                up_to=up_to,
                run_id=f"night-{night}",
                sources=["transactions"],
                threads=threads,
            )
            statuses.append(
                [(r.business_date, r.status, r.rows_loaded, r.rows_quarantined) for r in results]
            )
            rows.append(written(con))
            assert_ledger_reconciles(con)
    return statuses, rows


def test_folders_loaded_side_by_side_write_what_one_after_another_writes(tmp_path: Path) -> None:
    one_by_one = nights(tmp_path / "a", threads=1)
    side_by_side = nights(tmp_path / "b", threads=4)
    assert side_by_side == one_by_one
    statuses, rows = one_by_one
    # Worked out by hand: the first night loads all twelve folders, 24 lines and the late file's
    # one, of which the bad amounts of days 0, 4 and 8 are quarantined.
    assert [s[1] for s in statuses[0]] == ["loaded"] * FOLDERS
    assert sum(s[2] for s in statuses[0]) == 25 - 3
    assert sum(s[3] for s in statuses[0]) == 3
    # The second: day 2 replaced (1 line), day 0 replaced (late.csv gone: its line kept), day 7
    # replaced (a file added), days 12–14 loaded; the others unchanged.
    changed = {s[0]: s[1] for s in statuses[1] if s[1] != "unchanged"}
    assert changed == {
        FIRST: "replaced",
        FIRST + timedelta(days=2): "replaced",
        FIRST + timedelta(days=7): "replaced",
        **{FIRST + timedelta(days=i): "loaded" for i in range(FOLDERS, FOLDERS + 3)},
    }
    amounts = {(order, line): amount for order, line, amount in rows[1]["amounts"]}
    assert amounts[("O2", 1)] == 99 and ("O2", 2) not in amounts
    assert ("L1", 1) in amounts  # kept after its file left the folder


def test_the_folders_of_a_night_do_load_at_the_same_time(tmp_path: Path, monkeypatch) -> None:
    """Two loads meet inside the staging step: they cannot when loads run one at a time."""
    meeting = threading.Barrier(2, timeout=30)
    stage = folder_loads_module.stage_files
    met: list[str] = []

    def staging_that_waits_for_another(*args, **kwargs):
        if not met:
            meeting.wait()
            met.append(threading.current_thread().name)
        return stage(*args, **kwargs)

    monkeypatch.setattr(folder_loads_module, "stage_files", staging_that_waits_for_another)
    first_night(tmp_path)
    with duckdb.connect() as con:
        results = sync_landing(
            con,
            tmp_path,
            {},
            up_to=FIRST + timedelta(days=FOLDERS - 1),
            run_id="r",
            sources=["transactions"],
            threads=2,
        )
    assert [r.status for r in results] == ["loaded"] * FOLDERS
    assert met and met[0].startswith("kam-ingest")


def test_a_failing_folder_stops_the_folders_not_yet_started(tmp_path: Path, monkeypatch) -> None:
    """The earliest failing folder's error is raised as it is; every folder that committed is
    whole (the ledger reconciles), and the next run loads what did not commit."""
    failing = FIRST + timedelta(days=3)
    stage = folder_loads_module.stage_files

    def staging_that_fails_on_day_three(con, contract, business_date, *args, **kwargs):
        if business_date == failing:
            raise OSError(f"disk gone while staging {business_date}")
        return stage(con, contract, business_date, *args, **kwargs)

    monkeypatch.setattr(folder_loads_module, "stage_files", staging_that_fails_on_day_three)
    first_night(tmp_path)
    up_to = FIRST + timedelta(days=FOLDERS - 1)
    with duckdb.connect() as con:
        with pytest.raises(OSError, match="disk gone while staging 2024-03-04"):
            sync_landing(
                con, tmp_path, {}, up_to=up_to, run_id="r1", sources=["transactions"], threads=2
            )
        assert_ledger_reconciles(con)
        loaded = {
            d
            for (d,) in con.execute(
                "select distinct business_date from raw.ingestion_ledger"
            ).fetchall()
        }
        assert failing not in loaded
        # Two threads: at most the folder beside the failing one and the one started after it.
        assert len(loaded) < FOLDERS - 1
        monkeypatch.setattr(folder_loads_module, "stage_files", stage)
        again = sync_landing(
            con, tmp_path, {}, up_to=up_to, run_id="r2", sources=["transactions"], threads=2
        )
        assert {r.business_date for r in again if r.status == "loaded"} == {
            FIRST + timedelta(days=i) for i in range(FOLDERS)
        } - loaded
        assert_ledger_reconciles(con)
