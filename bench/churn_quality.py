"""Churn scoring quality on the demo's planted churners and on the CDNOW hold-out; prints JSON.

Demo: generates demo data into a fresh kam home (``kam demo``), runs the nightly job
(``kam run``), reads ``customer_scores`` and ``fct_customer_facts`` from the published warehouse
and measures the churn flag and scores against ``ground_truth/customers.csv``.
CDNOW: builds the customer facts that transactions alone give (order days, last order, cycle,
revenue windows) as of 1997-09-30, runs :func:`scoring.churn.score_churn` with the default
configuration and ranks who does not buy again in weeks 40-78. See docs/churn-quality.md.

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

from scoring.bgnbd import fit_model, probability_alive, summarise_transactions
from scoring.churn import precision_recall, roc_auc, score_churn
from scoring.config import ChurnConfig, default_config

CDNOW_AS_OF = dt.date(1997, 9, 30)
CDNOW_HOLDOUT_END = dt.date(1998, 6, 30)
TRAILING_DAYS = 365  # facts' trailing window: 12 months (as of 1997-09-30: 365 days)
RECENT_DAYS = 90  # facts' recent window
_CDNOW_LINE = (
    r"^\s*(?<customer_id>\d+)\s+(?<sample_id>\d+)\s+(?<date>\d{8})"
    r"\s+(?<cds>\d+)\s+(?<dollars>[\d.]+)\s*$"
)
#: Facts columns the churn step reads that CDNOW transactions cannot give (left null).
CDNOW_ABSENT_COLUMNS: dict[str, pl.DataType] = {
    "open_complaint_count": pl.Int64(),
    "distinct_categories_trailing": pl.Int64(),
    "average_days_past_due_recent": pl.Float64(),
    "average_days_past_due_trailing": pl.Float64(),
    "interaction_count_recent": pl.Int64(),
    "interaction_count_prior_recent": pl.Int64(),
    "contribution_trailing": pl.Float64(),
}
SIGNS = (
    "no_recent_order",
    "revenue_drop",
    "open_complaints",
    "single_category",
    "payment_worsening",
    "contact_quiet",
    "model_inactive",
)


# --------------------------------------------------------------------------- shared measures


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def measure(frame: pl.DataFrame, label: str) -> dict[str, object]:
    """Flag precision/recall and AUCs of each score against boolean column ``label``.

    ``frame`` holds ``is_churn_risk``, ``churn_score``, ``probability_alive``,
    ``expected_purchases`` and ``days_since_last_order``; higher score = more likely churned.
    """
    labels = frame[label]
    flag = precision_recall(frame["is_churn_risk"], labels)
    negatives = frame.height - flag.positives
    false_flags = flag.flagged - flag.true_positives
    return {
        "customers": frame.height,
        "positives": flag.positives,
        "flagged": flag.flagged,
        "true_positives": flag.true_positives,
        "precision": _r(flag.precision),
        "recall": _r(flag.recall),
        "false_positive_rate": _r(false_flags / negatives if negatives else None),
        "auc_churn_score": _r(roc_auc(frame["churn_score"], labels)),
        "auc_one_minus_probability_alive": _r(roc_auc(1 - frame["probability_alive"], labels)),
        "auc_minus_expected_purchases": _r(roc_auc(-frame["expected_purchases"], labels)),
        "auc_baseline_days_since_last_order": _r(
            roc_auc(frame["days_since_last_order"].cast(pl.Float64), labels)
        ),
    }


def threshold_sweep(frame: pl.DataFrame, label: str) -> list[dict[str, object]]:
    """Precision and recall of ``churn_score >= k`` for every score value k that occurs."""
    rows = []
    for k in sorted(set(frame["churn_score"].to_list())):
        if k <= 0:
            continue
        result = precision_recall(frame["churn_score"] >= k, frame[label])
        rows.append(
            {
                "min_score": k,
                "flagged": result.flagged,
                "precision": _r(result.precision),
                "recall": _r(result.recall),
            }
        )
    return rows


def sign_rates(frame: pl.DataFrame, label: str) -> dict[str, dict[str, float | None]]:
    """Share of positives and of negatives on which each sign fired (from ``churn_reasons``)."""
    reasons = pl.col("churn_reasons").fill_null("").str.split(";")
    rates = frame.group_by(label).agg(
        **{sign: reasons.list.contains(sign).mean() for sign in SIGNS}
    )
    result: dict[str, dict[str, float | None]] = {}
    for sign in SIGNS:
        by_label = dict(zip(rates[label].to_list(), rates[sign].to_list(), strict=True))
        result[sign] = {
            "fired_on_positives": _r(by_label.get(True)),
            "fired_on_negatives": _r(by_label.get(False)),
        }
    return result


# --------------------------------------------------------------------------- demo


def run_demo(home: Path, lines: int, date: str, reuse: bool) -> None:
    """``kam demo`` then ``kam run`` into ``home`` (skipped with ``reuse`` if already published)."""
    if reuse and (home / "published" / "kam.duckdb").exists():
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
            raise SystemExit(f"kam {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def demo_frame(home: Path, recent_days: int) -> pl.DataFrame:
    """Published scores + facts + ground truth, with the evaluation columns.

    ``stop_age_days`` = as-of date − planted stop date; ``recent_stop`` = planted churner that
    stopped within ``recent_days``; ``active_12m`` = ordered in the 12 months to the as-of date.
    """
    with duckdb.connect(str(home / "published" / "kam.duckdb"), read_only=True) as con:
        scores = con.sql("select * from customer_scores").pl()
        facts = con.sql(
            "select as_of_date, customer_id, days_since_last_order, order_days_lifetime,"
            " mean_days_between_orders from fct_customer_facts"
        ).pl()
    truth = pl.read_csv(
        home / "ground_truth" / "customers.csv",
        schema_overrides={"customer_id": pl.String},
        try_parse_dates=True,
    ).select("customer_id", "segment", "is_planted_churner", "planted_stop_date", "planted_signs")
    as_of = pl.col("as_of_date")
    stop_age = (as_of - pl.col("planted_stop_date")).dt.total_days()
    return (
        scores.lazy()
        .join(facts.lazy(), on=["as_of_date", "customer_id"], how="left")
        .join(truth.lazy(), on="customer_id", how="left")
        .with_columns(
            stop_age_days=stop_age,
            recent_stop=(pl.col("is_planted_churner") & (stop_age < recent_days)).fill_null(False),
            active_12m=(pl.col("days_since_last_order") < 365).fill_null(False),
            has_order=(pl.col("order_days_lifetime") >= 1).fill_null(False),
        )
        .collect()
    )


def evaluate_demo(frame: pl.DataFrame, recent_days: int) -> dict[str, object]:
    """The demanding evaluation (recent stops among active customers) and the naive one."""
    ordered = frame.filter("has_order")
    active = frame.filter(
        pl.col("active_12m") & (~pl.col("is_planted_churner") | pl.col("recent_stop"))
    )
    excluded = frame.filter(
        pl.col("active_12m") & pl.col("is_planted_churner") & ~pl.col("recent_stop")
    )
    by_age = []
    for low, high in ((0, 30), (30, 60), (60, 90), (90, 120), (120, recent_days)):
        band = active.filter(pl.col("stop_age_days").is_between(low, high, closed="left"))
        if band.height:
            by_age.append(
                {
                    "stop_age_days": f"[{low}, {high})",
                    "churners": band.height,
                    "flagged": int(band["is_churn_risk"].sum()),
                    "median_days_since_last_order": band["days_since_last_order"].median(),
                    "median_probability_alive": _r(band["probability_alive"].median()),
                }
            )
    planted = frame.filter("recent_stop").select(
        pl.col("planted_signs").str.split(";"), "churn_reasons"
    )
    as_of = frame["as_of_date"].max()
    return {
        "as_of_date": str(as_of),
        "customers": frame.height,
        "customers_without_orders": frame.height - ordered.height,
        "planted_churners": int(frame["is_planted_churner"].sum()),
        "recent_days": recent_days,
        "recent_stop_among_active": {
            "definition": (
                f"population: ordered in the 365 days to {as_of}; positive: planted churner "
                f"whose planted stop date is fewer than {recent_days} days before it; planted "
                f"churners who stopped earlier but ordered within 365 days are left out"
            ),
            "left_out_older_churners": excluded.height,
            **measure(active, "recent_stop"),
            "recall_by_stop_age": by_age,
            "threshold_sweep": threshold_sweep(active, "recent_stop"),
            "signs": sign_rates(active, "recent_stop"),
        },
        "all_planted_churners": {
            "definition": "population: every customer with an order; positive: planted churner",
            **measure(ordered, "is_planted_churner"),
        },
        "planted_sign_to_fired_sign": planted_sign_recall(planted),
        "flag_rate_by_segment": dict(
            ordered.group_by("segment")
            .agg(pl.col("is_churn_risk").mean().round(4))
            .sort("segment")
            .iter_rows()
        ),
    }


_PLANTED_TO_SIGN = {
    "declining_orders": "revenue_drop",
    "complaints": "open_complaints",
    "late_payment": "payment_worsening",
    "quiet_contact": "contact_quiet",
    "single_category": "single_category",
}


def planted_sign_recall(planted: pl.DataFrame) -> dict[str, dict[str, float | int]]:
    """For each planted warning sign, the share of its recent churners on which kam's sign fired."""
    result = {}
    for planted_sign, sign in _PLANTED_TO_SIGN.items():
        having = planted.filter(pl.col("planted_signs").list.contains(planted_sign))
        fired = having["churn_reasons"].fill_null("").str.split(";").list.contains(sign)
        result[planted_sign] = {
            "kam_sign": sign,
            "churners": having.height,
            "fired": _r(float(fired.mean())) if having.height else None,
        }
    return result


# --------------------------------------------------------------------------- CDNOW


def read_cdnow(path: Path) -> pl.LazyFrame:
    """CDNOW_sample.txt as customer_id (the sample id, as in the summary), order_date, amount."""
    return (
        pl.scan_csv(path, has_header=False, new_columns=["line"], separator="\t")
        .select(pl.col("line").str.extract_groups(_CDNOW_LINE).struct.unnest())
        .select(
            pl.col("sample_id").alias("customer_id"),
            pl.col("date").str.to_date("%Y%m%d").alias("order_date"),
            pl.col("dollars").cast(pl.Float64).alias("amount"),
        )
    )


def cdnow_facts(transactions: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """The churn inputs of fct_customer_facts that transactions alone give, as of ``as_of``.

    Same definitions as docs/facts.md (one CDNOW row = one order); complaint, category,
    payment, contact and cost columns are null: CDNOW has no such data.
    """
    day = pl.col("order_date")
    in_window = (day > as_of - dt.timedelta(days=RECENT_DAYS)) & (day <= as_of)
    last_year_end = as_of - dt.timedelta(days=365)
    in_last_year = (day > last_year_end - dt.timedelta(days=RECENT_DAYS)) & (day <= last_year_end)
    in_trailing = day > as_of - dt.timedelta(days=TRAILING_DAYS)
    first, last = day.min(), day.max()
    days = day.n_unique()
    return (
        transactions.filter(day <= as_of)
        .group_by("customer_id")
        .agg(
            first_order_date=first,
            last_order_date=last,
            order_days_lifetime=days.cast(pl.Int64),
            mean_days_between_orders=pl.when(days >= 2).then(
                (last - first).dt.total_days() / (days - 1)
            ),
            order_count_trailing=in_trailing.sum().cast(pl.Int64),
            revenue_recent=pl.col("amount").filter(in_window).sum(),
            revenue_recent_last_year=pl.col("amount").filter(in_last_year).sum(),
            average_order_value_trailing=pl.col("amount").filter(in_trailing).mean(),
            average_order_value_lifetime=pl.col("amount").mean(),
        )
        .with_columns(
            as_of_date=pl.lit(as_of),
            days_since_last_order=(pl.lit(as_of) - pl.col("last_order_date")).dt.total_days(),
            **{name: pl.lit(None, dtype=dtype) for name, dtype in CDNOW_ABSENT_COLUMNS.items()},
        )
        .sort("customer_id")
    )


def cdnow_frame(path: Path, config: ChurnConfig) -> pl.DataFrame:
    """kam's churn scores as of 1997-09-30, plain BG/NBD P(alive), and the hold-out label."""
    transactions = read_cdnow(path)
    facts = cdnow_facts(transactions, CDNOW_AS_OF)
    scores = score_churn(facts, config)
    holdout = (
        transactions.filter(
            (pl.col("order_date") > CDNOW_AS_OF) & (pl.col("order_date") <= CDNOW_HOLDOUT_END)
        )
        .select("customer_id", bought_again=pl.lit(True))
        .unique()
    )
    summary = summarise_transactions(transactions, "customer_id", "order_date", CDNOW_AS_OF)
    frame = (
        scores.join(facts.select("customer_id", "days_since_last_order"), on="customer_id")
        .join(summary, on="customer_id")
        .join(holdout, on="customer_id", how="left")
        .with_columns(no_purchase=pl.col("bought_again").is_null())
        .sort("customer_id")
        .collect()
    )
    x, t_x, age = (frame[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    plain = probability_alive(fit_model("bgnbd", x, t_x, age), x, t_x, age)
    return frame.with_columns(bgnbd_probability_alive=pl.Series(plain))


def _tie_breaker(values: pl.Series) -> pl.Series:
    """Rank of ``values`` scaled into (0, 1): added to a whole-number score, it only breaks ties."""
    return values.rank("average") / (values.len() + 1)


def evaluate_cdnow(frame: pl.DataFrame) -> dict[str, object]:
    """AUCs against 'no purchase in weeks 40-78' and how often each sign fired."""
    label = frame["no_purchase"]
    return {
        "customers": frame.height,
        "no_purchase_in_holdout": int(label.sum()),
        "signs_without_inputs": [
            "open_complaints",
            "single_category",
            "payment_worsening",
            "contact_quiet",
        ],
        "sign_revenue_drop_note": "revenue_recent_last_year is 0 for all (history starts 1997)",
        "score_values": dict(frame["churn_score"].value_counts().sort("churn_score").iter_rows()),
        **{
            f"fired_{sign}": int(
                frame["churn_reasons"].fill_null("").str.split(";").list.contains(sign).sum()
            )
            for sign in ("no_recent_order", "revenue_drop", "model_inactive")
        },
        "flag": {
            key: _r(value) if isinstance(value, float) else value
            for key, value in precision_recall(frame["is_churn_risk"], label)._asdict().items()
        },
        "auc_churn_score": _r(roc_auc(frame["churn_score"], label)),
        "auc_mbgnbd_one_minus_probability_alive": _r(
            roc_auc(1 - frame["probability_alive"], label)
        ),
        "auc_bgnbd_one_minus_probability_alive": _r(
            roc_auc(1 - frame["bgnbd_probability_alive"], label)
        ),
        "auc_mbgnbd_minus_expected_purchases_90_days": _r(
            roc_auc(-frame["expected_purchases"], label)
        ),
        "auc_baseline_days_since_last_order": _r(
            roc_auc(frame["days_since_last_order"].cast(pl.Float64), label)
        ),
        "auc_churn_score_ties_broken_by_expected_purchases": _r(
            roc_auc(frame["churn_score"] + _tie_breaker(-frame["expected_purchases"]), label)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/kam-churn-quality"))
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--date", default="latest", help="business date of `kam run`")
    parser.add_argument("--recent-days", type=int, default=180)
    parser.add_argument("--reuse", action="store_true", help="reuse a published --home")
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    args = parser.parse_args()
    config = default_config().churn
    run_demo(args.home, args.lines, args.date, args.reuse)
    report = {
        "demo": evaluate_demo(demo_frame(args.home, args.recent_days), args.recent_days),
        "cdnow": evaluate_cdnow(cdnow_frame(args.data / "CDNOW_sample.txt", config)),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False, default=float))


if __name__ == "__main__":
    main()
