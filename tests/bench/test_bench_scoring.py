"""The benchmark's two plain scorings (bench/pandas_scoring.py, bench/polars_same_rules.py) give
the hand-worked results of the default rules, so timing them against each other compares
engines on the same work."""

import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import pandas_scoring  # noqa: E402
import polars_same_rules  # noqa: E402


def facts() -> pl.DataFrame:
    """Four customers; the comments in the expected values below work each one out."""
    return pl.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4"],
            "revenue_trailing": [100.0, 300.0, 0.0, None],
            "revenue_lifetime": [500.0, 300.0, 50.0, 10.0],
            "revenue_share_trailing": [0.25, 0.75, 0.0, None],
            "is_strategic": [False, False, True, None],
            "mean_days_between_orders": [10.0, None, 30.0, None],
            "days_since_last_order": [25.0, 30.0, 70.0, None],
            "revenue_recent_last_year": [100.0, 0.0, 10.0, None],
            "revenue_recent": [40.0, 80.0, 5.0, None],
            "open_complaint_count": [0.0, 2.0, 1.0, None],
            "order_count_trailing": [3.0, 5.0, 0.0, None],
            "distinct_categories_trailing": [1.0, 2.0, 0.0, None],
            "average_days_past_due_recent": [20.0, 40.0, None, 16.0],
            "average_days_past_due_trailing": [10.0, 20.0, None, 0.0],
            "interaction_count_prior_recent": [10.0, 0.0, 4.0, None],
            "interaction_count_recent": [4.0, 3.0, 2.0, None],
            "contribution_trailing": [50.0, -20.0, 50.0, None],
        }
    )


# Pyramid of 4 customers: floors of 4 × (1 %, 4 %, 15 %, 80 %) = 0, 0, 0, 3; the one left over
# goes to the largest remainder (15 %: 0.6) → counts 0, 0, 1, 3. Rank by positive revenue desc:
# c2 (300), c1 (100), then the non-positive c3 (0) and c4 (null, last). ABC: share of revenue
# ranked before: c2 0 → A, c1 300/400 = 0.75 → A; non-positive → C. Key account: share ≥ 5 %
# (c1, c2) or strategic (c3).
# Churn: missing cycles take the median 20 of (10, 30). c1: 25 > 2×10 no recent order (3),
# 40 < 0.5×100 revenue drop (3), 3 orders in 1 category (1), 4 < 0.5×10 contacts (1) = 8, high.
# c2: 2 complaints (2), 40 − 20 = 20 > 15 days later (2) = 4, medium. c3: 70 > 2×30 (3),
# 1 complaint (2) = 5, high. c4: 16 − 0 > 15 (2) = 2, low, not flagged. Call priority by value at
# risk (contribution floored at 0) desc, score desc: c1 (50, 8), c3 (50, 5), c2 (0, 4).
EXPECTED = pl.DataFrame(
    {
        "customer_id": ["c1", "c2", "c3", "c4"],
        "pyramid_tier": ["small", "regular", "small", "small"],
        "pyramid_rank": [2, 1, 3, 4],
        "abc_class": ["A", "A", "C", "C"],
        "is_key_account": [True, True, True, False],
        "churn_score": [8.0, 4.0, 5.0, 2.0],
        "churn_risk_level": ["high", "medium", "high", "low"],
        "is_churn_risk": [True, True, True, False],
        "churn_reasons": [
            "no_recent_order;revenue_drop;single_category;contact_quiet",
            "open_complaints;payment_worsening",
            "no_recent_order;open_complaints",
            "payment_worsening",
        ],
        "value_at_risk": [50.0, 0.0, 50.0, None],
        "churn_call_priority": [1, 3, 2, None],
    },
    schema_overrides={"pyramid_rank": pl.Int64, "churn_call_priority": pl.Int64},
)


def pandas_scores(frame: pl.DataFrame) -> pl.DataFrame:
    """The pandas baseline's scores as Polars (its call priority is a float with NaN)."""
    return pl.from_pandas(pandas_scoring.score(frame.to_pandas())).with_columns(
        pl.col("churn_call_priority").cast(pl.Int64)
    )


def test_polars_same_rules_gives_the_hand_worked_scores():
    scores = polars_same_rules.score(facts())
    assert scores.equals(EXPECTED), scores


def test_pandas_baseline_gives_the_same_hand_worked_scores():
    scores = pandas_scores(facts())
    assert scores.select(EXPECTED.columns).equals(EXPECTED), scores


@pytest.mark.parametrize("customers", [1, 7, 250])
def test_both_agree_on_random_facts(customers):
    """Random values, ties and nulls included, for sizes with different largest remainders."""
    rng = pl.int_range(customers, eager=True)
    frame = (
        facts()
        .sample(customers, with_replacement=True, seed=customers)
        .with_columns(
            customer_id=pl.format("c{}", rng),
            revenue_trailing=pl.when(rng % 5 == 0)
            .then(None)
            .otherwise(((rng * 37) % 11 - 3).cast(pl.Float64)),
            revenue_lifetime=((rng * 13) % 7).cast(pl.Float64),
        )
    )
    ours = polars_same_rules.score(frame)
    theirs = pandas_scores(frame)
    assert ours.equals(theirs.select(ours.columns))
