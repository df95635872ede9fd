"""Order lines (transactions) for one chunk of days, drawn from each customer's daily intensity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from orchestration.demo.customers import DECLINE_DAYS, DECLINING_ORDERS, Population
from orchestration.demo.products import PRODUCTS_PER_CATEGORY, Catalogue

SALE_LINES_EXTRA = 1.8  # lines per sale order = 1 + Poisson(1.8)
RETURN_LINES_EXTRA = 0.3
RETURN_SHARE = 0.06  # share of orders that are returns (退货)
DISCOUNT_SHARE = 0.35
QUANTITY_SIZE_ELASTICITY = 0.55  # bigger customers buy more units per line
MEAN_LINES_PER_ORDER = (1 - RETURN_SHARE) * (1 + SALE_LINES_EXTRA) + RETURN_SHARE * (
    1 + RETURN_LINES_EXTRA
)


def order_intensity(
    p: Population, days: np.ndarray, weights: np.ndarray, reference_day: int
) -> np.ndarray:
    """Unscaled expected orders per (customer, day): size x season x growth x planted decline."""
    day = days[None, :]
    alive = (day >= p.start_day[:, None]) & (day <= p.stop_day[:, None])
    growth = np.exp(p.growth[:, None] * (day - reference_day) / 365.0)
    declining = (p.signs & DECLINING_ORDERS) != 0
    into_decline = np.clip(1.0 - (p.stop_day[:, None] - day) / DECLINE_DAYS, 0.0, 1.0)
    fade = np.where(declining[:, None], 1.0 - 0.75 * into_decline, 1.0)
    return np.exp(p.size)[:, None] * weights[None, :] * growth * fade * alive


@dataclass
class OrderBatch:
    """Orders of one chunk: the line table plus one entry per order for invoicing."""

    lines: pl.DataFrame
    customer: np.ndarray
    day: np.ndarray
    amount_cents: np.ndarray
    order_id: pl.Series


def draw_orders(
    rng: np.random.Generator,
    p: Population,
    catalogue: Catalogue,
    days: np.ndarray,
    intensity: np.ndarray,
    first_order_number: int,
) -> OrderBatch:
    """Draw orders and their lines; order numbers continue from ``first_order_number``."""
    n_days = len(days)
    counts = rng.poisson(intensity)
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    customer = flat // n_days
    day = days[flat % n_days]
    seconds = rng.integers(8 * 3600, 19 * 3600, len(flat))
    order = np.lexsort((customer, seconds, day))
    customer, day, seconds = customer[order], day[order], seconds[order]
    n_orders = len(customer)

    is_return = rng.random(n_orders) < RETURN_SHARE
    n_lines = 1 + rng.poisson(np.where(is_return, RETURN_LINES_EXTRA, SALE_LINES_EXTRA))
    line_order = np.repeat(np.arange(n_orders), n_lines)
    starts = np.cumsum(n_lines) - n_lines
    line_number = np.arange(len(line_order)) - starts[line_order] + 1
    line_customer = customer[line_order]
    line_return = is_return[line_order]
    n = len(line_order)

    slot = (rng.random(n) * p.n_categories[line_customer]).astype(np.int64)
    category = p.categories[line_customer, slot].astype(np.int64)
    rank = (PRODUCTS_PER_CATEGORY * rng.random(n) ** 2).astype(np.int64)  # popular items first
    product = category * PRODUCTS_PER_CATEGORY + rank

    price_cents = np.round(catalogue.price_cents[product] * p.price_factor[line_customer]).astype(
        np.int64
    )
    typical_units = catalogue.units_per_line[category] * np.exp(
        QUANTITY_SIZE_ELASTICITY * p.size[line_customer]
    )
    quantity = np.maximum(1, np.round(typical_units * rng.lognormal(0.0, 0.6, n))).astype(np.int64)
    returned = np.maximum(1, np.round(quantity * rng.uniform(0.1, 0.6, n))).astype(np.int64)
    quantity = np.where(line_return, -returned, quantity)

    gross_cents = quantity * price_cents
    has_discount = ~line_return & (rng.random(n) < DISCOUNT_SHARE)
    discount_cents = np.where(
        has_discount, np.round(gross_cents * rng.uniform(0.02, 0.15, n)), 0
    ).astype(np.int64)
    amount_cents = gross_cents - discount_cents
    cost_cents = quantity * catalogue.cost_cents[product]

    order_number = pl.Series(np.arange(first_order_number, first_order_number + n_orders))
    order_id = "SO" + order_number.cast(pl.String).str.zfill(9)
    timestamp = (day * 86_400 + seconds) * 1_000_000
    lines = pl.DataFrame(
        {
            "order_id": order_id.gather(line_order),
            "line_number": line_number.astype(np.int64),
            "customer_id": p.customer_id.gather(line_customer),
            "ordered_at": pl.Series(timestamp[line_order]).cast(pl.Datetime("us")),
            "product_id": catalogue.product_id.gather(product),
            "product_category": catalogue.category.gather(product),
            "quantity": quantity,
            "unit_price": price_cents / 100,
            "line_amount": amount_cents / 100,
            "line_cost": cost_cents / 100,
            "discount_amount": discount_cents / 100,
            "_day": day[line_order],
        }
    )
    order_amount = np.bincount(line_order, weights=amount_cents, minlength=n_orders)
    return OrderBatch(
        lines=lines,
        customer=customer,
        day=day,
        amount_cents=np.round(order_amount).astype(np.int64),
        order_id=order_id,
    )
