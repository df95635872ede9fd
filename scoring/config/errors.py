"""Errors of the scoring configuration: the one users see, and the one validators raise."""

from __future__ import annotations

from collections.abc import Sequence


class ScoringConfigError(ValueError):
    """A problem in the scoring configuration file, with where it is and how to fix it."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = f"scoring configuration has {count} problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


class ConfigProblem(ValueError):
    """Raised inside validators: ``at`` extends the key path, ``fix`` tells the user what to do."""

    def __init__(self, problem: str, fix: str, at: tuple[str | int, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.at = at
