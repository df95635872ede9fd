"""A demo company's home after its nightly runs, for the tests that need a whole job on data of
a realistic shape (key accounts, the report)."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from demo import generate_demo
from orchestration.runner import RunOutcome, execute_nightly
from warehouse.settings import load_settings

#: The demo the whole-job tests share: 300 customers, 30,000 order lines, seed 11.
SEED, CUSTOMERS, LINES = 11, 300, 30_000
#: Its last two business dates: a night whose report has a previous date to compare with.
LAST_TWO_DATES = (date(2025, 12, 30), date(2025, 12, 31))


def run_demo_nights(home: Path, dates: Sequence[date]) -> list[RunOutcome]:
    """Generate the demo into ``home`` and run the nightly job for each date, in order; every
    run must succeed."""
    generate_demo(home, seed=SEED, customers=CUSTOMERS, lines=LINES)
    settings = load_settings({"KAM_HOME": str(home)})
    outcomes = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        (home / "dagster").mkdir(exist_ok=True)
        for name in ("KAM_LANDING_DIR", "KAM_WAREHOUSE_PATH", "KAM_PUBLISH_DIR", "KAM_CONFIG_DIR"):
            mp.delenv(name, raising=False)
        for day in dates:
            outcome = execute_nightly(settings, day)
            assert outcome.success, outcome.report()
            outcomes.append(outcome)
    return outcomes


def shared_demo_home(tmp_path_factory: pytest.TempPathFactory, dates: Sequence[date]) -> Path:
    """The demo home after the nights of ``dates`` (:func:`run_demo_nights`), built once per
    test session and shared by the modules that only read it: the first to ask builds it while
    the others (pytest-xdist's workers included) wait on a file lock. A reader must not write
    to it. Each night's summary (``RunOutcome.report()``) is kept for :func:`night_summary`."""
    base = tmp_path_factory.getbasetemp()
    # Under pytest-xdist each worker has a folder of its own below the session's.
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    home = root / ("shared-demo-" + "-".join(day.isoformat() for day in dates))
    built = home / ".nights-done"
    with (root / f"{home.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            shutil.rmtree(home, ignore_errors=True)  # what a failed earlier build left
            for day, outcome in zip(dates, run_demo_nights(home, dates), strict=True):
                _summary_path(home, day).write_text(outcome.report(), encoding="utf-8")
            built.touch()
    return home


def night_summary(home: Path, day: date) -> str:
    """The summary of the night of ``day`` in a :func:`shared_demo_home`."""
    return _summary_path(home, day).read_text(encoding="utf-8")


def _summary_path(home: Path, day: date) -> Path:
    return home / f".night-summary-{day.isoformat()}.txt"
