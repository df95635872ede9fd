"""The pandas baseline: tiers and churn warning signs as an analyst would write them.

Default rules of docs/scoring.md, hard-coded as an analyst's notebook would have them:
customer pyramid (1/4/15/80 % by trailing revenue, exact counts by largest remainder, ties by
lifetime revenue then customer id), ABC by Pareto (80/15/5), the key-account revenue-share and
strategic rules, and the six rule-based churn signs with score, risk level, flag, reasons,
value at risk and call priority. Not included (kam's Polars scoring does them): the volume
ladder, the multi-criteria key-account score, the BG/NBD model and its ``model_inactive`` sign,
Chinese labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PYRAMID_LEVELS = ("vip", "major", "regular", "small")
PYRAMID_SHARES_BP = (100, 400, 1500, 8000)  # basis points: exact integer arithmetic
ABC_BOUNDS = (0.80, 0.95)
SHARE_TOLERANCE = 1e-9
KEY_ACCOUNT_MIN_SHARE = 0.05
SIGN_WEIGHTS = {
    "no_recent_order": 3.0,
    "revenue_drop": 3.0,
    "open_complaints": 2.0,
    "single_category": 1.0,
    "payment_worsening": 2.0,
    "contact_quiet": 1.0,
}
RISK_LEVELS = ((5.0, "high"), (3.0, "medium"), (1.0, "low"))
FLAG_MIN_SCORE = 3.0


def level_counts(n: int) -> list[int]:
    """Customers per pyramid level: floors of n × share, leftovers by largest remainder."""
    floors = [n * s // 10_000 for s in PYRAMID_SHARES_BP]
    remainders = [n * s % 10_000 for s in PYRAMID_SHARES_BP]
    # Stable sort: on equal remainders the higher level comes first.
    order = sorted(range(len(floors)), key=lambda k: -remainders[k])
    for k in order[: n - sum(floors)]:
        floors[k] += 1
    return floors


def tiers(facts: pd.DataFrame) -> pd.DataFrame:
    """Pyramid tier and rank, ABC class and key-account flag per customer."""
    value = facts["revenue_trailing"].astype("float64")
    ranked = pd.DataFrame(
        {
            "customer_id": facts["customer_id"],
            "positive": (value > 0).fillna(False),
            "value": value,
            "lifetime": facts["revenue_lifetime"].astype("float64"),
        }
    ).sort_values(
        ["positive", "value", "lifetime", "customer_id"],
        ascending=[False, False, False, True],
        na_position="last",
    )
    ranked["pyramid_rank"] = np.arange(1, len(ranked) + 1)
    bounds = np.cumsum(level_counts(len(ranked)))
    level = np.searchsorted(bounds, ranked["pyramid_rank"].to_numpy(), side="left")
    tier = np.asarray(PYRAMID_LEVELS, dtype=object)[np.minimum(level, len(PYRAMID_LEVELS) - 1)]
    ranked["pyramid_tier"] = np.where(ranked["positive"], tier, PYRAMID_LEVELS[-1])

    counted = ranked["value"].where(ranked["positive"], 0.0)
    share_before = (counted.cumsum() - counted) / counted.sum()
    ranked["abc_class"] = np.select(
        [
            ~ranked["positive"],
            share_before < ABC_BOUNDS[0] - SHARE_TOLERANCE,
            share_before < ABC_BOUNDS[1] - SHARE_TOLERANCE,
        ],
        ["C", "A", "B"],
        default="C",
    )
    out = ranked.sort_values("customer_id").reset_index(drop=True)
    by_id = facts.set_index("customer_id")
    share = by_id["revenue_share_trailing"].astype("float64").reindex(out["customer_id"])
    strategic = by_id["is_strategic"].astype("boolean").reindex(out["customer_id"])
    out["is_key_account"] = (share >= KEY_ACCOUNT_MIN_SHARE).fillna(
        False
    ).to_numpy() | strategic.fillna(False).to_numpy(dtype=bool)
    return out[["customer_id", "pyramid_tier", "pyramid_rank", "abc_class", "is_key_account"]]


def churn_signs(facts: pd.DataFrame) -> pd.DataFrame:
    """The rule-based churn signs, score, level, flag, reasons and call priority per customer."""
    f = facts.sort_values("customer_id").reset_index(drop=True)

    def num(column: str) -> pd.Series:
        return f[column].astype("float64")

    cycle = num("mean_days_between_orders")
    cycle = cycle.fillna(cycle.median())
    last_year = num("revenue_recent_last_year")
    prior = num("interaction_count_prior_recent")
    signs = pd.DataFrame(
        {
            "no_recent_order": num("days_since_last_order") > 2.0 * cycle,
            "revenue_drop": (last_year > 0) & (num("revenue_recent") < 0.5 * last_year),
            "open_complaints": num("open_complaint_count") >= 1,
            "single_category": (num("order_count_trailing") > 0)
            & (num("distinct_categories_trailing") <= 1),
            "payment_worsening": num("average_days_past_due_recent")
            - num("average_days_past_due_trailing")
            > 15,
            "contact_quiet": (prior > 0) & (num("interaction_count_recent") < 0.5 * prior),
        }
    ).fillna(False)
    score = sum(signs[code].astype("float64") * weight for code, weight in SIGN_WEIGHTS.items())
    reasons = pd.Series("", index=f.index)
    for code in SIGN_WEIGHTS:
        reasons = reasons + np.where(signs[code], code + ";", "")
    out = pd.DataFrame(
        {
            "customer_id": f["customer_id"],
            "churn_score": score,
            "churn_risk_level": np.select(
                [score >= bound for bound, _ in RISK_LEVELS],
                [label for _, label in RISK_LEVELS],
                default="none",
            ),
            "is_churn_risk": score >= FLAG_MIN_SCORE,
            "churn_reasons": reasons.str.rstrip(";").replace("", None),
            "value_at_risk": num("contribution_trailing").clip(lower=0.0),
        }
    )
    flagged = out[out["is_churn_risk"]].sort_values(
        ["value_at_risk", "churn_score", "customer_id"],
        ascending=[False, False, True],
        na_position="last",
    )
    out["churn_call_priority"] = pd.Series(
        np.arange(1, len(flagged) + 1), index=flagged.index
    ).reindex(out.index)
    return out


def score(facts: pd.DataFrame) -> pd.DataFrame:
    """Tiers and churn signs of one business date's facts, one row per customer."""
    return tiers(facts).merge(churn_signs(facts), on="customer_id", how="left")
