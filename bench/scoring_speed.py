"""Time kam's Polars scoring against the pandas baseline on one business date's facts.

    PYTHONPATH=. python bench/scoring_speed.py --duckdb PUBLISHED/kam.duckdb [--repeat 5]
    PYTHONPATH=. python bench/scoring_speed.py --parquet FACTS.parquet

Facts come from ``fct_customer_facts`` at the latest as_of_date (Decimal money cast to
Float64, as warehouse/score_store.read_facts does) or from a Parquet file of them.
Prints the best of ``--repeat`` warm runs, in seconds, as JSON: the whole
``score_customers``, its churn step alone (``score_churn``: the repeat-buying fit,
probabilities, lifetime value, signs and call list) and bench/pandas_scoring.py's ``score``.
Set OPENBLAS_NUM_THREADS=1 to compare thread settings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas_scoring  # noqa: E402

from scoring.churn import score_churn  # noqa: E402
from scoring.config import default_config  # noqa: E402
from scoring.pipeline import score_customers  # noqa: E402


def read_facts(args: argparse.Namespace) -> pl.DataFrame:
    """One business date's facts, money as Float64."""
    if args.parquet:
        frame = pl.read_parquet(args.parquet)
    else:
        con = duckdb.connect(str(args.duckdb), read_only=True)
        frame = con.sql(
            "select * from fct_customer_facts where as_of_date = "
            "(select max(as_of_date) from fct_customer_facts) order by customer_id"
        ).pl()
        con.close()
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def best_of(run: Callable[[], object], repeat: int) -> float:
    """Fastest of ``repeat`` runs after one warm-up run, in seconds."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return round(min(times), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--duckdb", type=Path, help="a published kam.duckdb")
    source.add_argument("--parquet", type=Path, help="a Parquet file of customer facts")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    facts = read_facts(args)
    config = default_config()
    as_pandas = facts.to_pandas()
    figures = {
        "customers": facts.height,
        "score_customers": best_of(lambda: score_customers(facts, config), args.repeat),
        # The churn step alone: repeat-buying fit, probabilities, lifetime value, signs, call list.
        "score_churn": best_of(lambda: score_churn(facts, config.churn).collect(), args.repeat),
        "pandas_score": best_of(lambda: pandas_scoring.score(as_pandas), args.repeat),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
