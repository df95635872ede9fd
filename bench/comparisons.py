"""What bench/run.py measures beside the nightly job, on the same data: the DuckDB floor
(bench/duckdb_floor.sql) against the published facts, the pandas baseline and the same rules in
Polars against kam's scoring, and the churn-model fits on simulated customers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
from measure import BENCH_DIR  # bench/ is on the import path (a folder of scripts)

FLOOR_SQL = BENCH_DIR / "duckdb_floor.sql"
REPEATS = 3
FIT_CUSTOMERS = 100_000
# BG/NBD on CDNOW (Fader, Hardie & Lee 2005): realistic parameters to simulate customers from.
FIT_PARAMS = (0.243, 4.414, 0.793, 2.426)


def best_of(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    """Fastest of ``repeats`` timed calls (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return round(best, 4), result


def duckdb_floor(landing: Path, as_of: date, published: Path) -> dict[str, Any]:
    """Time bench/duckdb_floor.sql on the landed CSV files; compare it with the published facts."""
    con = duckdb.connect()
    con.execute("set variable transactions_glob = ?", [str(landing / "transactions/*/*.csv")])
    con.execute("set variable customers_glob = ?", [str(landing / "customers/*/*.csv")])
    con.execute("set variable as_of_date = ?", [as_of])
    script = FLOOR_SQL.read_text(encoding="utf-8")
    start = time.perf_counter()
    con.execute(script)
    seconds = time.perf_counter() - start
    con.execute("attach ? as pub (read_only)", [str(published)])
    columns = [row[0] for row in con.execute("describe floor_facts").fetchall()][1:]
    published_facts = "(select * from pub.fct_customer_facts where as_of_date = $d)"
    mismatched = {}
    for column in columns:
        # Equal, or equal within 1e-6 relative (the floor divides decimals, dbt doubles).
        differs = con.execute(
            f"select count(*) from floor_facts f full join {published_facts} p using (customer_id)"
            f" where not (f.{column} is not distinct from p.{column}"
            f" or abs(try_cast(f.{column} as double) - try_cast(p.{column} as double))"
            f" <= 1e-6 * greatest(1, abs(try_cast(p.{column} as double))))",
            {"d": as_of},
        ).fetchall()[0][0]
        if differs:
            mismatched[column] = differs
    rows = con.execute("select count(*) from floor_facts").fetchall()[0][0]
    con.close()
    return {"seconds": round(seconds, 3), "rows": rows, "mismatched_columns": mismatched}


def published_facts(published: Path, as_of: date) -> pl.DataFrame:
    """fct_customer_facts of one date from the published file, money as floats (as scoring)."""
    with duckdb.connect(str(published), read_only=True) as con:
        frame = con.sql(
            "select * from fct_customer_facts where as_of_date = $d order by customer_id",
            params={"d": as_of},
        ).pl()
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def model_inputs(facts: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequency, recency, T) in weeks of the customers with an order, as the churn step fits."""
    weeks = facts.filter(pl.col("order_days_lifetime") > 0).select(
        x=(pl.col("order_days_lifetime") - 1).cast(pl.Float64),
        t_x=(pl.col("last_order_date") - pl.col("first_order_date")).dt.total_days() / 7,
        T=(pl.col("as_of_date") - pl.col("first_order_date")).dt.total_days() / 7,
    )
    return tuple(weeks[c].to_numpy() for c in ("x", "t_x", "T"))  # type: ignore[return-value]


def scoring_comparison(published: Path, as_of: date, config_path: Path) -> dict[str, Any]:
    """pandas baseline vs kam's Polars scoring on the same facts, and their agreement."""
    import pandas_scoring  # bench/ scripts, on the import path like this one
    import polars_same_rules

    from scoring.bgnbd import fit_model
    from scoring.config import load_scoring_config
    from scoring.pipeline import score_customers

    facts = published_facts(published, as_of)
    frame = facts.to_pandas()
    pandas_s, baseline = best_of(lambda: pandas_scoring.score(frame))
    same_rules_s, same_rules_scores = best_of(lambda: polars_same_rules.score(facts))
    config = load_scoring_config(config_path)
    polars_s, scores = best_of(lambda: score_customers(facts, config))
    x, t_x, age = model_inputs(facts)
    fit_s, _ = best_of(lambda: fit_model(config.churn.model, x, t_x, age))
    joined = scores.join(pl.from_pandas(baseline), on="customer_id", suffix="_pandas")
    kam_reasons = (
        pl.col("churn_reasons").str.replace_all(r";?model_inactive", "").str.strip_chars(";")
    )
    disagreements = joined.select(
        pyramid_tier=(pl.col("pyramid_tier") != pl.col("pyramid_tier_pandas")).sum(),
        pyramid_rank=(pl.col("pyramid_rank") != pl.col("pyramid_rank_pandas")).sum(),
        abc_class=(pl.col("abc_class") != pl.col("abc_class_pandas")).sum(),
        churn_reasons_without_model=(
            pl.when(kam_reasons != "").then(kam_reasons).ne_missing(pl.col("churn_reasons_pandas"))
        ).sum(),
    ).row(0, named=True)
    return {
        "customers": facts.height,
        "pandas_scoring_s": pandas_s,
        "polars_scoring_s": polars_s,
        "polars_same_rules_s": same_rules_s,
        "polars_same_rules_disagreements": same_rules_disagreements(same_rules_scores, baseline),
        "polars_model_fit_s": fit_s,
        "polars_scoring_without_fit_s": round(max(polars_s - fit_s, 0.0), 4),
        "disagreements": disagreements,
    }


def same_rules_disagreements(scores: pl.DataFrame, baseline: Any) -> dict[str, int]:
    """Rows where bench/polars_same_rules.py and the pandas baseline differ, per column."""
    expected = pl.from_pandas(baseline).with_columns(pl.col("churn_call_priority").cast(pl.Int64))
    joined = scores.join(expected, on="customer_id", how="full", suffix="_pandas")
    return {
        column: joined.select(pl.col(column).ne_missing(pl.col(f"{column}_pandas")).sum()).item()
        for column in scores.columns
    }


def churn_fit_timings(customers: int = FIT_CUSTOMERS) -> dict[str, float]:
    """Seconds to fit MBG/NBD and BG/NBD on ``customers`` simulated from the model (1-104 weeks)."""
    from scoring import _bgnbd_math
    from scoring.bgnbd import fit_bgnbd, fit_mbgnbd

    timings = {}
    for model, fit in (("mbgnbd", fit_mbgnbd), ("bgnbd", fit_bgnbd)):
        rng = np.random.default_rng(2005)
        age = rng.uniform(1.0, 104.0, customers)
        x, t_x = _bgnbd_math.simulate(FIT_PARAMS, age, model, rng)
        start = time.perf_counter()
        fitted = fit(x, t_x, age)
        timings[f"{model}_s"] = round(time.perf_counter() - start, 3)
        timings[f"{model}_converged"] = fitted.converged
    return timings
