"""Drift gates compare a business date with the previous date of the same history, so a backfill
of older dates after a newer one was published runs through (docs/quality-gates.md)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from demo import generate_demo
from orchestration.cli import main
from warehouse import score_store

pytestmark = pytest.mark.slow

NEWEST = date(2025, 12, 31)
# The demo below lands its initial extract on 2025-12-27, then one folder a day: 4 older dates.
# They hold every case of the gates' comparison: the oldest has no predecessor (whatever was
# scored later), each later one a backfilled predecessor, and the newest a new predecessor.
OLDER_DATES = 4
OLDEST = NEWEST - timedelta(days=OLDER_DATES)


def _history(con: duckdb.DuckDBPyConnection, days: dict[date, int]) -> None:
    frames = [
        pl.DataFrame({"as_of_date": [day] * n, "customer_id": [f"c{i}" for i in range(n)]})
        for day, n in days.items()
    ]
    con.execute("create schema scores")
    con.register("history", pl.concat(frames).to_arrow())
    con.execute(f"create table {score_store.HISTORY} as select * from history")


def test_previous_business_date_is_the_latest_scored_before_it(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert score_store.previous_business_date(con, NEWEST) is None  # no history yet
        _history(con, {NEWEST: 5, OLDEST: 3, OLDEST + timedelta(days=1): 4})
        # A backfill's oldest date has nothing before it, whatever was scored later.
        assert score_store.previous_business_date(con, OLDEST) is None
        assert score_store.previous_business_date(con, OLDEST + timedelta(days=1)) == OLDEST
        assert score_store.previous_business_date(con, OLDEST + timedelta(days=2)) == (
            OLDEST + timedelta(days=1)
        )
        assert score_store.previous_business_date(con, NEWEST) == OLDEST + timedelta(days=1)


def test_backfilling_older_dates_after_a_newer_one_was_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    generate_demo(home, seed=5, customers=120, lines=6_000, daily_days=OLDER_DATES)
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    (home / "dagster").mkdir()
    for name in ("KAM_LANDING_DIR", "KAM_WAREHOUSE_PATH", "KAM_PUBLISH_DIR", "KAM_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--home", str(home), "run", "--date", NEWEST.isoformat()]) == 0
    end = NEWEST - timedelta(days=1)
    code = main(
        ["--home", str(home), "backfill", "--start", OLDEST.isoformat(), "--end", end.isoformat()]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("succeeded") == OLDER_DATES + 1
    # Each summary counts the customers of its own date, as its key-account line does (the
    # demo's master grows by a few customers a day).
    customers = [int(n.replace(",", "")) for n in re.findall(r"\n  customers ([\d,]+)", out)]
    scored = [int(n.replace(",", "")) for n in re.findall(r"key accounts \S+ of ([\d,]+)", out)]
    assert len(customers) == OLDER_DATES + 1 and customers == scored
    published = home / "published" / "kam.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        dates = con.execute(
            "select distinct as_of_date from customer_score_history order by 1"
        ).fetchall()
        newest_scores = con.execute("select distinct as_of_date from customer_scores").fetchall()
    assert [d for (d,) in dates] == [OLDEST + timedelta(days=k) for k in range(OLDER_DATES + 1)]
    # The current scores stay those of the newest date, and so do the dimensions and the
    # publication's business date; the run's own date is recorded beside it.
    assert newest_scores == [(NEWEST,)]
    with duckdb.connect(str(published), read_only=True) as con:
        publication = dict(con.execute("select key, value from publication").fetchall())
        dim_dates = con.execute("select distinct as_of_date from dim_customers").fetchall()
        moves = con.execute(
            "select distinct previous_as_of_date from score_migrations where as_of_date = ?",
            [NEWEST],
        ).fetchall()
        new_customers = con.execute(
            "select sum(customers) from score_migrations where as_of_date = ? "
            "and scheme = 'pyramid_tier' and from_level = 'new'",
            [NEWEST],
        ).fetchall()[0][0]
        customers = con.execute("select count(*) from customer_scores").fetchall()[0][0]
    assert publication["business_date"] == NEWEST.isoformat()
    assert publication["run_business_date"] == end.isoformat()
    assert dim_dates == [(NEWEST,)]
    # 12-31 was scored first, from nothing; the backfilled 12-30 is now its predecessor.
    assert moves == [(end,)]
    assert new_customers < customers / 10


def _late_data_warehouse(path: Path, loaded: list[tuple[str, date, str]]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts; create schema scores")
        con.execute(
            "create table raw.ingestion_ledger (run_id varchar, business_date date, status varchar)"
        )
        if loaded:
            con.executemany("insert into raw.ingestion_ledger values (?, ?, ?)", loaded)
        con.execute(
            "create table marts.fct_customer_facts as select unnest(?) as as_of_date",
            [[date(2025, 12, d) for d in (20, 21, 22, 23)]],
        )
        con.execute(
            f"create table {score_store.HISTORY} as select unnest(?) as as_of_date",
            [[date(2025, 12, d) for d in (20, 21, 22, 23)]],
        )


def test_late_folders_name_the_published_dates_they_made_stale(tmp_path: Path) -> None:
    from orchestration.assets.publishing import dates_state, stale_notice

    run = date(2025, 12, 23)
    path = tmp_path / "w.duckdb"
    _late_data_warehouse(
        path,
        [
            ("night", run, "loaded"),
            ("night", date(2025, 12, 21), "replaced"),  # a corrected file for 12-21, late
            ("night", date(2025, 12, 19), "unchanged"),
            ("before", date(2025, 12, 20), "loaded"),
        ],
    )
    with duckdb.connect(str(path), read_only=True) as con:
        newest, stale = dates_state(con, run, "night")
        # The run of 12-20 loaded its own folder: nothing late.
        _, none = dates_state(con, date(2025, 12, 20), "before")
    assert newest == run
    assert stale == [date(2025, 12, 21), date(2025, 12, 22)]
    assert none == []
    assert stale_notice(stale).endswith(
        "(2025-12-21 … 2025-12-22) were computed without them — re-run them: "
        "kam backfill --start 2025-12-21 --end 2025-12-22"
    )


def test_facts_never_scored_are_not_named_stale(tmp_path: Path) -> None:
    """A first night after a quarter's end loads the older folders and builds the quarter-end
    facts for credit scoring after them: that date was never run, nothing of it is stale."""
    from orchestration.assets.publishing import dates_state

    path = tmp_path / "w.duckdb"
    run = date(2026, 1, 1)
    _late_data_warehouse(path, [("night", run, "loaded"), ("night", date(2025, 12, 30), "loaded")])
    with duckdb.connect(str(path)) as con:
        con.execute("delete from marts.fct_customer_facts; delete from " + score_store.HISTORY)
        con.execute("insert into marts.fct_customer_facts values ('2025-12-31'), ('2026-01-01')")
        con.execute(f"insert into {score_store.HISTORY} values ('2026-01-01')")
        assert dates_state(con, run, "night") == (run, [])
        # Once 2025-12-31 has been run (scored), a later late folder makes it stale.
        con.execute(f"insert into {score_store.HISTORY} values ('2025-12-31')")
        assert dates_state(con, run, "night") == (run, [date(2025, 12, 31)])


def test_a_backfill_publishes_the_newest_date_as_the_business_date(tmp_path: Path) -> None:
    from orchestration.assets.publishing import dates_state

    path = tmp_path / "w.duckdb"
    _late_data_warehouse(path, [])
    with duckdb.connect(str(path), read_only=True) as con:
        assert dates_state(con, date(2025, 12, 21), "r") == (date(2025, 12, 23), [])
        assert dates_state(con, date(2025, 12, 24), "r") == (date(2025, 12, 24), [])
