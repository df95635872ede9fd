"""Business-date partitions shared by every daily asset.

They start at the first business date kam holds data for: ``KAM_FIRST_BUSINESS_DATE`` if set,
else the oldest date folder in the landing area, read when the definitions load (``kam run``,
``dagster dev``). So the UI counts the dates since the data begins, not a fixed year. A folder
landed for an earlier date than the first one appears after the code location is reloaded
(Reload in the UI; ``kam run`` loads the definitions each time); set KAM_FIRST_BUSINESS_DATE to
fix the start once and for all. With nothing landed and nothing set, they start today: no
business date has ended yet.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

# Backfills must run one business date per run (point-in-time facts); the parameter that says so
# is marked beta in Dagster 1.13 but is the documented way to do it. Filtered here, where every
# asset module imports it from, so the CLI's light commands do not pay for importing Dagster.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

DEFAULT_TIMEZONE = "Asia/Shanghai"
DATE_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")


def business_timezone() -> str:
    """The timezone business dates and the nightly schedule are expressed in (``KAM_TIMEZONE``)."""
    return os.environ.get("KAM_TIMEZONE", DEFAULT_TIMEZONE)


def landed_dates(landing_dir: Path) -> list[date]:
    """Every business date with a landed folder (of any source), oldest first; folders not
    named YYYY-MM-DD are not dates (``kam check`` names them)."""
    days = set()
    for source in landing_dir.glob("*"):
        if not source.is_dir():
            continue
        for folder in source.iterdir():
            if folder.is_dir() and DATE_FOLDER.fullmatch(folder.name):
                try:
                    days.add(date.fromisoformat(folder.name))
                except ValueError:
                    continue
    return sorted(days)


def first_business_date(environ: Mapping[str, str] | None = None) -> date:
    """Where the partitions start: ``KAM_FIRST_BUSINESS_DATE``, else the oldest landed date,
    else today in the business timezone."""
    from warehouse.settings import REPO_ROOT

    env = os.environ if environ is None else environ
    configured = env.get("KAM_FIRST_BUSINESS_DATE")
    if configured:
        try:
            return date.fromisoformat(configured)
        except ValueError:
            raise ValueError(
                f"KAM_FIRST_BUSINESS_DATE={configured!r} is not a date; write it as YYYY-MM-DD "
                "(e.g. 2024-01-01), or unset it to start at the oldest landed date"
            ) from None
    home = Path(env.get("KAM_HOME") or REPO_ROOT / "var").expanduser()
    landing = Path(env.get("KAM_LANDING_DIR") or home / "landing").expanduser()
    landed = landed_dates(landing) if landing.is_dir() else []
    if landed:
        return landed[0]
    return datetime.now(ZoneInfo(env.get("KAM_TIMEZONE", DEFAULT_TIMEZONE))).date()


def build_daily_partitions(
    environ: Mapping[str, str] | None = None,
) -> dg.DailyPartitionsDefinition:
    """One partition per business date from :func:`first_business_date`; a day's partition
    exists once that day has ended in the business timezone, so the nightly run after midnight
    always targets the previous business date."""
    env = os.environ if environ is None else environ
    return dg.DailyPartitionsDefinition(
        start_date=first_business_date(env).isoformat(),
        timezone=env.get("KAM_TIMEZONE", DEFAULT_TIMEZONE),
    )


daily_partitions = build_daily_partitions()

# Facts are point-in-time, so a backfill must run its dates one by one, in order.
ONE_DATE_PER_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
