"""The demo customer population: sizes, attributes and the planted behaviours (churn, distress).

Everything is held as parallel numpy arrays indexed by customer number 0..n-1, so the event
generators can look up a customer's traits with plain array indexing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from demo import names
from demo.products import N_CATEGORIES

SIZE_SIGMA = 0.95  # spread of log customer size; sets the 80/20 revenue skew
NEVER = np.iinfo(np.int64).max // 4  # "no stop date" sentinel, far beyond any demo day

# Planted sign bits (ground truth `planted_signs`).
DECLINING_ORDERS = 1
COMPLAINTS = 2
LATE_PAYMENT = 4
QUIET_CONTACT = 8
SINGLE_CATEGORY = 16
DISTRESSED = 32
SIGN_NAMES = (
    (DECLINING_ORDERS, "declining_orders"),
    (COMPLAINTS, "complaints"),
    (LATE_PAYMENT, "late_payment"),
    (QUIET_CONTACT, "quiet_contact"),
    (SINGLE_CATEGORY, "single_category"),
    (DISTRESSED, "distressed_financials"),
)

CHANNELS = ("direct", "distributor", "retail_member")
PAYMENT_BEHAVIOURS = ("on_time", "slow", "bad")
# Probability that a customer buying 1, 2, 3+ categories is planted as a churner
# (the handbooks: retention with 1 / 2 / 3 products is 17.3 % / 46 % / 86 %).
CHURN_PROBABILITY_BY_CATEGORIES = (0.30, 0.14, 0.06)
DECLINE_DAYS = 180  # orders fade over this many days before a declining churner stops
QUIET_DAYS = 90  # contact dries up this many days before a quiet churner stops
COMPLAINT_DAYS = 150  # unresolved complaints pile up in this window before the stop


@dataclass
class Population:
    """Customer traits as parallel arrays."""

    customer_id: pl.Series
    size: np.ndarray  # latent log-size z ~ N(0, 1); anchors get 3..3.6
    is_anchor: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    industry: np.ndarray
    region: np.ndarray
    manager: np.ndarray  # index into managers
    managers: pl.Series
    start_day: np.ndarray  # first cooperation day
    n_categories: np.ndarray
    categories: np.ndarray  # (n, N_CATEGORIES) category order; the first n_categories are bought
    price_factor: np.ndarray
    payment_behaviour: np.ndarray  # index into PAYMENT_BEHAVIOURS
    terms_days: np.ndarray
    growth: np.ndarray  # yearly log growth of order rate
    service_factor: np.ndarray  # multiplier of contact frequency
    is_churner: np.ndarray
    stop_day: np.ndarray  # last day a churner may order (NEVER otherwise)
    signs: np.ndarray  # bit set of planted signs
    has_financials: np.ndarray
    is_distressed: np.ndarray
    segment: np.ndarray  # object array of segment labels
    master: pl.DataFrame  # customer master as of go-live (canonical columns)

    @property
    def count(self) -> int:
        return len(self.size)


def _pick(rng: np.random.Generator, n: int, probabilities: list[float]) -> np.ndarray:
    return rng.choice(len(probabilities), size=n, p=np.array(probabilities) / sum(probabilities))


def build_population(
    rng: np.random.Generator,
    n: int,
    *,
    history_start: int,
    go_live: int,
    end_day: int,
) -> Population:
    """Draw ``n`` customers with skewed sizes and planted churners (see docs/demo-data.md)."""
    width = max(6, len(str(n)))
    customer_id = pl.Series("customer_id", [f"C{i + 1:0{width}d}" for i in range(n)])

    size = rng.normal(0.0, SIZE_SIGMA, n)
    n_anchor = max(2, round(n * 0.004))
    anchors = rng.choice(n, size=n_anchor, replace=False)
    size[anchors] = rng.uniform(3.0, 3.6, n_anchor)
    is_anchor = np.zeros(n, dtype=bool)
    is_anchor[anchors] = True

    channel = _pick(rng, n, [0.45, 0.30, 0.25])
    channel[is_anchor] = 0
    industry = rng.integers(0, len(names.INDUSTRIES), n)
    region = rng.integers(0, len(names.REGIONS), n)
    n_managers = max(3, n // 40)
    managers = person_names(rng, n_managers).alias("account_manager")
    manager = rng.integers(0, n_managers, n)

    # Most customers predate the demo history; some are won during it, a few during the daily run.
    start_day = history_start - rng.integers(30, 12 * 365, n)
    kind = rng.random(n)
    won = (kind < 0.13) & ~is_anchor
    start_day[won] = rng.integers(history_start, go_live + 1, int(won.sum()))
    if end_day > go_live:
        n_new = max(1, round(n * 0.01))
        candidates = np.flatnonzero(~is_anchor & ~won)
        new = rng.choice(candidates, size=min(n_new, len(candidates)), replace=False)
        start_day[new] = rng.integers(go_live + 1, end_day + 1, len(new))

    n_categories = 1 + _pick(rng, n, [0.30, 0.25, 0.20, 0.12, 0.08, 0.05])
    n_categories[is_anchor] = np.maximum(n_categories[is_anchor], 4)
    categories = np.argsort(rng.random((n, N_CATEGORIES)), axis=1).astype(np.int8)

    price_factor = rng.uniform(0.9, 1.05, n)
    price_factor[is_anchor] = rng.uniform(0.85, 0.92, n_anchor)
    payment_behaviour = _pick(rng, n, [0.75, 0.18, 0.07])
    payment_behaviour[is_anchor] = 0
    terms_by_channel = np.stack(
        [
            rng.choice([30, 45, 60, 90], n, p=[0.35, 0.25, 0.25, 0.15]),
            rng.choice([60, 90], n),
            np.full(n, 30),
        ]
    )
    terms_days = terms_by_channel[channel, np.arange(n)]
    growth = rng.normal(0.05, 0.15, n)
    service_factor = rng.lognormal(0.0, 0.3, n)
    high_service = (size < 0) & (rng.random(n) < 0.08)
    service_factor[high_service] *= rng.uniform(5.0, 8.0, int(high_service.sum()))

    pre_existing = start_day <= history_start
    churn_p = np.array(CHURN_PROBABILITY_BY_CATEGORIES)[np.minimum(n_categories, 3) - 1]
    is_churner = pre_existing & ~is_anchor & (rng.random(n) < churn_p)
    stop_day = np.full(n, NEVER, dtype=np.int64)
    recent = rng.random(n) < 0.45
    earliest = min(history_start + 270, go_live - 181)
    stop_recent = rng.integers(go_live - 179, go_live + 1, n)
    stop_early = rng.integers(earliest, go_live - 179, n)
    stop_day[is_churner] = np.where(recent, stop_recent, stop_early)[is_churner]

    signs = np.zeros(n, dtype=np.int64)
    for bit, probability in (
        (DECLINING_ORDERS, 0.7),
        (COMPLAINTS, 0.5),
        (LATE_PAYMENT, 0.5),
        (QUIET_CONTACT, 0.6),
    ):
        signs |= np.where(rng.random(n) < probability, bit, 0)
    signs = np.where(is_churner, signs, 0)
    signs = np.where(is_churner & (signs == 0), DECLINING_ORDERS, signs)
    signs |= np.where(is_churner & (n_categories == 1), SINGLE_CATEGORY, 0)

    has_financials = rng.random(n) < np.where(channel == 2, 0.5, 0.8)
    has_financials[is_anchor] = True
    is_distressed = has_financials & (
        (is_churner & (rng.random(n) < 0.35)) | (~is_churner & (rng.random(n) < 0.04))
    )
    signs |= np.where(is_churner & is_distressed, DISTRESSED, 0)

    segment = _segments(
        is_anchor, is_churner, start_day > history_start, high_service, is_distressed, growth
    )
    population = Population(
        customer_id=customer_id,
        size=size,
        is_anchor=is_anchor,
        channel=channel,
        industry=industry,
        region=region,
        manager=manager,
        managers=managers,
        start_day=start_day,
        n_categories=n_categories,
        categories=categories,
        price_factor=price_factor,
        payment_behaviour=payment_behaviour,
        terms_days=terms_days,
        growth=growth,
        service_factor=service_factor,
        is_churner=is_churner,
        stop_day=stop_day,
        signs=signs,
        has_financials=has_financials,
        is_distressed=is_distressed,
        segment=segment,
        master=pl.DataFrame(),
    )
    population.master = _master(rng, population, go_live)
    return population


def _segments(
    is_anchor: np.ndarray,
    is_churner: np.ndarray,
    is_new: np.ndarray,
    high_service: np.ndarray,
    is_distressed: np.ndarray,
    growth: np.ndarray,
) -> np.ndarray:
    """One planted archetype per customer; the first matching rule wins."""
    return np.select(
        [is_anchor, is_churner, is_new, high_service, is_distressed, growth > 0.2, growth < -0.2],
        ["anchor", "churner", "new", "high_service", "distressed", "growing", "declining"],
        default="stable",
    ).astype(object)


def person_names(rng: np.random.Generator, n: int) -> pl.Series:
    surname = pl.Series(names.SURNAMES).gather(rng.integers(0, len(names.SURNAMES), n))
    given = pl.Series(names.GIVEN_NAMES).gather(rng.integers(0, len(names.GIVEN_NAMES), n))
    return surname + given


def _master(rng: np.random.Generator, p: Population, go_live: int) -> pl.DataFrame:
    """Customer master rows (canonical columns) for every customer, state as of go-live."""
    n = p.count
    industry_label = pl.Series([i for i, _ in names.INDUSTRIES]).gather(p.industry)
    industry_word = pl.Series([w for _, w in names.INDUSTRIES]).gather(p.industry)
    province = pl.Series([r for r, _ in names.REGIONS]).gather(p.region)
    city = pl.Series([c for _, c in names.REGIONS]).gather(p.region)
    core = pl.Series(names.NAME_CORES).gather(rng.integers(0, len(names.NAME_CORES), n))
    number = pl.Series(np.arange(1, n + 1)).cast(pl.String)
    customer_name = city + core + industry_word + "有限公司" + "(" + number + ")"

    # Credit limit: about two months of expected purchases, rounded to 10,000 CNY.
    expected_month = 30_000 * np.exp(1.2 * p.size)
    credit_limit = np.maximum(np.round(expected_month * rng.uniform(1.0, 3.0, n), -4), 10_000)
    rating = np.clip(
        np.round(3 + 0.5 * p.size - 0.8 * (p.payment_behaviour == 2) + rng.normal(0, 0.8, n)),
        1,
        5,
    ).astype(np.int64)
    is_strategic = p.is_anchor | (rng.random(n) < 0.02)
    status = np.where(p.payment_behaviour == 2, np.where(rng.random(n) < 0.2, 2, 0), 0)
    known_lost = p.is_churner & (p.stop_day < go_live - 365) & (rng.random(n) < 0.5)
    status = np.where(known_lost, 1, status)
    phone = rng.integers(13_000_000_000, 19_000_000_000, n)

    return pl.DataFrame(
        {
            "customer_id": p.customer_id,
            "customer_name": customer_name,
            "industry": industry_label,
            "province": province,
            "city": city,
            "channel_type": pl.Series(CHANNELS).gather(p.channel),
            "account_manager": p.managers.gather(p.manager),
            "first_cooperation_date": pl.Series(p.start_day).cast(pl.Date),
            "credit_limit": credit_limit,
            "payment_terms_days": p.terms_days.astype(np.int64),
            "is_strategic": is_strategic,
            "qualitative_rating": rating,
            "status": pl.Series(["active", "inactive", "suspended", "closed"]).gather(status),
            "key_person_name": person_names(rng, n),
            "key_person_role": pl.Series(names.KEY_PERSON_ROLES).gather(
                rng.integers(0, len(names.KEY_PERSON_ROLES), n)
            ),
            "key_person_phone": pl.Series(phone).cast(pl.String),
            "key_person_email": "kp." + p.customer_id.str.to_lowercase() + "@example.com",
        }
    )


def sign_labels(signs: np.ndarray) -> pl.Series:
    """Semicolon-joined sign names, e.g. ``complaints;late_payment``; null for none."""
    frame = pl.DataFrame({"signs": signs})
    parts = [pl.when((pl.col("signs") & bit) != 0).then(pl.lit(label)) for bit, label in SIGN_NAMES]
    return frame.select(
        pl.concat_str(parts, separator=";", ignore_nulls=True)
        .replace("", None)
        .alias("planted_signs")
    ).to_series()


def customer_snapshots(
    rng: np.random.Generator, p: Population, go_live: int, end_day: int
) -> pl.DataFrame:
    """Customer master exports: the full master at go-live, then new and changed customers per day.

    After go-live a few existing customers change each day (rating or credit limit) and customers
    whose cooperation starts that day appear. ``_day`` is the export day.
    """
    master = p.master
    existing = np.flatnonzero(p.start_day <= go_live)
    frames = [master[existing].with_columns(_day=pl.lit(go_live, dtype=pl.Int64))]
    rating = master.get_column("qualitative_rating").to_numpy().copy()
    credit = master.get_column("credit_limit").to_numpy().copy()
    for day in range(go_live + 1, end_day + 1):
        k = min(int(rng.poisson(max(0.5, 0.002 * p.count))), len(existing))
        changed = rng.choice(existing, size=k, replace=False)
        rerated = changed[rng.random(k) < 0.5]
        rating[rerated] = np.clip(rating[rerated] + rng.choice([-1, 1], len(rerated)), 1, 5)
        limited = np.setdiff1d(changed, rerated)
        credit[limited] = np.round(credit[limited] * rng.choice([0.8, 1.25], len(limited)), -4)
        new = np.flatnonzero(p.start_day == day)
        rows = np.union1d(changed, new)
        existing = np.union1d(existing, new)
        if len(rows):
            frames.append(
                master[rows].with_columns(
                    qualitative_rating=pl.Series(rating[rows]),
                    credit_limit=pl.Series(credit[rows]),
                    _day=pl.lit(day, dtype=pl.Int64),
                )
            )
    return pl.concat(frames)
