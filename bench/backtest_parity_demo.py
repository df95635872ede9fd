"""`kam backtest` on a kam home holding the demo company's order lines against the same figures
computed in-process (the demo half of bench/backtest_parity.py).

``kam demo`` generates the company into a scratch folder. Its transaction lines — the latest
version of each (order, line): a correction re-sent in a later folder replaces the first — are
landed again, in the demo's own columns and the shipped identity mapping, into a fresh kam home
by business date: eight dates 30 days apart ending on the demo's last date. ``kam run`` and
``kam backtest`` then measure every date whose 90-day outcome is in the warehouse, each
calibrated on what was known then, and the figures are compared with the bench's: its own facts
from the lines (docs/facts.md: an order is dated by its first sales line and a return-only order
is no order; revenue is net of returns, by each line's date), the label "no order in
(D, D + 90]" from the lines, the calibration on its own facts, ``score_churn`` and the rank AUC.
Only transactions are landed (no customer master, invoices or contacts): value at risk is by
revenue, and the signs without input do not fire.

    .venv/bin/python bench/backtest_parity_demo.py [--home /tmp/kam-backtest-parity-demo]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backtest_parity import (  # noqa: E402 - a sibling script, not a package
    bench_figures,
    by_business_date,
    kam,
    prepare_home,
    run_and_backtest,
)
from backtest_parity_report import compare, report  # noqa: E402
from order_facts import as_of_columns, order_date_facts, revenue_facts  # noqa: E402

from scoring.config import load_scoring_config  # noqa: E402

HORIZON_DAYS = 90
GRID_DAYS = 30
GRID_DATES = 8
#: Columns of the demo's transaction export (the contract's canonical names).
EXPORT_COLUMNS = [
    "order_id",
    "line_number",
    "customer_id",
    "ordered_at",
    "product_id",
    "product_category",
    "quantity",
    "unit_price",
    "line_amount",
    "line_cost",
    "discount_amount",
]


def demo_lines(generated: Path) -> pl.DataFrame:
    """Every transaction line of a demo's landing folders, the latest folder's version of each
    (order, line), as exported (text) plus ``day`` (order date), ``amount``, ``is_return``."""
    files = sorted((generated / "landing" / "transactions").glob("*/*.csv"))
    if not files:
        raise SystemExit(f"{generated}: no demo transaction files under landing/transactions")
    lines = pl.concat(
        [
            pl.read_csv(f, infer_schema_length=0).with_columns(folder=pl.lit(f.parent.name))
            for f in files
        ],
        how="diagonal",
    )
    return (
        lines.sort("folder")
        .unique(["order_id", "line_number"], keep="last", maintain_order=True)
        .select(
            EXPORT_COLUMNS,
            day=pl.col("ordered_at").str.slice(0, 10).str.to_date("%Y-%m-%d"),
            amount=pl.col("line_amount").cast(pl.Float64),
            is_return=pl.col("quantity").cast(pl.Float64) < 0,
        )
    )


def orders_of(lines: pl.DataFrame) -> pl.DataFrame:
    """``customer_id``, ``order_id``, ``order_date``: an order is dated by its first sales line;
    an order with return lines only is not an order."""
    return (
        lines.filter(~pl.col("is_return"))
        .group_by("customer_id", "order_id")
        .agg(order_date=pl.col("day").min())
    )


def line_facts(lines: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The churn inputs of fct_customer_facts as of ``as_of`` from order lines alone (the other
    sources' columns null, as for CDNOW), for every customer with a line by then."""
    upto = lines.filter(pl.col("day") <= as_of)
    order_facts = (
        orders_of(upto)
        .group_by("customer_id")
        .agg(**order_date_facts(pl.col("order_date"), as_of), _orders=pl.len())
    )
    revenue = upto.group_by("customer_id").agg(**revenue_facts(pl.col("day"), as_of))
    return (
        revenue.join(order_facts, on="customer_id", how="left")
        .with_columns(
            order_days_lifetime=pl.col("order_days_lifetime").fill_null(0),
            order_count_trailing=pl.col("order_count_trailing").fill_null(0),
            average_order_value_trailing=pl.col("revenue_trailing")
            / pl.col("order_count_trailing"),
            average_order_value_lifetime=pl.col("revenue_lifetime") / pl.col("_orders"),
            **as_of_columns(as_of),
        )
        .drop("_orders")
        .sort("customer_id")
    )


def grid(last: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """(dates to land and run, dates measured): 30 days apart back from ``last``."""
    dates = [last - dt.timedelta(days=GRID_DAYS * k) for k in range(GRID_DATES - 1, -1, -1)]
    have = set(dates)
    return dates, [d for d in dates if d + dt.timedelta(days=HORIZON_DAYS) in have]


def parity_demo(
    home: Path, lines: pl.DataFrame, dates: Sequence[dt.date], measured: Sequence[dt.date]
) -> pl.DataFrame:
    """Land ``lines`` by ``dates`` into a fresh ``home``, run and back-test them, compute the
    figures of ``measured`` in-process; the comparison frame."""
    exports = {
        day: part.select(EXPORT_COLUMNS)
        for day, part in by_business_date(lines, "day", dates).items()
    }
    prepare_home(home, exports, HORIZON_DAYS)
    kam_rows = run_and_backtest(home, dates)
    config = load_scoring_config(home / "config" / "scoring.yaml").churn
    history = pl.concat([line_facts(lines, d) for d in sorted(dates)], how="diagonal_relaxed")
    bench_rows = bench_figures(history, orders_of(lines), measured, config)
    return compare(kam_rows, bench_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/kam-backtest-parity-demo"))
    parser.add_argument("--lines", type=int, default=40_000, help="demo order lines")
    parser.add_argument("--seed", type=int, default=42, help="demo seed")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    generated = args.home.with_name(args.home.name + "-generated")
    if generated.exists():
        if not (generated / "ground_truth" / "customers.csv").is_file():
            raise SystemExit(f"{generated} exists and is not a demo home: pass another --home")
        shutil.rmtree(generated)
    done = kam(generated, "demo", "--lines", str(args.lines), "--seed", str(args.seed))
    if done.returncode != 0:
        raise SystemExit(f"kam demo failed:\n{done.stdout}\n{done.stderr}")
    lines = demo_lines(generated)
    dates, measured = grid(lines["day"].max())
    report(parity_demo(args.home, lines, dates, measured), args.json)


if __name__ == "__main__":
    main()
