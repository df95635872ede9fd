"""Business-date partitions shared by every daily asset."""

from __future__ import annotations

import os

import dagster as dg

DEFAULT_FIRST_BUSINESS_DATE = "2023-01-01"
DEFAULT_TIMEZONE = "Asia/Shanghai"


def business_timezone() -> str:
    """The timezone business dates and the nightly schedule are expressed in (``KAM_TIMEZONE``)."""
    return os.environ.get("KAM_TIMEZONE", DEFAULT_TIMEZONE)


# A day's partition exists once that day has ended in the business timezone, so the nightly run
# after midnight always targets the previous business date.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get("KAM_FIRST_BUSINESS_DATE", DEFAULT_FIRST_BUSINESS_DATE),
    timezone=business_timezone(),
)

# Facts are point-in-time, so a backfill must run its dates one by one, in order.
ONE_DATE_PER_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
