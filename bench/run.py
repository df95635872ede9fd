"""Benchmark of the whole nightly job on demo data; writes one JSON report.

    .venv/bin/python bench/run.py --lines 1000000 --json bench-1m.json [--keep DIR]

Generates demo data of ``--lines`` order lines (one customer per 100 lines), runs the nightly
job for the demo's go-live date (the full load: every landed row is new), and records the wall
time and peak resident memory (this process and its children, e.g. the dbt subprocess) of each
phase: ingest (``raw__*`` steps), dbt (``kam_dbt_models``), scoring, checks (Great Expectations
steps: ``checks__*``, ``*_expectations``, or any step that only reports asset checks; 0 when
there are none) and publish. Then, on the
same data: the DuckDB floor (bench/duckdb_floor.sql), the pandas baseline
(bench/pandas_scoring.py) against kam's Polars scoring, the incremental run of the next
business date, and the churn-model fit on 100,000 simulated customers. The floor also runs as
of the incremental night's date, to check that night's facts. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
from comparisons import churn_fit_timings, duckdb_floor, scoring_comparison
from measure import (
    BenchmarkError,
    RssSampler,
    RunMeasurement,
    dbt_profile,
    home_settings,
    prepare_home,
    run_nightly,
)

VERSIONED = (
    "duckdb",
    "polars",
    "pandas",
    "numpy",
    "scipy",
    "dagster",
    "dagster-dbt",
    "dbt-core",
    "dbt-duckdb",
    "great-expectations",
    "psutil",
)


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    found = {}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _run_json(run: RunMeasurement, sampler: RssSampler) -> dict[str, Any]:
    return {
        "business_date": run.business_date.isoformat(),
        "wall_s": run.wall_s,
        "peak_rss_mib": run.peak_rss_mib,
        "startup_s": run.startup_s,
        "rows_loaded": run.rows_loaded,
        "phases": run.phases,
        "steps": [
            {
                "key": s.key,
                "phase": s.phase,
                "wall_s": round(s.wall_s, 3),
                "peak_rss_mib": sampler.peak_mib(s.start, s.end),
                "peak_children_rss_mib": sampler.peak_mib(s.start, s.end, children_only=True),
                "asset_checks": s.checks,
            }
            for s in run.steps
        ],
    }


def benchmark(lines: int, home: Path, seed: int = 42) -> dict[str, Any]:
    """Every measurement of docs/performance.md for ``lines`` demo order lines under ``home``."""
    from demo import generate_demo
    from warehouse.settings import environment

    report: dict[str, Any] = {
        "lines": lines,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "load_average_start": [round(v, 2) for v in os.getloadavg()],
    }
    start = time.perf_counter()
    demo = generate_demo(home, seed=seed, lines=lines, overwrite=True)
    report["demo_generate_s"] = round(time.perf_counter() - start, 3)
    report["demo_rows"] = demo.rows
    report["go_live"] = demo.go_live.isoformat()

    settings = home_settings(home)
    report["ingest_threads"] = settings.ingest_threads
    report["dbt_threads"] = settings.dbt_threads
    # This run's own Dagster instance, never the user's; the first night gives it kam's
    # dagster.yaml, as a user's first `kam run` does. The definitions' partitions start at this
    # home's first landed date (as `kam run --home`).
    nights_environment = {
        "DAGSTER_HOME": str(home / "dagster"),
        "KAM_HOME": str(settings.home),
        "KAM_LANDING_DIR": str(settings.landing_dir),
    }
    with environment(nights_environment):
        # What `kam prepare` (`make prepare`) does for a user's home before its first night:
        # parse the dbt project with this home's warehouse path, so that the go-live night
        # partial-parses like every later one. Setup, once per home, so not part of the timed
        # job; in a child process, so that dbt's modules are not already imported when the
        # timed import of the definitions starts.
        start = time.perf_counter()
        prepare_home(home, settings.home / "dbt_target")
        report["dbt_prepare_s"] = round(time.perf_counter() - start, 3)

        with RssSampler() as sampler:
            start = time.perf_counter()
            import orchestration.definitions  # noqa: F401  (timed: a fresh `kam run` pays it)

            import_s = round(time.perf_counter() - start, 3)
            full = run_nightly(settings, demo.go_live, sampler)
            full_dbt = dbt_profile(settings.home / "dbt_target")
            floor = duckdb_floor(settings.landing_dir, demo.go_live, settings.published_path)
            scoring = scoring_comparison(
                settings.published_path, demo.go_live, settings.scoring_config_path
            )
            incremental = run_nightly(settings, demo.go_live + timedelta(days=1), sampler)
            incremental_dbt = dbt_profile(settings.home / "dbt_target")
            # Not a target: checks the incremental night's facts (corrections, lines dated after
            # their folder) against the floor's, computed from scratch.
            incremental_floor = duckdb_floor(
                settings.landing_dir, demo.go_live + timedelta(days=1), settings.published_path
            )
            fits = churn_fit_timings()

    report.update(
        customers=full.customers,
        # The five phases, and "other" when a step belongs to none of them.
        phases=full.phases,
        total_wall_s=round(import_s + full.wall_s, 3),
        total_peak_rss_mib=full.peak_rss_mib,
        duckdb_floor_s=floor["seconds"],
        pandas_scoring_s=scoring["pandas_scoring_s"],
        polars_scoring_s=scoring["polars_scoring_s"],
        incremental_s=incremental.wall_s,
        churn_fit_100k_s=fits["mbgnbd_s"],
        overhead={
            "definitions_import_s": import_s,
            "dagster_startup_s": full.startup_s,
            "outside_steps_s": round(full.wall_s - sum(s.wall_s for s in full.steps), 3),
            "outside_steps_peak_rss_mib": full.outside_steps_peak_rss_mib,
        },
        full_run={**_run_json(full, sampler), "dbt": full_dbt},
        incremental_run={**_run_json(incremental, sampler), "dbt": incremental_dbt},
        duckdb_floor=floor,
        incremental_floor=incremental_floor,
        scoring=scoring,
        churn_fit_100k=fits,
        load_average_end=[round(v, 2) for v in os.getloadavg()],
    )
    report["targets"] = targets(report)
    report["retired_ratios"] = retired_ratios(report)
    return report


# The targets of docs/performance.md that one report measures: the report's figure and its
# limit. Whether a night's cost grows with the history kept is bench/history.py's to measure.
TARGETS = {
    "peak_rss_mib": ("total_peak_rss_mib", 4 * 1024),
    "churn_fit_100k_s": ("churn_fit_100k_s", 5),
}


def targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target: the measured value, the limit and whether it holds."""
    return {
        name: {"measured": report[key], "limit": limit, "met": report[key] <= limit}
        for name, (key, limit) in TARGETS.items()
    }


def retired_ratios(report: dict[str, Any]) -> dict[str, float]:
    """The figures of the retired targets (docs/performance.md), to compare reports with:
    the whole job over the DuckDB floor, the incremental night over the whole job, and pandas'
    scoring time over Polars'."""
    return {
        "whole_job_over_floor": round(report["total_wall_s"] / report["duckdb_floor_s"], 2),
        "incremental_over_whole_job": round(report["incremental_s"] / report["total_wall_s"], 3),
        "pandas_over_polars_scoring": round(
            report["pandas_scoring_s"] / report["polars_scoring_s"], 2
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, required=True, help="demo order lines, e.g. 1000000")
    parser.add_argument("--json", type=Path, required=True, help="where to write the report")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (else a temp)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.lines < 1:
        parser.error(f"--lines must be at least 1, got {args.lines}")
    warnings.simplefilter("ignore")
    home = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="kam-bench-"))
    if home.exists() and any(home.iterdir()):
        # A warehouse left from before would make the "full load" incremental.
        parser.error(f"--keep {home}: the folder is not empty; pass a new or empty folder")
    home.mkdir(parents=True, exist_ok=True)
    try:
        report = benchmark(args.lines, home, seed=args.seed)
    except BenchmarkError as exc:
        kept = f" (work folder kept: {home})" if args.keep else " (rerun with --keep DIR)"
        print(f"benchmark failed: {exc}{kept}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    summary = {k: report[k] for k in ("lines", "customers", "total_wall_s", "total_peak_rss_mib")}
    differ = {
        "full_load": report["duckdb_floor"]["mismatched_columns"],
        "incremental": report["incremental_floor"]["mismatched_columns"],
    }
    summary["facts_differing_from_floor"] = differ
    summary.update(targets=report["targets"], retired_ratios=report["retired_ratios"])
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
