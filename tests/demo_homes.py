"""A demo company's home after its nightly runs, for the tests that need a whole job on data of
a realistic shape (key accounts, the report)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from demo import generate_demo
from orchestration.runner import RunOutcome, execute_nightly
from warehouse.settings import load_settings

#: The demo the whole-job tests share: 300 customers, 30,000 order lines, seed 11.
SEED, CUSTOMERS, LINES = 11, 300, 30_000


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
