"""Contact events (联络) for one chunk of days, with planted complaints and contact going quiet."""

from __future__ import annotations

import numpy as np
import polars as pl

from demo.customers import (
    COMPLAINT_DAYS,
    COMPLAINTS,
    QUIET_CONTACT,
    QUIET_DAYS,
    Population,
)

CHANNELS = ("visit", "call", "email", "meeting")
CHANNEL_SHARE = (0.25, 0.40, 0.20, 0.15)
TYPES = ("task", "process", "praise", "complaint", "suggestion")
TYPE_SHARE = (0.38, 0.22, 0.13, 0.12, 0.15)
# Mean days until each type is resolved (praise and suggestions are closed at once).
RESOLUTION_MEAN_DAYS = (3.0, 25.0, 0.3, 5.0, 0.5)
STALE_COMPLAINT_SHARE = 0.06  # ordinary complaints that drag on for months
STALE_COMPLAINT_MEAN_DAYS = 90.0
CONTACTS_PER_DAY = 0.02  # average customer, before size and service factors
PLANTED_COMPLAINTS = 3.0  # expected open complaints in the window before a planted stop
MANAGER_SHARE = 0.8  # contacts handled by the customer's own account manager
COMPLAINT = TYPES.index("complaint")


def draw_interactions(
    rng: np.random.Generator,
    p: Population,
    days: np.ndarray,
    weights: np.ndarray,
    support_staff: pl.Series,
    first_number: int,
) -> pl.DataFrame:
    """Draw contact events; ``resolved_at`` is null for matters never resolved."""
    day = days[None, :]
    stop = p.stop_day[:, None]
    quiet = ((p.signs & QUIET_CONTACT) != 0)[:, None] & (day >= stop - QUIET_DAYS)
    contact_factor = np.where(quiet, 0.05, np.where(day > stop, 0.3, 1.0))
    base = CONTACTS_PER_DAY * np.exp(0.4 * p.size) * p.service_factor
    intensity = base[:, None] * weights[None, :] * contact_factor * (day >= p.start_day[:, None])
    # Complaints pile up before the stop; for quiet churners before the contact dries up.
    quiet_churner = (p.signs & QUIET_CONTACT) != 0
    window_end = np.where(quiet_churner, p.stop_day - QUIET_DAYS, p.stop_day)
    working_days = (COMPLAINT_DAYS - np.where(quiet_churner, QUIET_DAYS, 0)) * 5 / 7
    planted_window = (
        ((p.signs & COMPLAINTS) != 0)[:, None]
        & (day > stop - COMPLAINT_DAYS)
        & (day <= window_end[:, None])
        & (weights[None, :] > 0.5)
    )
    planted_intensity = np.where(planted_window, (PLANTED_COMPLAINTS / working_days)[:, None], 0.0)

    n_days = len(days)
    counts = rng.poisson(intensity).ravel()
    planted_counts = rng.poisson(planted_intensity).ravel()
    flat = np.concatenate(
        [
            np.repeat(np.arange(counts.size), counts),
            np.repeat(np.arange(planted_counts.size), planted_counts),
        ]
    )
    is_planted = np.repeat([False, True], [counts.sum(), planted_counts.sum()])
    customer = flat // n_days
    event_day = days[flat % n_days]
    n = len(flat)

    kind = rng.choice(len(TYPES), size=n, p=TYPE_SHARE)
    kind = np.where(is_planted, COMPLAINT, kind)
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARE)
    seconds = rng.integers(8 * 3600, 19 * 3600, n)
    mean_days = np.array(RESOLUTION_MEAN_DAYS)[kind]
    stale = (kind == COMPLAINT) & (rng.random(n) < STALE_COMPLAINT_SHARE)
    mean_days = np.where(stale, STALE_COMPLAINT_MEAN_DAYS, mean_days)
    duration = np.round(rng.exponential(1.0, n) * mean_days * 86_400).astype(np.int64) + 600

    own_manager = rng.random(n) < MANAGER_SHARE
    staff = rng.integers(0, len(support_staff), n)

    order = np.lexsort((customer, seconds, event_day))
    occurred = (event_day * 86_400 + seconds)[order]
    resolved = np.where(is_planted[order], -1, occurred + duration[order])
    customer, kind, channel = customer[order], kind[order], channel[order]
    employee = pl.select(
        pl.when(pl.lit(pl.Series(own_manager[order])))
        .then(pl.lit(p.managers.gather(p.manager[customer])))
        .otherwise(pl.lit(support_staff.gather(staff[order])))
    ).to_series()

    number = pl.Series(np.arange(first_number, first_number + n))
    resolved_series = pl.Series(resolved)
    return pl.DataFrame(
        {
            "interaction_id": "IX" + number.cast(pl.String).str.zfill(9),
            "customer_id": p.customer_id.gather(customer),
            "occurred_at": pl.Series(occurred * 1_000_000).cast(pl.Datetime("us")),
            "channel": pl.Series(CHANNELS).gather(channel),
            "interaction_type": pl.Series(TYPES).gather(kind),
            "employee": employee,
            "_resolved_s": pl.select(
                pl.when(resolved_series >= 0).then(resolved_series)
            ).to_series(),
            "_day": event_day[order],
        }
    )


def as_of_rows(events: pl.DataFrame, go_live: int, end_day: int) -> pl.DataFrame:
    """Rows as each day's export shows them: open when first seen, re-sent on resolution.

    An event appears in the folder of its day (history in the go-live folder) with the status
    on that folder's date; if it is resolved later but by ``end_day``, it appears again in the
    folder of its resolution day with status ``resolved``.
    """
    first_folder = pl.max_horizontal(pl.col("_day"), pl.lit(go_live))
    resolved_day = pl.col("_resolved_s") // 86_400
    seen = events.lazy().with_columns(_folder=first_folder, _resolved_day=resolved_day)
    first = seen.with_columns(
        _is_resolved=pl.col("_resolved_day").is_not_null()
        & (pl.col("_resolved_day") <= pl.col("_folder"))
    )
    later = seen.filter(
        (pl.col("_resolved_day") > pl.col("_folder")) & (pl.col("_resolved_day") <= end_day)
    ).with_columns(_folder=pl.col("_resolved_day"), _is_resolved=pl.lit(True))
    columns = [
        "interaction_id",
        "customer_id",
        "occurred_at",
        "channel",
        "interaction_type",
        pl.when(pl.col("_is_resolved"))
        .then(pl.lit("resolved"))
        .otherwise(pl.lit("open"))
        .alias("status"),
        pl.when(pl.col("_is_resolved"))
        .then((pl.col("_resolved_s") * 1_000_000).cast(pl.Datetime("us")))
        .alias("resolved_at"),
        "employee",
        pl.col("_folder").alias("_day"),
    ]
    return pl.concat([first.select(columns), later.select(columns)]).collect()
