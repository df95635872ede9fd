"""What `kam run` says at the end of a run."""

from __future__ import annotations

from datetime import date

from orchestration.runner import RunOutcome


def _failed(*failures: str) -> str:
    outcome = RunOutcome(
        business_date=date(2025, 12, 31), run_id="r", success=False, failures=list(failures)
    )
    return outcome.report()


def test_a_failed_report_step_says_the_warehouse_was_published() -> None:
    text = _failed("step published__report: UndefinedError: 'x' is undefined")
    assert "The warehouse was published; only the report failed" in text
    assert "kam report --date 2025-12-31" in text
    assert "left as it was" not in text


def test_a_failure_before_publishing_says_the_copy_was_left_as_it_was() -> None:
    text = _failed(
        "step published__report: boom", "step scores__customer_scores: ValueError: bad"
    )
    assert "The published warehouse was left as it was." in text
