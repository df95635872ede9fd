"""Measuring one nightly run for the benchmarks (bench/run.py, bench/history.py): the resident
memory of the process tree, sampled in a thread; each Dagster step's span and phase, from the
run's event log; and dbt's node timings of the run."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psutil

BENCH_DIR = Path(__file__).resolve().parent
PHASES = ("ingest", "dbt", "scoring", "checks", "publish")
MIB = 1024 * 1024
SAMPLE_INTERVAL_S = 0.05


# --------------------------------------------------------------------------- memory sampling


class RssSampler:
    """Samples the resident memory of this process plus all its descendants in a thread."""

    def __init__(self, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.samples: list[tuple[float, int, int]] = []  # (time, own RSS, children's RSS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._process = psutil.Process(os.getpid())

    def _rss(self) -> tuple[int, int]:
        children = 0
        for child in self._process.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # the child ended in between
                children += child.memory_info().rss
        return self._process.memory_info().rss, children

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), *self._rss()))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mib(self, start: float, end: float, *, children_only: bool = False) -> float:
        """Peak RSS (own + children, or children only) sampled in [start, end]; 0 if none."""
        inside = [
            children if children_only else own + children
            for t, own, children in self.samples
            if start <= t <= end
        ]
        return round(max(inside, default=0) / MIB, 1)

    def peak_mib_between(self, start: float, end: float, spans: Sequence[StepTiming]) -> float:
        """Peak RSS (own + children) sampled in [start, end] but inside none of ``spans``: the
        run's start, its end and the gaps between its steps; 0 if none."""
        outside = [
            own + children
            for t, own, children in self.samples
            if start <= t <= end and not any(s.start <= t <= s.end for s in spans)
        ]
        return round(max(outside, default=0) / MIB, 1)


# --------------------------------------------------------------------------- run phases


@dataclass
class StepTiming:
    """One Dagster step of a run: its phase and wall-clock span (epoch seconds)."""

    key: str
    phase: str
    start: float
    end: float
    checks: int = 0
    materializations: int = 0

    @property
    def wall_s(self) -> float:
        return self.end - self.start


@dataclass
class RunMeasurement:
    """Wall time, memory and steps of one nightly run."""

    business_date: date
    run_id: str
    wall_s: float
    peak_rss_mib: float
    startup_s: float
    # Peak RSS sampled while no step ran (start, gaps, end): with the phases' peaks, it
    # accounts for every sample of the run.
    outside_steps_peak_rss_mib: float = 0.0
    steps: list[StepTiming] = field(default_factory=list)
    phases: dict[str, dict[str, float]] = field(default_factory=dict)
    rows_loaded: int = 0
    customers: int = 0


def phase_of(step_key: str, checks: int, materializations: int) -> str:
    """The benchmark phase a Dagster step belongs to."""
    # Great Expectations steps: ``checks__*`` or ``<asset>_expectations``; or any step that
    # only reports asset checks.
    if (
        step_key.startswith("checks__")
        or step_key.endswith("_expectations")
        or (checks and not materializations)
    ):
        return "checks"
    if step_key.startswith("raw__"):
        return "ingest"
    if step_key in ("kam_dbt_models", "quarter_end_facts"):
        return "dbt"
    if step_key.startswith("scores__"):
        return "scoring"
    if step_key.startswith("published__"):
        return "publish"
    return "other"


def step_timings(run_id: str) -> list[StepTiming]:
    """Steps of a finished run, from the Dagster event log (STEP_START .. STEP_SUCCESS)."""
    import dagster as dg

    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    checks: dict[str, int] = {}
    materialized: dict[str, int] = {}
    with dg.DagsterInstance.get() as instance:
        records = instance.all_logs(run_id)
    for record in records:
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        key, kind = event.step_key, event.event_type_value
        if kind == "STEP_START":
            starts[key] = record.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            ends[key] = record.timestamp
        elif kind == "ASSET_CHECK_EVALUATION":
            checks[key] = checks.get(key, 0) + 1
        elif kind == "ASSET_MATERIALIZATION":
            materialized[key] = materialized.get(key, 0) + 1
    return [
        StepTiming(
            key=key,
            phase=phase_of(key, checks.get(key, 0), materialized.get(key, 0)),
            start=start,
            end=ends.get(key, start),
            checks=checks.get(key, 0),
            materializations=materialized.get(key, 0),
        )
        for key, start in sorted(starts.items(), key=lambda item: item[1])
    ]


def phase_summary(steps: Sequence[StepTiming], sampler: RssSampler) -> dict[str, dict[str, float]]:
    """Wall time (sum of step spans) and peak RSS (max over those spans) per phase."""
    summary = {}
    for phase in (*PHASES, "other"):
        spans = [s for s in steps if s.phase == phase]
        if not spans and phase == "other":
            continue
        summary[phase] = {
            "wall_s": round(sum(s.wall_s for s in spans), 3),
            "peak_rss_mib": max((sampler.peak_mib(s.start, s.end) for s in spans), default=0.0),
        }
    return summary


PREPARE_HOME = """
import sys
from pathlib import Path
from orchestration.cli.prepare import prepare_dbt, prepare_if_changed
from warehouse.settings import load_settings
settings = load_settings({"KAM_HOME": sys.argv[1]})
prepare_if_changed(settings)
prepare_dbt(settings, target_path=Path(sys.argv[2]))
"""


def prepare_home(home: Path, target_path: Path) -> None:
    """What ``kam run`` and ``kam prepare`` do before a home's first night: the project's manifest
    parsed again if the project changed since (the definitions refuse an outdated one), and
    dbt's partial-parse state for the home's warehouse path."""
    done = subprocess.run(
        [sys.executable, "-c", PREPARE_HOME, str(home), str(target_path)],
        cwd=BENCH_DIR.parent,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchmarkError(f"could not parse the dbt project for {home}: {done.stderr[-2000:]}")


#: Settings of how a night runs (not where its files are) that a benchmark's nights take from the
#: environment, e.g. ``KAM_INGEST_THREADS=1 bench/run.py …``; ``KAM_DUCKDB_MEMORY_LIMIT`` is read
#: from the environment by every connection anyway.
TUNING = ("KAM_INGEST_THREADS", "KAM_DBT_THREADS")


def home_settings(home: Path) -> Any:
    """The settings of the benchmark's own kam home: its paths, and the environment's
    :data:`TUNING` settings."""
    from warehouse.settings import load_settings

    tuning = {name: os.environ[name] for name in TUNING if os.environ.get(name)}
    return load_settings({**tuning, "KAM_HOME": str(home)})


def run_nightly(settings: Any, business_date: date, sampler: RssSampler) -> RunMeasurement:
    """Run the nightly job for ``business_date`` in this process and measure it."""
    from orchestration.runner import execute_nightly

    started = time.time()
    outcome = execute_nightly(settings, business_date)
    ended = time.time()
    if not outcome.success:
        raise BenchmarkError(
            f"nightly run for {business_date} failed: " + "; ".join(outcome.failures)
        )
    steps = step_timings(outcome.run_id)
    return RunMeasurement(
        business_date=business_date,
        run_id=outcome.run_id,
        wall_s=round(ended - started, 3),
        peak_rss_mib=sampler.peak_mib(started, ended),
        startup_s=round((steps[0].start if steps else ended) - started, 3),
        outside_steps_peak_rss_mib=sampler.peak_mib_between(started, ended, steps),
        steps=steps,
        phases=phase_summary(steps, sampler),
        rows_loaded=outcome.rows_loaded,
        customers=outcome.customers,
    )


class BenchmarkError(RuntimeError):
    """The benchmark could not measure what it was asked to."""


# --------------------------------------------------------------------------- dbt profile


def dbt_profile(target_dir: Path, top: int = 12) -> dict[str, Any]:
    """Node timings of the last dbt invocation (run_results.json of the run's dbt target)."""
    path = target_dir / "run_results.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text(encoding="utf-8"))
    nodes = results["results"]
    by_type: dict[str, dict[str, float]] = {}
    for node in nodes:
        kind = node["unique_id"].split(".")[0]
        entry = by_type.setdefault(kind, {"count": 0, "seconds": 0.0})
        entry["count"] += 1
        entry["seconds"] = round(entry["seconds"] + node["execution_time"], 3)
    slowest = sorted(nodes, key=lambda n: -n["execution_time"])[:top]
    return {
        "command": results["args"].get("which"),
        "elapsed_s": round(results["elapsed_time"], 3),
        "by_type": by_type,
        "slowest": [
            {"node": n["unique_id"], "seconds": round(n["execution_time"], 3)} for n in slowest
        ],
    }
