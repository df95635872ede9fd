"""Business-date partitions shared by every daily asset."""

from __future__ import annotations

import os
import warnings

import dagster as dg

# Backfills must run one business date per run (point-in-time facts); the parameter that says so
# is marked beta in Dagster 1.13 but is the documented way to do it. Filtered here, where every
# asset module imports it from, so the CLI's light commands do not pay for importing Dagster.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

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
