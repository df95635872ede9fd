"""Quarterly customer financial statements (客户财务报表), some customers in planted distress."""

from __future__ import annotations

import numpy as np
import polars as pl

from demo.calendar import quarter_ends
from demo.customers import Population

ARRIVAL_DAYS = (25, 95)  # statements arrive this many days after quarter end
DISTRESS_QUARTERS = 4  # distress deepens over the last quarters before the stop (or the end)


def draw_financials(
    rng: np.random.Generator, p: Population, history_start: int, end_day: int
) -> pl.DataFrame:
    """One row per reporting customer and quarter that has arrived by ``end_day``.

    ``_day`` is the arrival day, which decides the landing folder.
    """
    quarters = quarter_ends(history_start, end_day)
    reporting = np.flatnonzero(p.has_financials)
    customer = np.repeat(reporting, len(quarters))
    q_index = np.tile(np.arange(len(quarters)), len(reporting))
    period_end = quarters[q_index]
    arrival = period_end + rng.integers(ARRIVAL_DAYS[0], ARRIVAL_DAYS[1] + 1, len(period_end))
    n = len(customer)

    # Company revenue per quarter: scales with how much the customer buys, grows with its trend.
    base_revenue = 2e6 * np.exp(0.8 * p.size + rng.normal(0, 0.5, p.count))
    years = (period_end - history_start) / 365.0
    revenue = base_revenue[customer] * np.exp(p.growth[customer] * years + rng.normal(0, 0.05, n))

    # Distress: for churners it builds up before their stop, for others before the end date.
    anchor_day = np.minimum(p.stop_day, end_day)[customer]
    quarters_to_anchor = (anchor_day - period_end) / 91.0
    depth = np.where(
        p.is_distressed[customer],
        np.clip(1.0 - quarters_to_anchor / DISTRESS_QUARTERS, 0.0, 1.0),
        0.0,
    )
    revenue = revenue * (1.0 - 0.35 * depth)
    gross_margin = rng.uniform(0.15, 0.40, n)
    net_margin = rng.normal(0.06, 0.03, n) * (1 - depth) + depth * rng.uniform(-0.18, -0.04, n)
    current_ratio = np.exp(rng.normal(np.log(1.6), 0.25, n)) * (1 - depth) + depth * rng.uniform(
        0.5, 0.95, n
    )
    debt_ratio = rng.uniform(0.30, 0.65, n) * (1 - depth) + depth * rng.uniform(0.8, 1.05, n)

    current_assets = revenue * rng.uniform(0.8, 1.6, n)
    total_assets = current_assets / rng.uniform(0.45, 0.75, n)
    values = {
        "current_assets": current_assets,
        "current_liabilities": current_assets / current_ratio,
        "inventory": current_assets * rng.uniform(0.15, 0.45, n),
        "total_assets": total_assets,
        "total_liabilities": total_assets * debt_ratio,
        "revenue": revenue,
        "cost_of_goods_sold": revenue * (1 - gross_margin),
        "net_profit": revenue * net_margin,
        "accounts_receivable": revenue * rng.uniform(0.25, 0.6, n) * (1 + depth),
    }
    # Only while the relationship lasts: from the first cooperation to a quarter past the stop.
    arrived = (
        (arrival <= end_day)
        & (period_end >= p.start_day[customer])
        & (period_end <= p.stop_day[customer] + 91)
    )
    frame = pl.DataFrame(
        {
            "customer_id": p.customer_id.gather(customer),
            "period_end_date": pl.Series(period_end).cast(pl.Date),
            **{name: np.round(value) for name, value in values.items()},
            "_day": arrival,
        }
    )
    return frame.filter(pl.Series(arrived)).sort("_day", "customer_id", "period_end_date")
