"""The pandas baseline's rules, written in Polars as plainly: how far Polars alone gets.

Same rules, constants and output as bench/pandas_scoring.py (tiers, key-account share and
strategic rules, the six rule-based churn signs, score, level, flag, reasons, value at risk,
call priority), one lazy plan with one ranking sort. kam's own scoring (scoring/) does more:
the volume ladder, the multi-criteria key-account score, the MBG/NBD fit and its sign, Chinese
labels and configurable rules. bench/run.py times this next to both and checks that it agrees
with the pandas baseline on every output column, so the gap between the two is the engine's,
not the work's.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from pandas_scoring import (  # bench/ is on sys.path when bench/run.py loads this
    ABC_BOUNDS,
    FLAG_MIN_SCORE,
    KEY_ACCOUNT_MIN_SHARE,
    PYRAMID_LEVELS,
    RISK_LEVELS,
    SHARE_TOLERANCE,
    SIGN_WEIGHTS,
    level_counts,
)

COLUMNS = (
    "customer_id",
    "pyramid_tier",
    "pyramid_rank",
    "abc_class",
    "is_key_account",
    "churn_score",
    "churn_risk_level",
    "is_churn_risk",
    "churn_reasons",
    "value_at_risk",
    "churn_call_priority",
)


def _num(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Float64)


def _signs() -> dict[str, pl.Expr]:
    cycle = _num("mean_days_between_orders")
    cycle = cycle.fill_null(cycle.median())
    last_year = _num("revenue_recent_last_year")
    prior = _num("interaction_count_prior_recent")
    rules = {
        "no_recent_order": _num("days_since_last_order") > 2.0 * cycle,
        "revenue_drop": (last_year > 0) & (_num("revenue_recent") < 0.5 * last_year),
        "open_complaints": _num("open_complaint_count") >= 1,
        "single_category": (_num("order_count_trailing") > 0)
        & (_num("distinct_categories_trailing") <= 1),
        "payment_worsening": _num("average_days_past_due_recent")
        - _num("average_days_past_due_trailing")
        > 15,
        "contact_quiet": (prior > 0) & (_num("interaction_count_recent") < 0.5 * prior),
    }
    return {code: rule.fill_null(False) for code, rule in rules.items()}


def score(facts: pl.DataFrame) -> pl.DataFrame:
    """Tiers and churn signs of one business date's facts, one row per customer, by id."""
    bounds = np.cumsum(level_counts(facts.height)).tolist()
    rank = pl.col("pyramid_rank")
    tier = pl.when(~pl.col("_positive")).then(pl.lit(PYRAMID_LEVELS[-1]))
    for level, bound in zip(PYRAMID_LEVELS[:-1], bounds[:-1], strict=True):
        tier = tier.when(rank <= bound).then(pl.lit(level))
    counted = pl.when(pl.col("_positive")).then(pl.col("_value")).otherwise(0.0)
    share_before = (counted.cum_sum() - counted) / counted.sum()
    abc = (
        pl.when(~pl.col("_positive"))
        .then(pl.lit("C"))
        .when(share_before < ABC_BOUNDS[0] - SHARE_TOLERANCE)
        .then(pl.lit("A"))
        .when(share_before < ABC_BOUNDS[1] - SHARE_TOLERANCE)
        .then(pl.lit("B"))
        .otherwise(pl.lit("C"))
    )
    signs = _signs()
    churn_score = pl.sum_horizontal(
        pl.when(rule).then(pl.lit(SIGN_WEIGHTS[code])).otherwise(0.0)
        for code, rule in signs.items()
    )
    reasons = pl.concat_str(
        [pl.when(rule).then(pl.lit(code)) for code, rule in signs.items()],
        separator=";",
        ignore_nulls=True,
    )
    level = pl.when(pl.col("churn_score") >= RISK_LEVELS[0][0]).then(pl.lit(RISK_LEVELS[0][1]))
    for bound, label in RISK_LEVELS[1:]:
        level = level.when(pl.col("churn_score") >= bound).then(pl.lit(label))
    return (
        facts.lazy()
        .with_columns(_value=_num("revenue_trailing"), _lifetime=_num("revenue_lifetime"))
        .with_columns(_positive=(pl.col("_value") > 0).fill_null(False))
        .sort(
            ["_positive", "_value", "_lifetime", "customer_id"],
            descending=[True, True, True, False],
            nulls_last=True,
        )
        .with_columns(pyramid_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
        .with_columns(
            pyramid_tier=tier.otherwise(pl.lit(PYRAMID_LEVELS[-1])),
            abc_class=abc,
            is_key_account=(_num("revenue_share_trailing") >= KEY_ACCOUNT_MIN_SHARE).fill_null(
                False
            )
            | pl.col("is_strategic").cast(pl.Boolean).fill_null(False),
            churn_score=churn_score,
            churn_reasons=pl.when(reasons != "").then(reasons),
            value_at_risk=_num("contribution_trailing").clip(lower_bound=0.0),
        )
        .with_columns(
            churn_risk_level=level.otherwise(pl.lit("none")),
            is_churn_risk=pl.col("churn_score") >= FLAG_MIN_SCORE,
        )
        .sort(
            ["is_churn_risk", "value_at_risk", "churn_score", "customer_id"],
            descending=[True, True, True, False],
            nulls_last=True,
        )
        .with_columns(
            churn_call_priority=pl.when(pl.col("is_churn_risk")).then(
                pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
            )
        )
        .sort("customer_id")
        .select(COLUMNS)
        .collect()
    )
