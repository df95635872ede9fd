"""A run's progress on the terminal: one line per finished step, from the run's Dagster events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class StepProgress:
    """One finished step of a run, as the terminal shows it."""

    step_key: str
    status: str  # succeeded, failed or skipped
    seconds: float
    assets: list[str] = field(default_factory=list)
    rows: int | None = None
    checks_passed: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``step  rows  seconds``, e.g. ``raw/customers  3 rows  0.3 s``."""
        checks = self.checks_passed + self.checks_failed
        if len(self.assets) == 1:
            what = self.assets[0]
        elif self.assets:
            what = f"{self.step_key} ({len(self.assets)} assets)"
        elif len(checks) == 1:
            what = f"check {checks[0]}"
        else:
            what = self.step_key
        counts = []
        if self.rows is not None:
            counts.append(f"{self.rows:,} rows")
        if len(checks) > 1 or self.assets and checks:
            counts.append(f"{len(self.checks_passed)} of {len(checks)} checks passed")
        elif checks:
            counts.append("passed" if self.checks_passed else "FAILED")
        mark = {"succeeded": "done", "failed": "FAILED", "skipped": "skipped"}[self.status]
        return f"  {mark:<7} {what:<44} {'; '.join(counts):<24} {self.seconds:6.1f} s"


class StepListener:
    """Turns a run's Dagster events into one :class:`StepProgress` per finished step.

    Registered with ``DagsterInstance.add_event_listener`` for the run's id; a step's rows are
    the sum of the standard ``dagster/row_count`` metadata of the assets it materialized.
    """

    def __init__(self, report: Callable[[StepProgress], None]):
        self._report = report
        self._started: dict[str, float] = {}
        self._steps: dict[str, StepProgress] = {}

    def __call__(self, record) -> None:
        event = record.dagster_event
        if event is None or event.step_key is None:
            return
        key, kind = event.step_key, event.event_type_value
        step = self._steps.setdefault(key, StepProgress(key, "succeeded", 0.0))
        if kind == "STEP_START":
            self._started[key] = record.timestamp
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            step.assets.append(materialization.asset_key.to_user_string())
            rows = materialization.metadata.get("dagster/row_count")
            if rows is not None:
                step.rows = (step.rows or 0) + int(rows.value)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
            (step.checks_passed if evaluation.passed else step.checks_failed).append(name)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            step.status = {"STEP_SUCCESS": "succeeded", "STEP_FAILURE": "failed"}.get(
                kind, "skipped"
            )
            step.seconds = record.timestamp - self._started.get(key, record.timestamp)
            self._report(self._steps.pop(key))
