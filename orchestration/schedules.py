"""The nightly schedule: run the job for the business date that just ended."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

from orchestration.partitions import business_timezone

DEFAULT_NIGHTLY_CRON = "30 1 * * *"


def business_date_for(scheduled_at: datetime) -> date:
    """The business date a run scheduled at ``scheduled_at`` (business timezone) processes."""
    return scheduled_at.date() - timedelta(days=1)


def build_nightly_schedule(job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Nightly at ``KAM_NIGHTLY_CRON`` (01:30) in ``KAM_TIMEZONE`` (Asia/Shanghai) by default."""

    @dg.schedule(
        name="nightly",
        job=job,
        cron_schedule=os.environ.get("KAM_NIGHTLY_CRON", DEFAULT_NIGHTLY_CRON),
        execution_timezone=business_timezone(),
        description="Runs the nightly job for the previous business date.",
    )
    def _nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        business_date = business_date_for(context.scheduled_execution_time).isoformat()
        return dg.RunRequest(run_key=business_date, partition_key=business_date)

    return _nightly
