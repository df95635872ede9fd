"""CDNOW hold-out benchmark of BG/NBD against MBG/NBD; prints JSON.

Fits both models on weeks 1-39 (to 1997-09-30), scores every customer, and measures how well
P(alive) and expected purchases rank the customers who buy again in weeks 40-78
(1997-10-01 to 1998-06-30): ROC AUC by the rank (Mann-Whitney) formula, ties averaged.
Also times a fit on 100,000 customers drawn from the fitted model.

    .venv/bin/python bench/cdnow_holdout.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from churn_quality import (  # noqa: E402 - a sibling script, not a package
    CDNOW_AS_OF,
    CDNOW_FILE,
    CDNOW_HOLDOUT_END,
    DATA_DIR,
    read_cdnow,
)

from scoring import _bgnbd_math  # noqa: E402
from scoring.bgnbd import (  # noqa: E402
    MODELS,
    expected_purchases,
    fit_model,
    probability_alive,
    summarise_transactions,
)
from scoring.churn import roc_auc  # noqa: E402


def read_purchases(path: Path) -> pl.LazyFrame:
    """CDNOW_sample.txt as customer_id (the sample id as a number), purchase_date."""
    return read_cdnow(path).select(
        pl.col("customer_id").cast(pl.Int64), purchase_date=pl.col("order_date")
    )


def holdout_frame(transactions: pl.LazyFrame) -> pl.DataFrame:
    """Calibration summary plus hold-out purchase occasions per customer."""
    calibration = summarise_transactions(
        transactions, "customer_id", "purchase_date", CDNOW_AS_OF, time_unit_days=7
    )
    holdout = (
        transactions.filter(
            (pl.col("purchase_date") > CDNOW_AS_OF) & (pl.col("purchase_date") <= CDNOW_HOLDOUT_END)
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
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    args = parser.parse_args()
    frame = holdout_frame(read_purchases(args.data / CDNOW_FILE))
    horizon = (CDNOW_HOLDOUT_END - CDNOW_AS_OF).days / 7
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
