"""Invoices (应收) and payments (回款) for one chunk of orders, with planted payment behaviour."""

from __future__ import annotations

import numpy as np
import polars as pl

from demo.calendar import month_end
from demo.customers import LATE_PAYMENT, Population
from demo.orders import OrderBatch

MONTHLY_INVOICED_CHANNEL = 1  # distributors get one invoice per month; others one per order
EXTRA_DELAY_MEAN = (0.0, 20.0, 60.0)  # days beyond terms by payment behaviour
NEVER_PAID = (0.01, 0.03, 0.08)
PARTIAL_SHARE = 0.07
REMAINDER_NEVER_PAID = 0.3
NO_INVOICE_REFERENCE = 0.05  # payments booked without an invoice number
WORSENING_DAYS = 180  # late-payment churners pay worse over this window before the stop


def draw_invoices(
    p: Population, batch: OrderBatch, end_day: int, first_number: int
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Invoice the orders: per order, or per month for distributors (issued at month end).

    Returns the invoice frame and, per invoice, the customer, issue day and amount in cents.
    """
    monthly = p.channel[batch.customer] == MONTHLY_INVOICED_CHANNEL
    issue_day = np.where(monthly, month_end(batch.day), batch.day)
    # One key per invoice: the order itself, or (customer, month end) for monthly invoices.
    key = np.where(
        monthly, -(batch.customer * 100_000 + issue_day % 100_000) - 1, np.arange(len(batch.day))
    )
    issued = issue_day <= end_day
    keys, first, inverse = np.unique(key[issued], return_index=True, return_inverse=True)
    customer = batch.customer[issued][first]
    day = issue_day[issued][first]
    amount = np.bincount(inverse, weights=batch.amount_cents[issued], minlength=len(keys))
    amount = np.round(amount).astype(np.int64)
    keep = amount != 0
    customer, day, amount = customer[keep], day[keep], amount[keep]
    order = np.lexsort((customer, day))
    customer, day, amount = customer[order], day[order], amount[order]

    number = pl.Series(np.arange(first_number, first_number + len(day)))
    invoices = pl.DataFrame(
        {
            "invoice_id": "INV" + number.cast(pl.String).str.zfill(9),
            "customer_id": p.customer_id.gather(customer),
            "invoice_date": pl.Series(day).cast(pl.Date),
            "due_date": pl.Series(day + p.terms_days[customer]).cast(pl.Date),
            "amount": amount / 100,
            "currency": "CNY",
            "_day": day,
        }
    )
    return invoices, customer, day, amount


def draw_payments(
    rng: np.random.Generator,
    p: Population,
    invoices: pl.DataFrame,
    customer: np.ndarray,
    day: np.ndarray,
    amount: np.ndarray,
    end_day: int,
    first_number: int,
) -> pl.DataFrame:
    """Pay the invoices: mostly on time, some late or very late, some partial, a few never."""
    n = len(day)
    behaviour = p.payment_behaviour[customer]
    terms = p.terms_days[customer]
    stop = p.stop_day[customer]
    worsening = ((p.signs[customer] & LATE_PAYMENT) != 0) & (day >= stop - WORSENING_DAYS)

    on_time_delay = np.maximum(0, terms * rng.uniform(0.3, 0.95, n) + rng.normal(0, 2, n))
    late_delay = terms + rng.exponential(1.0, n) * np.array(EXTRA_DELAY_MEAN)[behaviour]
    delay = np.where(behaviour == 0, on_time_delay, late_delay)
    delay = delay + np.where(worsening, 15 + rng.exponential(45.0, n), 0.0)
    delay = np.round(delay).astype(np.int64)

    payable = amount > 0
    never = rng.random(n) < np.array(NEVER_PAID)[behaviour] + np.where(worsening, 0.15, 0.0)
    partial = rng.random(n) < np.where(worsening, 0.4, PARTIAL_SHARE)
    first_cents = np.where(partial, np.round(amount * rng.uniform(0.3, 0.8, n)), amount)
    first_cents = first_cents.astype(np.int64)
    remainder_paid = partial & (rng.random(n) >= REMAINDER_NEVER_PAID)
    remainder_day = day + delay + rng.integers(15, 91, n)

    paid_first = payable & ~never
    paid_second = paid_first & remainder_paid
    pay_invoice = np.concatenate([np.flatnonzero(paid_first), np.flatnonzero(paid_second)])
    pay_day = np.concatenate([(day + delay)[paid_first], remainder_day[paid_second]])
    pay_cents = np.concatenate([first_cents[paid_first], (amount - first_cents)[paid_second]])
    received = (pay_day <= end_day) & (pay_cents > 0)
    pay_invoice, pay_day, pay_cents = pay_invoice[received], pay_day[received], pay_cents[received]
    order = np.lexsort((pay_invoice, pay_day))
    pay_invoice, pay_day, pay_cents = pay_invoice[order], pay_day[order], pay_cents[order]

    number = pl.Series(np.arange(first_number, first_number + len(pay_day)))
    unreferenced = rng.random(len(pay_day)) < NO_INVOICE_REFERENCE
    invoice_id = invoices.get_column("invoice_id").gather(pay_invoice)
    return pl.DataFrame(
        {
            "payment_id": "PAY" + number.cast(pl.String).str.zfill(9),
            "customer_id": p.customer_id.gather(customer[pay_invoice]),
            "invoice_id": pl.select(
                pl.when(pl.lit(pl.Series(unreferenced))).then(None).otherwise(pl.lit(invoice_id))
            ).to_series(),
            "payment_date": pl.Series(pay_day).cast(pl.Date),
            "amount": pay_cents / 100,
            "_day": pay_day,
        }
    )
