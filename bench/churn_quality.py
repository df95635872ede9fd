"""Churn probability against the three baselines, on CDNOW and on the demo's planted churners.

Prints markdown tables (the ones in docs/churn-quality.md): ROC AUC of kam's
``churn_probability`` and of BG/NBD expected purchases, recency alone and frequency alone;
calibration by decile; the call list's precision and recall. ``--json FILE`` also writes every
figure as JSON.

CDNOW: the customer facts that transactions alone give are built as of 1997-09-30 (end of
week 39) and of seven earlier dates 30 days apart, so kam can calibrate on its own history;
label = no purchase in weeks 40-78 (1997-10-01 .. 1998-06-30).
Demo: ``kam demo`` and ``kam run`` into a fresh home (or ``--reuse``), then the published
``customer_scores`` and ``fct_customer_facts`` against ``ground_truth/customers.csv``.

    .venv/bin/python bench/churn_quality.py [--home /tmp/kam-churn-quality] [--reuse]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from churn_quality_tables import markdown  # noqa: E402 - a sibling script, not a package
from order_facts import (  # noqa: E402 - a sibling script, not a package
    as_of_columns,
    order_date_facts,
    revenue_facts,
    trailing,
)

from scoring.churn import precision_recall, roc_auc, score_churn  # noqa: E402
from scoring.churn_calibration import (  # noqa: E402
    CalibrationError,
    bgnbd_expected_purchases,
    deciles,
    fit_calibration,
)
from scoring.config import ChurnConfig, default_config  # noqa: E402

#: Where the CDNOW files are (``--data``): the shared folder beside the checkout.
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
CDNOW_FILE = "CDNOW_sample.txt"

CDNOW_AS_OF = dt.date(1997, 9, 30)
CDNOW_HOLDOUT_END = dt.date(1998, 6, 30)
CDNOW_HISTORY_DATES = 8  # the as-of date and 7 earlier ones, 30 days apart
MARGIN = 0.005  # acceptance: AUC ≥ best baseline − MARGIN
_CDNOW_LINE = (
    r"^\s*(?<customer_id>\d+)\s+(?<sample_id>\d+)\s+(?<date>\d{8})"
    r"\s+(?<cds>\d+)\s+(?<dollars>[\d.]+)\s*$"
)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# --------------------------------------------------------------------------- shared measures


def auc_table(frame: pl.DataFrame, label: str, scores: dict[str, pl.Expr]) -> dict[str, float]:
    """AUC of each score (higher = more likely ``label``) over the rows of ``frame``."""
    values = frame.select(**scores)
    return {name: round(roc_auc(values[name], frame[label]), 4) for name in scores}


def baseline_scores() -> dict[str, pl.Expr]:
    """The three baselines, each oriented so that higher = more likely to churn."""
    return {
        "bgnbd_expected_purchases": -pl.col("bgnbd_expected_purchases"),
        "recency_days_since_last_order": pl.col("days_since_last_order").cast(pl.Float64),
        "frequency_order_days": -pl.col("order_days_lifetime").cast(pl.Float64),
    }


def verdict(aucs: dict[str, float], kam: str) -> dict[str, object]:
    """Best baseline, the acceptance bar (best − MARGIN) and whether ``kam`` reaches it."""
    best = max(v for k, v in aucs.items() if k in baseline_scores())
    return {
        "best_baseline": best,
        "margin": MARGIN,
        "bar": round(best - MARGIN, 4),
        "kam": aucs[kam],
        "met": aucs[kam] >= best - MARGIN,
    }


def decile_table(predicted: pl.Series, churned: pl.Series) -> list[dict[str, float]]:
    """Mean predicted churn probability and observed churn rate per decile of prediction."""
    return [
        {"decile": d, "mean_predicted": round(m, 3), "observed": round(o, 3), "customers": n}
        for d, m, o, n in deciles(
            predicted.to_numpy().astype(float), churned.cast(pl.Float64).to_numpy()
        )
    ]


def call_list(frame: pl.DataFrame, label: str) -> dict[str, object]:
    """Precision and recall of ``is_churn_risk`` (the call list) against ``label``."""
    result = precision_recall(frame["is_churn_risk"], frame[label])
    return {
        "customers": frame.height,
        "flagged": result.flagged,
        "positives": result.positives,
        "precision": _r(result.precision),
        "recall": _r(result.recall),
        "base_rate": _r(result.positives / frame.height),
    }


# --------------------------------------------------------------------------- CDNOW


def read_cdnow(path: Path) -> pl.LazyFrame:
    """CDNOW_sample.txt as customer_id (the sample id, as in the summary), order_date, cds
    (number of CDs), amount."""
    return (
        pl.scan_csv(path, has_header=False, new_columns=["line"], separator="\t")
        .select(pl.col("line").str.extract_groups(_CDNOW_LINE).struct.unnest())
        .select(
            pl.col("sample_id").alias("customer_id"),
            pl.col("date").str.to_date("%Y%m%d").alias("order_date"),
            pl.col("cds").cast(pl.Int64),
            pl.col("dollars").cast(pl.Float64).alias("amount"),
        )
    )


def cdnow_facts(transactions: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """The churn inputs of fct_customer_facts that transactions alone give, as of ``as_of``.

    Same definitions as docs/facts.md (one CDNOW row = one order); complaint, category,
    product, payment, contact and cost columns are null: CDNOW has no such data.
    """
    day = pl.col("order_date")
    return (
        transactions.filter(day <= as_of)
        .group_by("customer_id")
        .agg(
            **order_date_facts(day, as_of),
            **revenue_facts(day, as_of),
            average_order_value_trailing=pl.col("amount").filter(trailing(day, as_of)).mean(),
            average_order_value_lifetime=pl.col("amount").mean(),
        )
        .with_columns(**as_of_columns(as_of))
        .sort("customer_id")
    )


def cdnow_config(config: ChurnConfig, horizon_days: int | None = None) -> ChurnConfig:
    """CDNOW has no costs: lifetime value by revenue (value_basis revenue)."""
    lifetime = config.lifetime_value.model_copy(update={"value_basis": "revenue"})
    update: dict[str, object] = {"lifetime_value": lifetime}
    if horizon_days is not None:
        update["prediction_horizon_days"] = horizon_days
    return config.model_copy(update=update)


def _bought_between(transactions: pl.LazyFrame, after: dt.date, until: dt.date) -> pl.LazyFrame:
    day = pl.col("order_date")
    return (
        transactions.filter((day > after) & (day <= until))
        .select("customer_id")
        .unique()
        .with_columns(_bought=pl.lit(True))
    )


def evaluate_cdnow(path: Path, config: ChurnConfig) -> dict[str, object]:
    """AUC table, calibration and call list on CDNOW as of 1997-09-30."""
    transactions = read_cdnow(path)
    dates = [CDNOW_AS_OF - dt.timedelta(days=30 * k) for k in range(CDNOW_HISTORY_DATES)]
    history = pl.concat([cdnow_facts(transactions, d).collect() for d in dates])
    facts = history.filter(pl.col("as_of_date") == CDNOW_AS_OF)
    settings = cdnow_config(config)
    horizon = settings.prediction_horizon_days
    calibration = fit_calibration(history, settings)
    raw = score_churn(facts, settings).collect()
    calibrated = score_churn(facts, settings, calibration=calibration).collect()
    whole = cdnow_config(config, (CDNOW_HOLDOUT_END - CDNOW_AS_OF).days)
    whole_holdout = score_churn(facts, whole).collect()
    # No date has its 273-day outcome: calibrated on the longest shorter horizon two dates know.
    whole_calibrated = score_churn(
        facts, whole, calibration=fit_calibration(history, whole)
    ).collect()
    holdout = _bought_between(transactions, CDNOW_AS_OF, CDNOW_HOLDOUT_END)
    in_horizon = _bought_between(
        transactions, CDNOW_AS_OF, CDNOW_AS_OF + dt.timedelta(days=horizon)
    ).rename({"_bought": "_bought_in_horizon"})
    frame = (
        calibrated.lazy()
        .join(
            raw.lazy().select("customer_id", raw_probability="churn_probability"),
            on="customer_id",
        )
        .join(
            whole_holdout.lazy().select("customer_id", holdout_probability="churn_probability"),
            on="customer_id",
        )
        .join(
            whole_calibrated.lazy().select("customer_id", holdout_calibrated="churn_probability"),
            on="customer_id",
        )
        .join(
            facts.lazy().select("customer_id", "days_since_last_order", "order_days_lifetime"),
            on="customer_id",
        )
        .join(holdout, on="customer_id", how="left")
        .join(in_horizon, on="customer_id", how="left")
        .with_columns(
            no_purchase_in_holdout=pl.col("_bought").is_null(),
            no_purchase_in_horizon=pl.col("_bought_in_horizon").is_null(),
        )
        .sort("customer_id")
        .collect()
    )
    frame = frame.with_columns(
        bgnbd_expected_purchases=bgnbd_expected_purchases(
            facts.sort("customer_id"), (CDNOW_HOLDOUT_END - CDNOW_AS_OF).days
        )
    )
    scores = {
        "kam_churn_probability": pl.col("churn_probability"),
        "kam_uncalibrated": pl.col("raw_probability"),
        "kam_uncalibrated_273_day_horizon": pl.col("holdout_probability"),
        "kam_273_day_horizon_calibrated_shorter": pl.col("holdout_calibrated"),
        **baseline_scores(),
    }
    aucs = auc_table(frame, "no_purchase_in_holdout", scores)
    return {
        "customers": frame.height,
        "no_purchase_in_holdout": int(frame["no_purchase_in_holdout"].sum()),
        "no_purchase_in_horizon": int(frame["no_purchase_in_horizon"].sum()),
        "horizon_days": horizon,
        "model": frame["churn_model"][0],
        "note": frame["churn_model_note"][0],
        "calibration_weights": [round(w, 4) for w in calibration.weights],
        "auc_no_purchase_in_holdout": aucs,
        "acceptance": verdict(aucs, "kam_churn_probability"),
        "auc_no_purchase_in_horizon": auc_table(
            frame, "no_purchase_in_horizon", {k: scores[k] for k in list(scores)[:2]}
        ),
        "deciles_calibrated_vs_horizon": decile_table(
            frame["churn_probability"], frame["no_purchase_in_horizon"]
        ),
        "deciles_uncalibrated_vs_horizon": decile_table(
            frame["raw_probability"], frame["no_purchase_in_horizon"]
        ),
        "call_list_vs_holdout": call_list(frame, "no_purchase_in_holdout"),
        "call_list_vs_horizon": call_list(frame, "no_purchase_in_horizon"),
        "risk_levels": dict(
            frame["churn_risk_level"].value_counts().sort("churn_risk_level").iter_rows()
        ),
    }


# --------------------------------------------------------------------------- demo


def run_demo(home: Path, lines: int, date: str, reuse: bool) -> None:
    """``kam demo`` then ``kam run`` into ``home`` (skipped with ``reuse`` if facts exist).

    The bench scores the facts of the dbt step itself, so a run that fails after building them
    (in scoring, a gate or publishing) is reported on stderr and the bench goes on.
    """
    if reuse and (home / "warehouse" / "kam.duckdb").exists():
        return
    if home.exists():
        if not (home / "ground_truth" / "customers.csv").exists():
            raise SystemExit(f"{home} exists and is not a kam demo home: pass a new --home folder")
        shutil.rmtree(home)  # a previous demo home: start fresh
    kam = shutil.which("kam") or str(Path(sys.executable).with_name("kam"))
    for args in (["demo", "--lines", str(lines)], ["run", "--date", date]):
        done = subprocess.run(
            [kam, "--home", str(home), *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            message = f"kam {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
            if args[0] == "demo":
                raise SystemExit(message)
            print(message, file=sys.stderr)


def demo_frame(home: Path, config: ChurnConfig, recent_days: int) -> pl.DataFrame:
    """The latest facts in the home's warehouse scored by ``score_churn``, with the ground
    truth and plain BG/NBD expected purchases.

    ``recent_stop`` = planted churner whose planted stop date is fewer than ``recent_days``
    before the as-of date; ``active_12m`` = ordered in the 12 months to the as-of date.
    """
    with duckdb.connect(str(home / "warehouse" / "kam.duckdb"), read_only=True) as con:
        facts = con.sql(
            "select * from marts.fct_customer_facts where as_of_date ="
            " (select max(as_of_date) from marts.fct_customer_facts) order by customer_id"
        ).pl()
    if facts.is_empty():
        raise SystemExit(f"{home}: no customer facts in the warehouse; did `kam run` build them?")
    scores = score_churn(facts, config).collect()
    baselines = facts.select(
        "customer_id",
        "days_since_last_order",
        "order_days_lifetime",
        bgnbd_expected_purchases=bgnbd_expected_purchases(facts, config.prediction_horizon_days),
    )
    truth = pl.read_csv(
        home / "ground_truth" / "customers.csv",
        schema_overrides={"customer_id": pl.String},
        try_parse_dates=True,
    ).select("customer_id", "segment", "is_planted_churner", "planted_stop_date")
    stop_age = (pl.col("as_of_date") - pl.col("planted_stop_date")).dt.total_days()
    return (
        scores.lazy()
        .join(baselines.lazy(), on="customer_id", how="inner")
        .join(truth.lazy(), on="customer_id", how="left")
        .with_columns(
            recent_stop=(pl.col("is_planted_churner") & (stop_age < recent_days)).fill_null(False),
            active_12m=(pl.col("days_since_last_order") < 365).fill_null(False),
            has_order=(pl.col("order_days_lifetime") >= 1).fill_null(False),
        )
        .collect()
    )


def evaluate_demo(frame: pl.DataFrame) -> dict[str, object]:
    """The demanding evaluation (recent stops among active customers) and the naive one."""
    scored = frame.filter(pl.col("churn_probability").is_not_null())
    active = scored.filter(
        pl.col("active_12m") & (~pl.col("is_planted_churner") | pl.col("recent_stop"))
    )
    ordered = scored.filter("has_order")
    scores = {"kam_churn_probability": pl.col("churn_probability"), **baseline_scores()}
    result: dict[str, object] = {
        "as_of_date": str(frame["as_of_date"].max()),
        "customers": frame.height,
        "model": frame["churn_model"].drop_nulls().unique().to_list(),
        "note": frame["churn_model_note"].drop_nulls().first(),
    }
    for name, part, label in (
        ("recent_stop_among_active", active, "recent_stop"),
        ("all_planted_churners", ordered, "is_planted_churner"),
    ):
        aucs = auc_table(part, label, scores)
        result[name] = {
            "customers": part.height,
            "positives": int(part[label].sum()),
            "auc": aucs,
            "acceptance": verdict(aucs, "kam_churn_probability"),
            "call_list": call_list(part, label),
        }
    result["deciles_all_planted_churners"] = decile_table(
        ordered["churn_probability"], ordered["is_planted_churner"]
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/kam-churn-quality"))
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--date", default="latest", help="business date of `kam run`")
    parser.add_argument("--recent-days", type=int, default=180)
    parser.add_argument("--reuse", action="store_true", help="reuse a published --home")
    parser.add_argument("--skip-demo", action="store_true", help="CDNOW only")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    args = parser.parse_args()
    config = default_config().churn
    report: dict[str, dict[str, object]] = {"cdnow": evaluate_cdnow(args.data / CDNOW_FILE, config)}
    if not args.skip_demo:
        run_demo(args.home, args.lines, args.date, args.reuse)
        frame = demo_frame(args.home, config, args.recent_days)
        report["demo"] = evaluate_demo(frame)
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    try:
        main()
    except CalibrationError as error:
        raise SystemExit(f"churn calibration failed: {error}") from None
