"""`kam backtest` on a kam warehouse holding CDNOW's history against the same figures computed
in-process by the churn bench.

The CDNOW sample is landed into a fresh kam home as transaction exports by business date (one
folder per date, holding the orders placed since the previous folder), with a mapping of CDNOW's
columns onto the transactions contract and a scoring configuration whose churn horizon is the
bench's. ``kam run`` builds the facts of every date, ``kam backtest`` measures every date whose
outcome is in the warehouse, and its rows of ``scores.churn_model_quality`` are compared figure by
figure with what the bench computes from the same transactions in-process: its own facts
(``bench/churn_quality.py``), its own label (bought in (D, D + horizon] from the transactions),
the calibration fitted on its own history as of D, ``score_churn`` and the rank AUC.

Two horizons:

- ``90`` (the default configuration): facts on the 30-day grid 1997-03-04 … 1997-09-30 plus
  1997-12-29, so 1997-03-04 … 1997-07-02 and 1997-09-30 are measured, each calibrated on what
  was known then (1997-09-30 on the dates the churn bench calibrates on);
- ``273``: the same grid plus 1998-06-30, so 1997-09-30 is measured against the issue's
  question (no purchase in weeks 40-78). No date of CDNOW has a 273-day outcome before
  1997-09-30, so the probability is calibrated on a shorter horizon's outcomes (180 days:
  1997-03-04 and 1997-04-03; ``scoring.churn_calibration.calibration_horizon``).

Prints ``kam backtest``'s own table on stderr, then one row per date with every figure (both
values where they differ) on stdout; exits 1 when any figure differs by more than 1e-9.
``--json FILE`` writes every compared figure.

    .venv/bin/python bench/backtest_parity.py [--home /tmp/kam-backtest-parity] [--horizon 90]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backtest_parity_report import FIGURES, compare, report  # noqa: E402 - a sibling script
from churn_quality import (  # noqa: E402 - a sibling script, not a package
    CDNOW_AS_OF,
    CDNOW_FILE,
    CDNOW_HOLDOUT_END,
    DATA_DIR,
    cdnow_facts,
    read_cdnow,
)

from scoring.churn import precision_recall, roc_auc, score_churn  # noqa: E402
from scoring.churn_calibration import (  # noqa: E402
    CalibrationError,
    bgnbd_expected_purchases,
    deciles,
    fit_calibration,
)
from scoring.config import ChurnConfig, load_scoring_config  # noqa: E402
from warehouse.settings import DEFAULT_CONFIG_DIR  # noqa: E402

DEFAULT_DATA = DATA_DIR / CDNOW_FILE

#: CDNOW's columns as its export carries them, mapped onto the transactions contract. CDNOW
#: has no order id, product or cost: the export numbers its lines (one line = one order, as in
#: the bench), names the product ``CD`` and leaves the cost out (kam flags the margin unknown).
CDNOW_MAPPING = """\
# CDNOW purchase records (Fader, Hardie & Lee 2005) as transaction exports.
format: csv
encoding: utf-8
delimiter: ','
header: true
date_format: '%Y%m%d'
timestamp_format: '%Y%m%d'
columns:
  order_id: record
  customer_id: customer
  ordered_at: date
  product_id: product
  quantity: cds
  unit_price: price_per_cd
  line_amount: dollars
"""


# --------------------------------------------------------------------------- dates


def grid(horizon_days: int) -> tuple[list[dt.date], list[dt.date]]:
    """(business dates to land and run, dates whose figures are compared) for a horizon."""
    # Both: the eight dates of the churn bench's history (1997-03-04 … 1997-09-30, 30 days
    # apart), as a warehouse run monthly since March 1997 holds them, and the outcome date.
    dates = [CDNOW_AS_OF - dt.timedelta(days=30 * k) for k in range(7, -1, -1)]
    if horizon_days in (90, (CDNOW_HOLDOUT_END - CDNOW_AS_OF).days):
        outcome = CDNOW_AS_OF + dt.timedelta(days=horizon_days)
        measured = [d for d in dates if d + dt.timedelta(days=horizon_days) in {*dates, outcome}]
        return [*dates, outcome], measured
    raise SystemExit(
        f"--horizon {horizon_days}: the parity bench knows 90 (the default) and "
        f"{(CDNOW_HOLDOUT_END - CDNOW_AS_OF).days} (CDNOW's hold-out)"
    )


# --------------------------------------------------------------------------- the kam home


def cdnow_export(transactions: pl.DataFrame) -> pl.DataFrame:
    """CDNOW rows (with their line number ``record``) in the export's columns."""
    return transactions.select(
        pl.col("record").cast(pl.String),
        customer=pl.col("customer_id"),
        date=pl.col("order_date").dt.strftime("%Y%m%d"),
        product=pl.lit("CD"),
        cds=pl.col("cds"),
        price_per_cd=(pl.col("amount") / pl.col("cds")).round(4),
        dollars=pl.col("amount"),
    )


def by_business_date(
    frame: pl.DataFrame, day_column: str, dates: Sequence[dt.date]
) -> dict[dt.date, pl.DataFrame]:
    """The rows of each business date's folder: dated after the previous date up to this one
    (the first date's folder holds every earlier row; rows after the last date are left out)."""
    parts: dict[dt.date, pl.DataFrame] = {}
    previous = dt.date.min
    for day in sorted(dates):
        parts[day] = frame.filter(pl.col(day_column) > previous, pl.col(day_column) <= day)
        previous = day
    return parts


def scoring_yaml(horizon_days: int) -> str:
    """The shipped config/scoring.yaml with the bench's churn horizon and lifetime value by
    revenue (CDNOW has no costs)."""
    text = (DEFAULT_CONFIG_DIR / "scoring.yaml").read_text(encoding="utf-8")
    for pattern, value in (
        (r"(\n  prediction_horizon_days: )\d+", rf"\g<1>{horizon_days}"),
        (r"(\n    value_basis: )\w+", r"\g<1>revenue"),
    ):
        text, count = re.subn(pattern, value, text)
        if count != 1:
            raise SystemExit(f"config/scoring.yaml: expected one line matching {pattern!r}")
    return text


def prepare_home(
    home: Path,
    exports: Mapping[dt.date, pl.DataFrame],
    horizon_days: int,
    transactions_mapping: str | None = None,
) -> None:
    """A fresh kam home: each export in ``landing/transactions/<date>/``, the shipped mappings
    (the transactions one replaced by ``transactions_mapping`` if given) and the scoring
    config with the bench's horizon."""
    if home.exists():
        if not (home / "config" / "mappings" / "transactions.yaml").is_file():
            raise SystemExit(f"{home} exists and is not a parity home: pass a new --home folder")
        shutil.rmtree(home)
    config = home / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR / "mappings", config / "mappings")
    if transactions_mapping is not None:
        (config / "mappings" / "transactions.yaml").write_text(
            transactions_mapping, encoding="utf-8"
        )
    (config / "scoring.yaml").write_text(scoring_yaml(horizon_days), encoding="utf-8")
    for day, export in exports.items():
        folder = home / "landing" / "transactions" / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        export.write_csv(folder / f"export_{day:%Y%m%d}.csv")


def kam(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``kam --home HOME ARGS`` with the home's configuration, output captured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "DAGSTER_"))}
    env["KAM_CONFIG_DIR"] = str(home / "config")
    executable = shutil.which("kam") or str(Path(sys.executable).with_name("kam"))
    return subprocess.run(
        [executable, "--home", str(home), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def run_and_backtest(home: Path, dates: Sequence[dt.date]) -> pl.DataFrame:
    """``kam run`` for every date (oldest first), then ``kam backtest``; the quality rows."""
    for day in sorted(dates):
        done = kam(home, "run", "--date", day.isoformat(), "--quiet")
        if done.returncode != 0:
            raise SystemExit(f"kam run --date {day} failed:\n{done.stdout}\n{done.stderr}")
    done = kam(home, "backtest")
    if done.returncode != 0:
        raise SystemExit(f"kam backtest failed:\n{done.stdout}\n{done.stderr}")
    print(done.stdout, file=sys.stderr)
    with duckdb.connect(str(home / "warehouse" / "kam.duckdb"), read_only=True) as con:
        return con.sql(
            "select as_of_date, score, metric, decile, value from scores.churn_model_quality"
        ).pl()


# --------------------------------------------------------------------------- in-process


def bench_figures(
    history: pl.DataFrame,
    orders: pl.DataFrame,
    measured: Sequence[dt.date],
    config: ChurnConfig,
) -> pl.DataFrame:
    """The back-test's figures computed by the bench: per measured date D, its own facts as of D
    (``history``), the calibration fitted on its facts up to D, the label "no order in
    (D, D + horizon]" read from ``orders`` (``customer_id``, ``order_date``), AUC, flag and
    deciles."""
    horizon = config.prediction_horizon_days
    rows: list[dict[str, object]] = []
    for day in measured:
        facts = history.filter(pl.col("as_of_date") == day).sort("customer_id")
        try:
            calibration = fit_calibration(history.filter(pl.col("as_of_date") <= day), config)
        except CalibrationError:
            calibration = None
        bought = (
            orders.filter(
                (pl.col("order_date") > day)
                & (pl.col("order_date") <= day + dt.timedelta(days=horizon))
            )
            .select("customer_id")
            .unique()
            .with_columns(bought=pl.lit(True))
        )
        frame = (
            score_churn(facts, config, calibration=calibration)
            .collect()
            .join(
                facts.select(
                    "customer_id",
                    "days_since_last_order",
                    "order_days_lifetime",
                    expected=bgnbd_expected_purchases(facts, horizon),
                ),
                on="customer_id",
            )
            .join(bought, on="customer_id", how="left")
            .with_columns(churned=pl.col("bought").is_null())
            .filter(pl.col("churn_probability").is_not_null())
        )
        label = frame["churned"]
        flag = precision_recall(frame["is_churn_risk"], label)
        values: dict[tuple[str, str], float | None] = {
            ("churn_probability", "auc"): roc_auc(frame["churn_probability"], label),
            ("bgnbd_expected_purchases", "auc"): (
                None if frame["expected"].is_null().any() else roc_auc(-frame["expected"], label)
            ),
            ("days_since_last_order", "auc"): roc_auc(
                frame["days_since_last_order"].cast(pl.Float64), label
            ),
            ("order_days_lifetime", "auc"): roc_auc(
                -frame["order_days_lifetime"].cast(pl.Float64), label
            ),
            ("churn_probability", "customers"): float(frame.height),
            ("churn_probability", "churned"): float(label.sum()),
            ("churn_probability", "flagged"): float(flag.flagged),
            ("churn_probability", "precision"): flag.precision,
            ("churn_probability", "recall"): flag.recall,
            ("churn_probability", "calibrated"): float(calibration is not None),
        }
        rows += [
            {"as_of_date": day, "score": s, "metric": m, "decile": None, "value": v}
            for (s, m), v in values.items()
        ]
        for decile, predicted, observed, _ in deciles(
            frame["churn_probability"].to_numpy().astype(float),
            label.cast(pl.Float64).to_numpy(),
        ):
            rows += [
                {
                    "as_of_date": day,
                    "score": "churn_probability",
                    "metric": "mean_predicted",
                    "decile": decile,
                    "value": predicted,
                },
                {
                    "as_of_date": day,
                    "score": "churn_probability",
                    "metric": "observed_churn_rate",
                    "decile": decile,
                    "value": observed,
                },
            ]
    return pl.DataFrame(rows, schema=FIGURES)


# --------------------------------------------------------------------------- comparison


def parity(
    home: Path,
    transactions: pl.DataFrame,
    dates: Sequence[dt.date],
    measured: Sequence[dt.date],
    horizon_days: int,
) -> pl.DataFrame:
    """Land CDNOW ``transactions`` (``record``, ``customer_id``, ``order_date``, ``cds``,
    ``amount``) by ``dates`` into a fresh ``home``, run and back-test them, compute the figures
    of ``measured`` in-process; the comparison frame."""
    exports = {
        day: cdnow_export(part)
        for day, part in by_business_date(transactions, "order_date", dates).items()
    }
    prepare_home(home, exports, horizon_days, CDNOW_MAPPING)
    kam_rows = run_and_backtest(home, dates)
    config = load_scoring_config(home / "config" / "scoring.yaml").churn
    history = pl.concat([cdnow_facts(transactions.lazy(), d).collect() for d in sorted(dates)])
    bench_rows = bench_figures(history, transactions, measured, config)
    return compare(kam_rows, bench_rows)


def read_cdnow_records(path: Path) -> pl.DataFrame:
    """CDNOW rows as the churn bench reads them, with their line number in the file
    (``record``, the export's order id)."""
    return read_cdnow(path).collect().with_row_index("record", offset=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/kam-backtest-parity"))
    parser.add_argument("--horizon", type=int, default=90, help="churn horizon in days (90, 273)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    dates, measured = grid(args.horizon)
    comparison = parity(args.home, read_cdnow_records(args.data), dates, measured, args.horizon)
    report(comparison, args.json)


if __name__ == "__main__":
    main()
