"""The demo's answer key: what was planted per customer, written apart from the landing files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from demo.customers import NEVER, PAYMENT_BEHAVIOURS, Population, sign_labels
from demo.writer import write_csv

README = """\
# Demo ground truth

`customers.csv` records what the demo generator planted for every customer, so that kam's
tiering, credit grades and churn flags can be measured against a known answer. kam never
reads this folder; only the landing files under `../landing/` are data.

Columns:

- `customer_id`: same identifier as in the landing files.
- `segment`: planted archetype, the first that applies: `anchor` (very large, strategic),
  `churner`, `new` (won during the history or the daily run), `high_service` (small buyer with
  many contacts), `distressed` (worsening financial statements), `growing` / `declining`
  (order-rate trend above +20 % / below -20 % a year), `stable`.
- `is_planted_churner`: true if the customer was made to stop buying.
- `churn_date`: for churners, the date of their last order in the data (empty if they never
  ordered); empty for everyone else.
- `planted_signs`: semicolon-separated warning signs planted before the stop:
  `declining_orders` (order rate fades to a quarter over 180 days), `complaints` (about 3
  complaints in the last 150 days, never resolved), `late_payment` (invoices of the last 180
  days paid 15+ days later than usual, more often partially or never), `quiet_contact`
  (contacts drop to 5 % from 90 days before the stop), `single_category` (buys one product
  category), `distressed_financials` (statements deteriorate over the last 4 quarters).
- `planted_stop_date`: last day a churner could order (orders are drawn up to this day).
- `is_anchor`: one of the handful of very large accounts.
- `payment_behaviour`: `on_time`, `slow` (terms + ~20 days) or `bad` (terms + ~60 days, some
  more than 90 days past due).
- `has_financials`: the customer sends quarterly statements.
- `is_distressed`: statements show distress (current ratio < 1, losses, debt ratio near 1).
- `n_categories_planted`: number of product categories the customer buys from.
- `last_order_date`: date of the customer's last order, empty if none.
- `revenue_total`: net revenue over the whole history (returns deducted).

## Planted rules

- Churners are drawn among customers that predate the history (never anchors), with
  probability 30 % / 14 % / 6 % for customers buying 1 / 2 / 3+ categories. Their stop date lies
  within 180 days before go-live for about 45 % of them, earlier (at least 270 days into the
  history) for the rest. After the stop there are no orders, fewer contacts, and no statements
  beyond the next quarter. Their status in the customer master stays `active` (quiet churn),
  except that some churners who stopped more than a year before go-live are marked `inactive`.
- Who churned as of a business date T (e.g. go-live): churners with `churn_date` in
  (T - 180 days, T]; none of them has an order after `churn_date`.
- Noise on purpose: non-churners also decline (`declining`), pay late (`slow`, `bad`), complain
  (about 6 % of complaints stay open for months), and a few are distressed.
"""


def write_ground_truth(
    folder: Path, p: Population, last_order_day: np.ndarray, revenue_cents: np.ndarray
) -> Path:
    """Write ``customers.csv`` and ``README.md`` into ``folder``; return the CSV path."""
    last = pl.Series(last_order_day)
    last_date = pl.select(pl.when(last >= 0).then(last).cast(pl.Date)).to_series()
    stop = pl.Series(np.where(p.stop_day == NEVER, -1, p.stop_day))
    truth = pl.DataFrame(
        {
            "customer_id": p.customer_id,
            "segment": pl.Series(p.segment.astype(str)),
            "is_planted_churner": p.is_churner,
            "churn_date": pl.select(
                pl.when(pl.lit(pl.Series(p.is_churner))).then(pl.lit(last_date))
            ).to_series(),
            "planted_signs": sign_labels(p.signs),
            "planted_stop_date": pl.select(pl.when(stop >= 0).then(stop).cast(pl.Date)).to_series(),
            "is_anchor": p.is_anchor,
            "payment_behaviour": pl.Series(PAYMENT_BEHAVIOURS).gather(p.payment_behaviour),
            "has_financials": p.has_financials,
            "is_distressed": p.is_distressed,
            "n_categories_planted": p.n_categories.astype(np.int64),
            "last_order_date": last_date,
            "revenue_total": revenue_cents / 100,
        }
    )
    path = folder / "customers.csv"
    write_csv(truth, path)
    (folder / "README.md").write_text(README, encoding="utf-8")
    return path
