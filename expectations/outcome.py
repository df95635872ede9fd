"""What a suite reports: one outcome per check, and a human summary of the failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warn"]


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check. ``error`` blocks publishing; ``warn`` does not."""

    name: str
    severity: Severity
    passed: bool
    description: str
    details: str


@dataclass(frozen=True)
class SuiteOutcome:
    """Every check of one suite run on one frame."""

    suite: str
    outcomes: list[CheckOutcome]

    @property
    def blocking_failures(self) -> list[CheckOutcome]:
        """Failed checks of severity ``error``: the run must not publish."""
        return [o for o in self.outcomes if o.severity == "error" and not o.passed]

    @property
    def warnings(self) -> list[CheckOutcome]:
        """Failed checks of severity ``warn``: publish, but look."""
        return [o for o in self.outcomes if o.severity == "warn" and not o.passed]

    @property
    def passed(self) -> bool:
        """True when nothing blocks publishing (warnings allowed)."""
        return not self.blocking_failures

    def accepting(self, names: Sequence[str]) -> SuiteOutcome:
        """This outcome with the named error checks downgraded to warnings for one run (an
        operator accepted them, e.g. a drift they reviewed); their details say so. A name that
        is not a check of the suite raises KeyError naming the checks."""
        for name in names:
            self.outcome(name)
        accepted = set(names)
        return SuiteOutcome(
            self.suite,
            [
                replace(o, severity="warn", details=f"accepted for this run — {o.details}")
                if o.name in accepted and o.severity == "error"
                else o
                for o in self.outcomes
            ],
        )

    def outcome(self, name: str) -> CheckOutcome:
        """The outcome of the check called ``name`` (KeyError naming the known checks if none)."""
        for o in self.outcomes:
            if o.name == name:
                return o
        known = ", ".join(o.name for o in self.outcomes)
        raise KeyError(f"{self.suite} has no check {name!r}; its checks: {known}")

    def summary(self) -> str:
        """Which checks failed, why (observed vs expected, rows affected), and the verdict."""
        failed = self.blocking_failures + self.warnings
        total = len(self.outcomes)
        if not failed:
            return f"{self.suite}: all {total} checks passed"
        verdict = (
            "blocks publishing" if self.blocking_failures else "passed with warnings (not blocking)"
        )
        lines = [
            f"{self.suite}: {len(self.blocking_failures)} error(s), {len(self.warnings)} "
            f"warning(s) in {total} checks — {verdict}"
        ]
        for o in failed:
            lines.append(f"  [{o.severity.upper()}] {o.name}: {o.description} — {o.details}")
        return "\n".join(lines)
