"""A night whose dbt results do not all reach Dagster fails instead of skipping what follows.

dagster-dbt reads each model's and test's result from dbt's structured log. If one is lost (on
the Spark engine, the Java process's log lines were seen mixed into dbt's), Dagster skipped every
asset after that model, publishing included, and called the run a success. Here the stream drops
one model's result on purpose: the dbt step must fail, naming it, and nothing is published.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from orchestration.runner import execute_nightly
from warehouse.settings import load_settings

LANDING = Path(__file__).parents[1] / "e2e_landing"
LOST = "marts__dim_customers_history"


def test_a_lost_model_result_fails_the_dbt_step_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = DbtCliInvocation.stream

    def losing_one(self: DbtCliInvocation) -> Iterator[object]:
        for event in stream(self):
            if not (isinstance(event, dg.Output) and event.output_name == LOST):
                yield event

    monkeypatch.setattr(DbtCliInvocation, "stream", losing_one)
    shutil.copytree(LANDING, tmp_path / "landing")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    for name in ("KAM_HOME", "KAM_LANDING_DIR", "KAM_WAREHOUSE_PATH", "KAM_PUBLISH_DIR"):
        monkeypatch.delenv(name, raising=False)
    outcome = execute_nightly(load_settings({"KAM_HOME": str(tmp_path)}), date(2025, 3, 20))
    assert not outcome.success
    assert outcome.failures == [
        "step kam_dbt_models: dbt finished, but 1 of its results never reached Dagster "
        "(marts/dim_customers_history); nothing after dbt ran. dbt's own output is in the "
        "run's log file (kam run prints its path) — fix: run the date again; if it happens "
        "again, run with --verbose and look for lines of another program mixed into dbt's"
    ]
    assert not (tmp_path / "published").exists()
