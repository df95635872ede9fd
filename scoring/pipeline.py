"""One call to score customers: tiers, key account and churn, with the configuration version.

Credit grades are quarterly and scored separately (:func:`score_credit_quarter`).
"""

from __future__ import annotations

import polars as pl

from scoring.churn import score_churn
from scoring.config import ScoringConfig
from scoring.credit import Quarter, score_credit_for_quarter
from scoring.tier import abc, key_account, ladder, pyramid


class ScoringInputError(ValueError):
    """The customer facts cannot be scored as given."""


def _keys(facts: pl.LazyFrame) -> list[str]:
    return ["as_of_date"] if "as_of_date" in facts.collect_schema() else []


def _check_unique(scores: pl.DataFrame, keys: list[str]) -> None:
    duplicated = scores.filter(pl.struct(*keys, "customer_id").is_duplicated())
    if duplicated.height:
        first = duplicated.row(0, named=True)
        where = ", ".join(f"{k} {first[k]}" for k in [*keys, "customer_id"])
        raise ScoringInputError(
            f"customer facts hold more than one row for {where} "
            f"({duplicated.height} score rows affected) — fix: pass one row per customer"
            f"{' and as_of_date' if keys else ''} (fct_customer_facts is unique on them)"
        )


def score_customers(facts: pl.LazyFrame | pl.DataFrame, config: ScoringConfig) -> pl.DataFrame:
    """Pyramid, ABC, ladder, key account and churn per customer (and as_of_date), one collect.

    Columns: as_of_date (when the facts have it), customer_id, the columns of
    :func:`scoring.tier.pyramid`, :func:`~scoring.tier.abc`, :func:`~scoring.tier.ladder`,
    :func:`~scoring.tier.key_account` and :func:`scoring.churn.score_churn`, then
    ``config_version``. Sorted by as_of_date, customer_id.
    """
    lazy = facts.lazy()
    keys = _keys(lazy)
    on = [*keys, "customer_id"]
    parts = [
        pyramid(lazy, config.tier.pyramid),
        abc(lazy, config.tier.abc),
        ladder(lazy, config.tier.ladder),
        key_account(lazy, config.tier.key_account),
        score_churn(lazy, config.churn),
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, on=on, how="left", nulls_equal=True, maintain_order="left")
    scores = joined.with_columns(config_version=pl.lit(config.version)).sort(on).collect()
    _check_unique(scores, keys)
    return scores


def score_credit_quarter(
    facts_at_quarter_end: pl.LazyFrame | pl.DataFrame, config: ScoringConfig, quarter: Quarter
) -> pl.DataFrame:
    """Credit grade with breakdown for ``quarter`` (facts as of its last day) and config_version."""
    lazy = facts_at_quarter_end.lazy()
    return (
        score_credit_for_quarter(lazy, config.credit, quarter)
        .with_columns(config_version=pl.lit(config.version))
        .collect()
    )
