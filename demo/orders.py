"""Order lines (transactions) for one chunk of days, drawn from each customer's daily intensity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from demo.customers import DECLINE_DAYS, DECLINING_ORDERS, Population
from demo.products import PRODUCTS_PER_CATEGORY, Catalogue

SALE_LINES_EXTRA = 1.8  # lines per sale order = 1 + Poisson(1.8)
RETURN_LINES_EXTRA = 0.3
RETURN_SHARE = 0.06  # share of orders that are returns (退货)
DISCOUNT_SHARE = 0.35
QUANTITY_SIZE_ELASTICITY = 0.55  # bigger customers buy more units per line
# The extract for business date D runs at 00:30 on D + 1, so orders placed after midnight (online
# and overnight orders) land in the folder of D, dated D + 1 (the contract allows one day).
NIGHT_ORDER_SHARE = 0.01
EXTRACT_SECONDS_AFTER_MIDNIGHT = 1800
# A corrected line (short delivery: fewer units) is re-sent in a later folder, within a week.
CORRECTION_SHARE = 0.02
CORRECTION_MAX_DAYS = 7
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
    night: np.random.Generator,
    p: Population,
    catalogue: Catalogue,
    days: np.ndarray,
    intensity: np.ndarray,
    first_order_number: int,
) -> OrderBatch:
    """Draw orders and their lines; order numbers continue from ``first_order_number``.

    ``night`` picks the orders placed just after midnight. It is a generator of its own, and
    they are re-timed after the orders are numbered, so everything else (order numbers, lines,
    invoices, payments) is as it would be without them. The lines' ``_day`` is the business
    date of the folder they land in: the day before for those orders.
    """
    n_days = len(days)
    counts = rng.poisson(intensity)
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    customer = flat // n_days
    day = days[flat % n_days]
    seconds = rng.integers(8 * 3600, 19 * 3600, len(flat))
    order = np.lexsort((customer, seconds, day))
    customer, day, seconds = customer[order], day[order], seconds[order]
    is_night = night.random(len(flat)) < NIGHT_ORDER_SHARE
    seconds = np.where(
        is_night, night.integers(0, EXTRACT_SECONDS_AFTER_MIDNIGHT, len(flat)), seconds
    )
    folder_day = np.where(is_night, day - 1, day)
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
            "_day": folder_day[line_order],
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


def draw_corrections(
    rng: np.random.Generator, lines: pl.DataFrame, first_folder_day: int, end_day: int
) -> pl.DataFrame:
    """Corrected versions of some sale lines, re-sent 1 to 7 days after the order day.

    A correction lowers the units (a short delivery); price per unit and discount rate stay, so
    ``line_amount = quantity × unit_price − discount_amount`` still holds to the cent. Only
    corrections landing in a folder from ``first_folder_day`` to ``end_day`` are kept: a line is
    sent at most once per folder, and the initial extract already holds the latest version.
    """
    day = (pl.col("ordered_at").dt.date() - pl.date(1970, 1, 1)).dt.total_days()
    candidates = lines.filter(
        (pl.col("quantity") >= 2) & (day >= first_folder_day - CORRECTION_MAX_DAYS)
    )
    chosen = rng.random(candidates.height) < CORRECTION_SHARE
    delay = rng.integers(1, CORRECTION_MAX_DAYS + 1, candidates.height)
    fraction = rng.uniform(0.5, 0.95, candidates.height)
    quantity = candidates["quantity"].to_numpy()
    corrected = np.clip(np.round(quantity * fraction), 1, quantity - 1).astype(np.int64)
    price_cents = np.round(candidates["unit_price"].to_numpy() * 100).astype(np.int64)
    cost_cents = np.round(candidates["line_cost"].to_numpy() * 100).astype(np.int64)
    discount_cents = np.round(candidates["discount_amount"].to_numpy() * 100).astype(np.int64)
    new_discount = np.round(discount_cents * corrected / quantity).astype(np.int64)
    return candidates.with_columns(
        quantity=pl.Series(corrected),
        line_amount=pl.Series((corrected * price_cents - new_discount) / 100),
        line_cost=pl.Series(cost_cents // quantity * corrected / 100),
        discount_amount=pl.Series(new_discount / 100),
        _day=(day + pl.Series(delay)).cast(pl.Int64),
    ).filter(pl.Series(chosen) & (pl.col("_day") >= first_folder_day) & (pl.col("_day") <= end_day))
