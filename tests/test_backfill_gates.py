"""Drift gates compare a business date with the previous date of the same history, so a backfill
of older dates after a newer one was published runs through (docs/quality-gates.md)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration import score_store
from orchestration.cli import main
from orchestration.demo import generate_demo

pytestmark = pytest.mark.slow

NEWEST = date(2025, 12, 31)
# The demo's initial extract lands on 2025-12-17, then one folder a day: 14 older dates.
OLDEST = date(2025, 12, 17)


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


def test_backfilling_14_older_dates_after_a_newer_one_was_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    generate_demo(home, seed=5, customers=120, lines=6_000)
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
    assert out.count("succeeded") == 15
    published = home / "published" / "kam.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        dates = con.execute(
            "select distinct as_of_date from customer_score_history order by 1"
        ).fetchall()
        newest_scores = con.execute("select distinct as_of_date from customer_scores").fetchall()
    assert [d for (d,) in dates] == [OLDEST + timedelta(days=k) for k in range(15)]
    # The current scores stay those of the newest date.
    assert newest_scores == [(NEWEST,)]
