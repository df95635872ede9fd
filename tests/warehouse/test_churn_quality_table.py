"""The churn_model_quality table: measured on the warehouse's own past dates, written per date
and summarised after a run (warehouse/churn_quality.py, docs/churn-quality.md)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from churn_histories import facts_history

from scoring.churn_calibration import backtest
from scoring.config import default_config
from warehouse import churn_quality

FULL = default_config()
DATES = [date(2024, 3, 1) + timedelta(days=30 * k) for k in range(7)]


def _warehouse(path: Path, history: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.register("history", history.to_arrow())
    con.execute("create table marts.fct_customer_facts as select * from history")
    return con


def test_measurable_dates_need_their_outcome_date_by_the_run() -> None:
    # 90 days = 3 steps of 30: D needs D + 90 in the history and on or before the run's date.
    assert churn_quality.measurable_dates(DATES, 90) == DATES[:4]
    assert churn_quality.measurable_dates(DATES, 90, until=DATES[4]) == DATES[:2]
    assert churn_quality.measurable_dates(DATES[:3], 90) == []


def test_nightly_measures_the_newest_date_with_a_known_outcome(tmp_path: Path) -> None:
    history = facts_history(7, DATES)
    with _warehouse(tmp_path / "w.duckdb", history) as con:
        rows = churn_quality.measure_newest(con, FULL, DATES[-1], "run-1")
        stored = con.sql(f"select * from {churn_quality.QUALITY}").pl()
    # The newest D with D + 90 by DATES[6] is DATES[3]; scored as a run on it would have been,
    # calibrated on what was known then: the same figures as the library's back-test.
    expected = backtest(history, FULL.churn, as_of_dates=[DATES[3]])
    assert set(rows["as_of_date"].to_list()) == {DATES[3]}
    got = rows.select("score", "metric", "decile", "value").sort("score", "metric", "decile")
    want = expected.select("score", "metric", "decile", "value").sort("score", "metric", "decile")
    assert got["value"].to_list() == pytest.approx(want["value"].to_list())
    assert rows["outcome_known_on"].unique().to_list() == [DATES[6]]
    assert rows["run_id"].unique().to_list() == ["run-1"]
    assert stored.height == rows.height


def test_measuring_a_date_again_replaces_its_rows_and_keeps_the_others(tmp_path: Path) -> None:
    history = facts_history(7, DATES)
    with _warehouse(tmp_path / "w.duckdb", history) as con:
        churn_quality.measure(con, FULL, DATES[:4], "backtest")
        first = con.execute(f"select count(*) from {churn_quality.QUALITY}").fetchall()[0][0]
        churn_quality.measure(con, FULL, [DATES[3]], "night")
        by_run = dict(
            con.execute(
                f"select run_id, count(distinct as_of_date) from {churn_quality.QUALITY} group by 1"
            ).fetchall()
        )
        second = con.execute(f"select count(*) from {churn_quality.QUALITY}").fetchall()[0][0]
    assert by_run == {"backtest": 3, "night": 1}
    assert second == first


def test_no_measurable_date_still_creates_the_table(tmp_path: Path) -> None:
    history = facts_history(7, DATES[:2])
    with _warehouse(tmp_path / "w.duckdb", history) as con:
        rows = churn_quality.measure_newest(con, FULL, DATES[1], "run-1")
        count = con.execute(f"select count(*) from {churn_quality.QUALITY}").fetchall()[0][0]
    assert rows.height == 0 and count == 0


def test_summary_line_reads_the_newest_date_measured(tmp_path: Path) -> None:
    history = facts_history(7, DATES)
    with _warehouse(tmp_path / "w.duckdb", history) as con:
        rows = churn_quality.measure(con, FULL, DATES[2:4], "night")
        con.execute(f"create view churn_model_quality as select * from {churn_quality.QUALITY}")
        line = churn_quality.summary_line(con)
    newest = rows.filter(pl.col("as_of_date") == DATES[3], pl.col("decile").is_null())
    value = {(s, m): v for s, m, v in newest.select("score", "metric", "value").iter_rows()}
    auc = value[("churn_probability", "auc")]
    assert line.startswith(f"  churn quality as of {DATES[3]}: AUC {auc:.3f}, best baseline ")
    assert f"of {int(value[('churn_probability', 'flagged')]):,} flagged" in line


def test_kam_backtest_measures_every_date_with_an_outcome_and_prints_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.cli import main

    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    _warehouse(home / "warehouse" / "kam.duckdb", facts_history(7, DATES)).close()
    monkeypatch.delenv("KAM_WAREHOUSE_PATH", raising=False)
    monkeypatch.delenv("KAM_CONFIG_DIR", raising=False)
    code = main(["--home", str(home), "backtest", "--start", str(DATES[1])])
    out = capsys.readouterr().out
    assert code == 0, out
    table = [line for line in out.splitlines() if line.startswith("| 2024-")]
    assert [line.split(" | ")[0] for line in table] == [f"| {d}" for d in DATES[1:4]]
    assert "3 date(s) measured into scores.churn_model_quality" in out
    with duckdb.connect(str(home / "warehouse" / "kam.duckdb"), read_only=True) as con:
        dates = con.execute(
            f"select distinct as_of_date from {churn_quality.QUALITY} order by 1"
        ).fetchall()
    assert [d for (d,) in dates] == DATES[1:4]


def test_kam_backtest_without_an_outcome_says_what_it_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.cli import main

    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    _warehouse(home / "warehouse" / "kam.duckdb", facts_history(7, DATES[:2])).close()
    monkeypatch.delenv("KAM_WAREHOUSE_PATH", raising=False)
    code = main(["--home", str(home), "backtest"])
    err = capsys.readouterr().err
    assert code == 2
    assert "needs customer facts as of D and as of D + 90 days" in err
    assert "2 date(s) with facts: 2024-03-01 … 2024-03-31" in err
