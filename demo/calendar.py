"""Demo calendar: day numbering, seasonality weights and the month chunks generation walks through.

Days are plain integers (days since 1970-01-01) so that every array operation stays in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

EPOCH = date(1970, 1, 1)

# Chinese New Year (春节) dates; orders dip from a week before to ten days after.
CHINESE_NEW_YEAR = (
    date(2015, 2, 19),
    date(2016, 2, 8),
    date(2017, 1, 28),
    date(2018, 2, 16),
    date(2019, 2, 5),
    date(2020, 1, 25),
    date(2021, 2, 12),
    date(2022, 2, 1),
    date(2023, 1, 22),
    date(2024, 2, 10),
    date(2025, 1, 29),
    date(2026, 2, 17),
    date(2027, 2, 6),
    date(2028, 1, 26),
    date(2029, 2, 13),
    date(2030, 2, 3),
)
CNY_BEFORE_DAYS = 7
CNY_AFTER_DAYS = 10
CNY_FACTOR = 0.2

# Relative order volume by calendar month: a slow start of the year, Q4 peak.
MONTH_FACTOR = np.array([0.85, 0.8, 1.0, 0.95, 0.95, 1.05, 0.9, 0.9, 1.05, 1.1, 1.3, 1.45])
# Monday..Sunday: B2B buyers order on working days.
WEEKDAY_FACTOR = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.15])


def to_day(value: date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


def to_date(day: int) -> date:
    """Inverse of :func:`to_day`."""
    return EPOCH + timedelta(days=int(day))


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 .. Sunday = 6 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def month_index(days: np.ndarray) -> np.ndarray:
    """Calendar month 0..11 of each day."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months % 12


def order_weights(days: np.ndarray) -> np.ndarray:
    """Seasonal weight of each day for orders: weekday x month x Chinese New Year dip."""
    weights = WEEKDAY_FACTOR[weekday(days)] * MONTH_FACTOR[month_index(days)]
    for holiday in CHINESE_NEW_YEAR:
        centre = to_day(holiday)
        in_dip = (days >= centre - CNY_BEFORE_DAYS) & (days <= centre + CNY_AFTER_DAYS)
        weights = np.where(in_dip, weights * CNY_FACTOR, weights)
    return weights


def contact_weights(days: np.ndarray) -> np.ndarray:
    """Weight of each day for customer contacts: working days only matter."""
    return WEEKDAY_FACTOR[weekday(days)]


@dataclass(frozen=True)
class Chunk:
    """A run of consecutive days (one calendar month, clipped to the demo window)."""

    number: int
    days: np.ndarray


def month_chunks(first_day: int, last_day: int) -> list[Chunk]:
    """Split ``first_day..last_day`` (inclusive) into calendar-month chunks."""
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    starts = np.flatnonzero(np.diff(months, prepend=months[0] - 1))
    pieces = np.split(days, starts[1:])
    return [Chunk(number, piece) for number, piece in enumerate(pieces)]


def month_end(days: np.ndarray) -> np.ndarray:
    """Last day of the calendar month of each day."""
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    return (months + 1).astype("datetime64[D]").astype(np.int64) - 1


def quarter_ends(first_day: int, last_day: int) -> np.ndarray:
    """Quarter-end days falling in ``first_day..last_day``."""
    months = np.arange(
        np.datetime64(to_date(first_day), "M"), np.datetime64(to_date(last_day), "M") + 1
    )
    ends = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
    is_quarter = (months.astype(np.int64) % 12) % 3 == 2
    ends = ends[is_quarter]
    return ends[(ends >= first_day) & (ends <= last_day)]
