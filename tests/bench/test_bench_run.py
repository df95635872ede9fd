"""bench/run.py end to end at 100,000 lines: the report has every field the performance issue
asks for, and kam's facts of the full load and of the incremental night equal the DuckDB floor's,
an independent script over the landed files (bench/duckdb_floor.sql)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.bench]

REPO = Path(__file__).resolve().parents[2]
LINES = 100_000
GO_LIVE, NEXT = date(2025, 12, 17), date(2025, 12, 18)
PHASES = ("ingest", "dbt", "scoring", "checks", "publish")
SECONDS = ("total_wall_s", "duckdb_floor_s", "pandas_scoring_s", "polars_scoring_s")
# docs/performance.md's targets that one report measures, with their limits.
TARGETS = {"peak_rss_mib": 4096, "churn_fit_100k_s": 5}


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "DAGSTER_"))}
    env["KAM_INGEST_THREADS"] = "3"
    env["KAM_DBT_THREADS"] = "1"
    report_path = work / "report.json"
    command = [sys.executable, "bench/run.py", "--lines", str(LINES), "--json", str(report_path)]
    done = subprocess.run(
        [*command, "--keep", str(work / "home")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {
        "report": json.loads(report_path.read_text(encoding="utf-8")),
        "summary": json.loads(done.stdout),
        "home": work / "home",
    }


def test_the_report_has_every_field_of_the_issue(bench: dict[str, Any]) -> None:
    report = bench["report"]
    assert report["lines"] == LINES
    # From the environment the fixture gives the script.
    assert (report["ingest_threads"], report["dbt_threads"]) == (3, 1)
    for phase in PHASES:
        assert report["phases"][phase]["wall_s"] > 0, phase
        assert report["phases"][phase]["peak_rss_mib"] > 0, phase
    for key in SECONDS:
        assert report[key] > 0, key
    # The incremental figure is the second night's wall time. Which night is faster is a
    # measurement, not a property (at 100,000 lines both are mostly fixed cost, and a busy CI
    # machine has made the second one slower); what the second night does less of is not: it
    # loads only its own day's files.
    assert report["incremental_s"] == report["incremental_run"]["wall_s"] > 0
    assert 0 < report["incremental_run"]["rows_loaded"] < report["full_run"]["rows_loaded"]
    assert report["churn_fit_100k_s"] > 0
    assert report["churn_fit_100k"]["mbgnbd_converged"]
    # Every memory sample of the job lies in a step's span or between steps, so the peak of the
    # whole job is the larger of the phases' peaks and the peak between steps (all sampled in
    # the same process tree).
    between = report["overhead"]["outside_steps_peak_rss_mib"]
    assert between > 0
    assert report["total_peak_rss_mib"] == max(
        [p["peak_rss_mib"] for p in report["phases"].values()] + [between]
    )
    assert report["full_run"]["business_date"] == GO_LIVE.isoformat()
    assert report["incremental_run"]["business_date"] == NEXT.isoformat()


def test_targets_are_worked_out_from_the_measured_figures(bench: dict[str, Any]) -> None:
    report, targets = bench["report"], bench["report"]["targets"]
    assert {name: target["limit"] for name, target in targets.items()} == TARGETS
    assert targets["peak_rss_mib"]["measured"] == report["total_peak_rss_mib"]
    assert targets["churn_fit_100k_s"]["measured"] == report["churn_fit_100k_s"]
    for name, target in targets.items():
        assert target["met"] == (target["measured"] <= target["limit"]), name
    # The retired targets' figures (docs/performance.md), from the same measurements.
    ratios = report["retired_ratios"]
    assert ratios["whole_job_over_floor"] == pytest.approx(
        report["total_wall_s"] / report["duckdb_floor_s"], abs=0.01
    )
    assert ratios["incremental_over_whole_job"] == pytest.approx(
        report["incremental_run"]["wall_s"] / report["total_wall_s"], abs=0.001
    )
    assert ratios["pandas_over_polars_scoring"] == pytest.approx(
        report["scoring"]["pandas_scoring_s"] / report["scoring"]["polars_scoring_s"], abs=0.01
    )
    assert bench["summary"]["targets"] == targets
    assert bench["summary"]["retired_ratios"] == ratios


def test_the_demo_holds_corrections_and_lines_dated_after_their_folder(
    bench: dict[str, Any],
) -> None:
    """Guards the next test's meaning: with seed 42 at 100,000 lines the initial extract holds 4
    lines dated go-live + 1 and the next folder 2 corrections of earlier lines."""
    folder = bench["home"] / "landing" / "transactions"
    with duckdb.connect() as con:
        ahead = con.execute(
            "select count(*) from read_csv(?, all_varchar = true) where ordered_at >= ?",
            [str(folder / GO_LIVE.isoformat() / "*.csv"), NEXT.isoformat()],
        ).fetchone()[0]
        corrections = con.execute(
            "select count(*) from read_csv(?, all_varchar = true) where ordered_at < ?",
            [str(folder / NEXT.isoformat() / "*.csv"), NEXT.isoformat()],
        ).fetchone()[0]
    assert (ahead, corrections) == (4, 2)


def test_facts_of_both_nights_equal_the_floor(bench: dict[str, Any]) -> None:
    report = bench["report"]
    published = bench["home"] / "published" / "kam.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        customers = dict(
            con.execute(
                "select as_of_date, count(*) from fct_customer_facts group by all"
            ).fetchall()
        )
    assert report["duckdb_floor"]["mismatched_columns"] == {}
    assert report["duckdb_floor"]["rows"] == customers[GO_LIVE] == report["customers"]
    assert report["incremental_floor"]["mismatched_columns"] == {}
    assert report["incremental_floor"]["rows"] == customers[NEXT]
    assert bench["summary"]["facts_differing_from_floor"] == {"full_load": {}, "incremental": {}}


def test_pandas_and_polars_score_the_same_rules_alike(bench: dict[str, Any]) -> None:
    scoring = bench["report"]["scoring"]
    assert scoring["customers"] == bench["report"]["customers"]
    assert set(scoring["polars_same_rules_disagreements"].values()) == {0}


def test_the_go_live_night_reuses_the_parse_of_its_prepared_home(bench: dict[str, Any]) -> None:
    """As after `kam prepare` in a user's home: dbt finds its partial-parse state valid for this
    home's warehouse path and parses nothing again (it logs why whenever it cannot)."""
    assert bench["report"]["dbt_prepare_s"] > 0
    manifest = json.loads((REPO / "dbt_project" / "target" / "manifest.json").read_text())
    models = sum(node["resource_type"] == "model" for node in manifest["nodes"].values())
    assert models >= 21  # the project's models, read from the parse kam prepare wrote
    for night in (GO_LIVE, NEXT):
        log = (bench["home"] / "logs" / f"kam-run-{night.isoformat()}.log").read_text()
        assert f"Found {models} models" in log, night
        assert "partial pars" not in log, night
