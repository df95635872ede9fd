"""What `kam run` says at the end of a run."""

from __future__ import annotations

from datetime import date

from orchestration.run_summary import RunOutcome


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
    text = _failed("step published__report: boom", "step scores__customer_scores: ValueError: bad")
    assert "The published warehouse was left as it was." in text


def test_a_second_run_on_the_same_warehouse_is_refused_naming_the_first(tmp_path) -> None:
    import multiprocessing

    import pytest

    from orchestration.run_lock import RunLockedError, warehouse_run_lock

    warehouse = tmp_path / "warehouse" / "kam.duckdb"
    ready, release = multiprocessing.Event(), multiprocessing.Event()

    def hold() -> None:
        with warehouse_run_lock(warehouse):
            ready.set()
            release.wait(30)

    holder = multiprocessing.get_context("fork").Process(target=hold)
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(RunLockedError) as refused, warehouse_run_lock(warehouse):
            pass
        message = str(refused.value)
        assert f"another kam run is using the warehouse {warehouse} (pid {holder.pid}" in message
        assert "wait for that run to finish" in message
    finally:
        release.set()
        holder.join(30)
    with warehouse_run_lock(warehouse):  # free again once the first run ended
        pass
