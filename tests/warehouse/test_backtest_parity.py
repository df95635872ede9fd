"""`kam backtest` on a warehouse that ran a small purchase history reports the figures the churn
bench computes from the same transactions in-process (bench/backtest_parity.py,
docs/churn-quality.md#kam-backtest-reports-the-same-figures)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import backtest_parity  # noqa: E402

# Three `kam run`s and a back-test: 80 s to 3.5 min on 2 shared cores, by their load.
pytestmark = [pytest.mark.slow, pytest.mark.bench]

HORIZON = 60
FIRST = dt.date(2024, 5, 1)
#: Three business dates 60 days apart: the first is calibration history for the second, the
#: third is the outcome of the second.
DATES = [FIRST + dt.timedelta(days=HORIZON * k) for k in range(3)]


def _history(customers: int = 260, seed: int = 7) -> pl.DataFrame:
    """Repeat buyers who may stop: each customer starts in the first 60 days of 2024, orders
    every ~Gamma-distributed number of days at their own spend level (per CD) and stops for
    good at an exponential time."""
    rng = np.random.default_rng(seed)
    end = DATES[-1]
    rows: list[tuple[str, dt.date, int, float]] = []
    for i in range(customers):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 60)))
        mean_gap = float(rng.gamma(2.0, 20.0)) + 3
        spend = float(rng.gamma(4.0, 4.0)) + 1
        stop = day + dt.timedelta(days=int(rng.exponential(150)))
        while day <= min(end, stop):
            cds = int(rng.integers(1, 4))
            amount = round(cds * spend * float(rng.uniform(0.8, 1.2)), 2)
            rows.append((f"{i:04d}", day, cds, amount))
            day += dt.timedelta(days=max(1, int(rng.exponential(mean_gap))))
    return pl.DataFrame(
        rows, schema=["customer_id", "order_date", "cds", "amount"], orient="row"
    ).with_row_index("record", offset=1)


def test_kam_backtest_reports_the_figures_computed_in_process(tmp_path: Path) -> None:
    transactions = _history()
    comparison = backtest_parity.parity(tmp_path / "home", transactions, DATES, DATES[:2], HORIZON)
    # Every figure of both dates is on both sides, and equal.
    figures = comparison.filter(pl.col("decile").is_null())
    assert set(figures["as_of_date"].to_list()) == set(DATES[:2])
    assert comparison["kam"].is_not_null().sum() == comparison.height
    assert comparison.filter(~pl.col("equal")).height == 0, comparison.filter(~pl.col("equal"))
    value = {
        (d, s, m): v
        for d, s, m, v in figures.select("as_of_date", "score", "metric", "kam").iter_rows()
    }
    # The second date is calibrated on the first (its outcome is known by then), the first is not.
    assert value[(DATES[0], "churn_probability", "calibrated")] == 0.0
    assert value[(DATES[1], "churn_probability", "calibrated")] == 1.0
    # Customers and churned worked out from the transactions with plain sets.
    for day in DATES[:2]:
        rows = transactions.rows(named=True)
        seen = {r["customer_id"] for r in rows if r["order_date"] <= day}
        bought = {
            r["customer_id"]
            for r in rows
            if day < r["order_date"] <= day + dt.timedelta(days=HORIZON)
        }
        assert value[(day, "churn_probability", "customers")] == len(seen)
        assert value[(day, "churn_probability", "churned")] == len(seen - bought)
