"""The nightly schedule targets the business date that just ended, at 01:30 Shanghai time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.schedules import build_nightly_schedule, business_date_for, daily_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_run_after_midnight_processes_previous_day() -> None:
    assert business_date_for(datetime(2026, 1, 1, 1, 30, tzinfo=SHANGHAI)) == date(2025, 12, 31)
    assert business_date_for(datetime(2024, 3, 1, 1, 30, tzinfo=SHANGHAI)) == date(2024, 2, 29)


@dg.asset(
    partitions_def=dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="Asia/Shanghai")
)
def thing() -> None: ...


def _job():
    return dg.define_asset_job("nightly_job", selection=[thing])


def test_schedule_defaults_to_0130_asia_shanghai_and_requests_previous_partition() -> None:
    job = _job()
    built = build_nightly_schedule(job)
    # Built from the partitioned job: Dagster resolves it against the job's partitions, so the
    # tick below requests a partition of the job's own daily partitions.
    defs = dg.Definitions(assets=[thing], jobs=[job], schedules=[built])
    schedule = defs.get_schedule_def("nightly")
    assert schedule.cron_schedule == "30 1 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"

    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2025, 7, 2, 1, 30, tzinfo=SHANGHAI),
        repository_def=defs.get_repository_def(),
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2025-07-01"
    assert request.run_key == "2025-07-01"


def test_schedule_cron_and_timezone_are_configurable(monkeypatch) -> None:
    monkeypatch.setenv("KAM_NIGHTLY_CRON", "0 3 * * 1-5")
    monkeypatch.setenv("KAM_TIMEZONE", "Europe/Berlin")
    schedule = build_nightly_schedule(_job())
    assert schedule.cron_schedule == "0 3 * * 1-5"
    assert schedule.execution_timezone == "Europe/Berlin"


def test_a_daily_time_is_read_from_the_cron_and_other_crons_are_not() -> None:
    assert daily_time("30 1 * * *") == (1, 30)
    assert daily_time("0 23 * * *") == (23, 0)
    assert daily_time("0 3 * * 1-5") is None
    assert daily_time("*/5 * * * *") is None
    assert daily_time("0 24 * * *") is None


def test_a_weekday_cron_still_requests_the_previous_business_date(monkeypatch) -> None:
    monkeypatch.setenv("KAM_NIGHTLY_CRON", "0 3 * * 1-5")
    job = _job()
    schedule = build_nightly_schedule(job)
    defs = dg.Definitions(assets=[thing], jobs=[job], schedules=[schedule])
    context = dg.build_schedule_context(
        # Monday 2025-07-07 03:00 Shanghai: Sunday's business date.
        scheduled_execution_time=datetime(2025, 7, 7, 3, 0, tzinfo=SHANGHAI),
        repository_def=defs.get_repository_def(),
    )
    (request,) = defs.get_schedule_def("nightly").evaluate_tick(context).run_requests
    assert request.partition_key == "2025-07-06"
