"""The nightly schedule: run the job for the business date that just ended."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import dagster as dg

from orchestration.partitions import business_timezone

DEFAULT_NIGHTLY_CRON = "30 1 * * *"


def business_date_for(scheduled_at: datetime) -> date:
    """The business date a run scheduled at ``scheduled_at`` (business timezone) processes."""
    return scheduled_at.date() - timedelta(days=1)


def daily_time(cron: str) -> tuple[int, int] | None:
    """(hour, minute) of a cron schedule that fires once every day (``M H * * *``), else None."""
    fields = cron.split()
    if len(fields) != 5 or fields[2:] != ["*", "*", "*"]:
        return None
    minute, hour = fields[:2]
    if not (minute.isdigit() and hour.isdigit() and int(minute) < 60 and int(hour) < 24):
        return None
    return int(hour), int(minute)


def build_nightly_schedule(job):
    """The schedule of ``job`` (what ``dg.define_asset_job`` returns; Dagster exports no public
    type for it): nightly at ``KAM_NIGHTLY_CRON`` (01:30) in ``KAM_TIMEZONE`` (Asia/Shanghai)
    by default.

    A daily time (``M H * * *``) is built from the partitioned job, so Dagster picks each
    tick's partition: the newest business date that has ended. Any other cron (e.g. weekdays
    only) cannot be expressed that way and requests the previous day's partition itself.
    """
    cron = os.environ.get("KAM_NIGHTLY_CRON", DEFAULT_NIGHTLY_CRON)
    description = "Runs the nightly job for the previous business date."
    at = daily_time(cron)
    if at is not None:
        return dg.build_schedule_from_partitioned_job(
            job, name="nightly", hour_of_day=at[0], minute_of_hour=at[1], description=description
        )

    @dg.schedule(
        name="nightly",
        job=job,
        cron_schedule=cron,
        execution_timezone=business_timezone(),
        description=description,
    )
    def _nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        business_date = business_date_for(context.scheduled_execution_time).isoformat()
        return dg.RunRequest(run_key=business_date, partition_key=business_date)

    return _nightly
