"""``kam demo``: a deterministic, realistic demo data set in the landing layout kam ingests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from demo.calendar import (
    contact_weights,
    month_chunks,
    order_weights,
    to_date,
    to_day,
)
from demo.customers import (
    Population,
    build_population,
    customer_snapshots,
    person_names,
)
from demo.financials import draw_financials
from demo.ground_truth import write_ground_truth
from demo.interactions import as_of_rows, draw_interactions
from demo.orders import (
    MEAN_LINES_PER_ORDER,
    draw_corrections,
    draw_orders,
    order_intensity,
)
from demo.products import build_catalogue
from demo.receivables import draw_invoices, draw_payments
from demo.writer import LandingWriter
from ingestion.contracts import SOURCES

DAILY_SOURCES = ("transactions", "invoices", "payments", "interactions")
LINES_PER_CUSTOMER = 100
MIN_CUSTOMERS = 50

# Random streams: each part of the data set draws from its own generator, so changing one
# generator's draws never shifts another's.
# New streams go at the end, so that adding one leaves the existing data as it was.
(
    POPULATION,
    CATALOGUE,
    ORDERS,
    PAYMENTS,
    CONTACTS,
    FINANCIALS,
    SNAPSHOTS,
    STAFF,
    NIGHT_ORDERS,
    CORRECTIONS,
) = range(10)


class DemoError(ValueError):
    """A demo request that cannot be fulfilled, with what to do instead."""


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo` wrote."""

    out_dir: Path
    landing_dir: Path
    ground_truth_path: Path
    seed: int
    history_start: date
    go_live: date
    end_date: date
    customers: int
    planted_churners: int
    rows: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        width = max(len(source) for source in self.rows)
        daily = ", then one folder per day" if self.go_live < self.end_date else ""
        counts = "\n".join(
            f"  {source:<{width}}  {count:>12,}" for source, count in self.rows.items()
        )
        return (
            f"Demo data (seed {self.seed}) written to {self.out_dir}\n"
            f"  history {self.history_start} .. {self.end_date}; initial extract dated "
            f"{self.go_live}{daily}\n"
            f"  {self.customers:,} customers, {self.planted_churners:,} planted churners\n"
            f"Rows per source (customers counts every snapshot row):\n{counts}\n"
            f"Landing files:  {self.landing_dir}\n"
            f"Ground truth:   {self.ground_truth_path}"
        )


def _rng(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream, chunk])))


def _validate(
    out_dir: Path,
    seed: int,
    customers: int | None,
    lines: int,
    history_days: int,
    daily_days: int,
    overwrite: bool,
) -> None:
    if seed < 0:
        raise DemoError(f"seed must be zero or positive, got {seed}; pass e.g. --seed 42.")
    if lines < 1:
        raise DemoError(f"lines must be at least 1, got {lines}; pass e.g. --lines 200000.")
    if customers is not None and customers < 1:
        raise DemoError(
            f"customers must be at least 1, got {customers}; leave it out to use about "
            f"one customer per {LINES_PER_CUSTOMER} lines."
        )
    if daily_days < 0 or history_days <= daily_days + 365:
        raise DemoError(
            f"history_days ({history_days}) must exceed daily_days ({daily_days}) by more than "
            "a year, and daily_days must be zero or more; e.g. --history-days 730 --daily-days 14."
        )
    for sub in ("landing", "ground_truth"):
        folder = out_dir / sub
        if folder.exists() and any(folder.iterdir()) and not overwrite:
            raise DemoError(
                f"{folder} already holds files; choose an empty output folder or pass "
                "--overwrite to replace the demo landing and ground-truth folders."
            )


def generate_demo(
    out_dir: Path,
    *,
    seed: int = 42,
    customers: int | None = None,
    lines: int = 200_000,
    end_date: date = date(2025, 12, 31),
    history_days: int = 730,
    daily_days: int = 14,
    overwrite: bool = False,
) -> DemoSummary:
    """Write landing files and ground truth under ``out_dir``; same seed gives identical bytes.

    ``customers`` defaults to one per 100 requested order lines (at least 50). With
    ``overwrite`` the ``landing`` and ``ground_truth`` folders of ``out_dir`` are replaced.
    """
    out_dir = Path(out_dir)
    _validate(out_dir, seed, customers, lines, history_days, daily_days, overwrite)
    for sub in ("landing", "ground_truth"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
    n_customers = customers or max(MIN_CUSTOMERS, round(lines / LINES_PER_CUSTOMER))
    end_day = to_day(end_date)
    history_start = end_day - history_days
    go_live = end_day - daily_days

    population = build_population(
        _rng(seed, POPULATION),
        n_customers,
        history_start=history_start,
        go_live=go_live,
        end_day=end_day,
    )
    landing = out_dir / "landing"
    writer = LandingWriter(landing, go_live)
    last_order_day, revenue_cents = _write_events(
        writer, seed, population, lines, history_start, end_day, go_live
    )
    writer.add(
        "customer_financials",
        draw_financials(_rng(seed, FINANCIALS), population, history_start, end_day),
    )
    writer.add("customers", customer_snapshots(_rng(seed, SNAPSHOTS), population, go_live, end_day))
    daily = list(range(go_live + 1, end_day + 1))
    writer.finish({source: daily for source in DAILY_SOURCES})

    truth_path = write_ground_truth(
        out_dir / "ground_truth", population, last_order_day, revenue_cents
    )
    return DemoSummary(
        out_dir=out_dir,
        landing_dir=landing,
        ground_truth_path=truth_path,
        seed=seed,
        history_start=to_date(history_start),
        go_live=to_date(go_live),
        end_date=end_date,
        customers=n_customers,
        planted_churners=int(population.is_churner.sum()),
        rows={source: writer.counts.get(source, 0) for source in SOURCES},
    )


def _write_events(
    writer: LandingWriter,
    seed: int,
    p: Population,
    lines: int,
    history_start: int,
    end_day: int,
    go_live: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Transactions, invoices, payments and interactions, one month at a time.

    Returns each customer's last order day (-1 if none) and total net revenue in cents.
    """
    catalogue = build_catalogue(_rng(seed, CATALOGUE))
    support_staff = person_names(_rng(seed, STAFF), max(3, p.count // 200))
    chunks = month_chunks(history_start, end_day)
    reference_day = (history_start + end_day) // 2
    total = sum(
        order_intensity(p, c.days, order_weights(c.days), reference_day).sum() for c in chunks
    )
    scale = lines / (total * MEAN_LINES_PER_ORDER)

    last_order_day = np.full(p.count, -1, dtype=np.int64)
    revenue_cents = np.zeros(p.count, dtype=np.int64)
    next_order = next_invoice = next_payment = next_contact = 1
    for chunk in chunks:
        weights = order_weights(chunk.days)
        intensity = scale * order_intensity(p, chunk.days, weights, reference_day)
        batch = draw_orders(
            _rng(seed, ORDERS, chunk.number),
            _rng(seed, NIGHT_ORDERS, chunk.number),
            p,
            catalogue,
            chunk.days,
            intensity,
            next_order,
        )
        next_order += len(batch.day)
        np.maximum.at(last_order_day, batch.customer, batch.day)
        revenue_cents += (
            np.bincount(batch.customer, weights=batch.amount_cents, minlength=p.count)
            .round()
            .astype(np.int64)
        )
        corrections = draw_corrections(
            _rng(seed, CORRECTIONS, chunk.number), batch.lines, go_live + 1, end_day
        )
        revenue_cents += _correction_cents(p, batch.lines, corrections)
        writer.add("transactions", pl.concat([batch.lines, corrections]))

        invoices, customer, day, amount = draw_invoices(p, batch, end_day, next_invoice)
        next_invoice += invoices.height
        payments = draw_payments(
            _rng(seed, PAYMENTS, chunk.number),
            p,
            invoices,
            customer,
            day,
            amount,
            end_day,
            next_payment,
        )
        next_payment += payments.height
        writer.add("invoices", invoices)
        writer.add("payments", payments)

        events = draw_interactions(
            _rng(seed, CONTACTS, chunk.number),
            p,
            chunk.days,
            contact_weights(chunk.days),
            support_staff,
            next_contact,
        )
        next_contact += events.height
        writer.add("interactions", as_of_rows(events, go_live, end_day))
    return last_order_day, revenue_cents


def _correction_cents(p: Population, lines: pl.DataFrame, corrections: pl.DataFrame) -> np.ndarray:
    """What the corrections change each customer's net revenue by, in cents (≤ 0)."""
    change = (
        corrections.join(lines, on=["order_id", "line_number"], suffix="_sent")
        .join(
            pl.DataFrame({"customer_id": p.customer_id, "index": np.arange(p.count)}),
            on="customer_id",
        )
        .select("index", cents=((pl.col("line_amount") - pl.col("line_amount_sent")) * 100).round())
    )
    return (
        np.bincount(
            change["index"].to_numpy(), weights=change["cents"].to_numpy(), minlength=p.count
        )
        .round()
        .astype(np.int64)
    )
