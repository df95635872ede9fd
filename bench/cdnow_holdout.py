"""CDNOW hold-out benchmark of BG/NBD against MBG/NBD; prints JSON.

Fits both models on weeks 1-39 (to 1997-09-30), scores every customer, and measures how well
P(alive) and expected purchases rank the customers who buy again in weeks 40-78
(1997-10-01 to 1998-06-30): ROC AUC by the rank (Mann-Whitney) formula, ties averaged.
Also times a fit on 100,000 customers drawn from the fitted model.

    .venv/bin/python bench/cdnow_holdout.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import polars as pl

from scoring import _bgnbd_math
from scoring.bgnbd import (
    MODELS,
    expected_purchases,
    fit_model,
    probability_alive,
    summarise_transactions,
)

CALIBRATION_END = dt.date(1997, 9, 30)
HOLDOUT_END = dt.date(1998, 6, 30)
_LINE = (
    r"^\s*(?<customer_id>\d+)\s+(?<sample_id>\d+)\s+(?<date>\d{8})"
    r"\s+(?<cds>\d+)\s+(?<dollars>[\d.]+)\s*$"
)


def read_cdnow(path: Path) -> pl.LazyFrame:
    """CDNOW_sample.txt (whitespace separated) as customer_id, purchase_date."""
    return (
        pl.scan_csv(path, has_header=False, new_columns=["line"], separator="\t")
        .select(pl.col("line").str.extract_groups(_LINE).struct.unnest())
        .select(
            pl.col("sample_id").cast(pl.Int64).alias("customer_id"),
            pl.col("date").str.to_date("%Y%m%d").alias("purchase_date"),
        )
    )


def roc_auc(score: np.ndarray, label: np.ndarray) -> float:
    """P(score of a random positive > score of a random negative), ties counted half."""
    order = np.argsort(score, kind="mergesort")
    sorted_score = score[order]
    # Average 1-based rank of each tie group.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_score)) + 1]
    ends = np.r_[starts[1:], len(score)]
    ranks = np.empty(len(score))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    positives = label.astype(bool)
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def holdout_frame(transactions: pl.LazyFrame) -> pl.DataFrame:
    """Calibration summary plus hold-out purchase occasions per customer."""
    calibration = summarise_transactions(
        transactions, "customer_id", "purchase_date", CALIBRATION_END, time_unit_days=7
    )
    holdout = (
        transactions.filter(
            (pl.col("purchase_date") > CALIBRATION_END) & (pl.col("purchase_date") <= HOLDOUT_END)
        )
        .group_by("customer_id")
        .agg(holdout_purchases=pl.col("purchase_date").n_unique())
    )
    return (
        calibration.join(holdout, on="customer_id", how="left")
        .with_columns(pl.col("holdout_purchases").fill_null(0))
        .sort("customer_id")
        .collect()
    )


def evaluate(frame: pl.DataFrame, model: str, horizon: float) -> dict[str, object]:
    """Fit `model` on the calibration columns and score the hold-out."""
    x, t_x, age = (frame[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    bought = frame["holdout_purchases"].to_numpy() > 0
    fit = fit_model(model, x, t_x, age)
    alive = probability_alive(fit, x, t_x, age)
    expected = expected_purchases(fit, horizon, x, t_x, age)
    zero = x == 0
    return {
        "fit": fit.to_dict(),
        "auc_probability_alive": roc_auc(alive, bought),
        "auc_expected_purchases": roc_auc(expected, bought),
        "auc_probability_alive_frequency_0": roc_auc(alive[zero], bought[zero]),
        "auc_expected_purchases_frequency_0": roc_auc(expected[zero], bought[zero]),
        "mean_probability_alive_frequency_0": float(alive[zero].mean()),
        "expected_holdout_purchases_total": float(expected.sum()),
    }


def time_large_fit(model: str, params: tuple[float, float, float, float]) -> dict[str, float]:
    """Seconds to fit 100,000 customers drawn from `params` (ages uniform on 1-52 weeks)."""
    rng = np.random.default_rng(2005)
    age = rng.uniform(1.0, 52.0, 100_000)
    x, t_x = _bgnbd_math.simulate(params, age, model, rng)
    start = time.perf_counter()
    fit = fit_model(model, x, t_x, age)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "r": fit.r, "alpha": fit.alpha, "a": fit.a, "b": fit.b}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    args = parser.parse_args()
    frame = holdout_frame(read_cdnow(args.data / "CDNOW_sample.txt"))
    horizon = (HOLDOUT_END - CALIBRATION_END).days / 7
    bought = frame["holdout_purchases"].to_numpy() > 0
    weeks_since_last = (frame["T"] - frame["recency"]).to_numpy()
    report: dict[str, object] = {
        "customers": frame.height,
        "customers_frequency_0": int((frame["frequency"] == 0).sum()),
        "holdout_buyers": int(bought.sum()),
        "holdout_purchases_total": int(frame["holdout_purchases"].sum()),
        "horizon_weeks": horizon,
        "baseline_auc_recency": roc_auc(-weeks_since_last, bought),
        "baseline_auc_frequency": roc_auc(frame["frequency"].to_numpy().astype(float), bought),
    }
    for model in MODELS:
        result = evaluate(frame, model, horizon)
        fit = result["fit"]
        assert isinstance(fit, dict)
        params = (fit["r"], fit["alpha"], fit["a"], fit["b"])
        result["fit_100k_customers"] = time_large_fit(model, params)
        report[model] = result
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
