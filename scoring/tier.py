"""Customer tiers (客户分级): pyramid, ABC by Pareto, volume ladder and key-account flag.

Each function takes the customer facts (one row per customer and ``as_of_date``) and one
section of the scoring configuration, and returns ``customer_id`` (with ``as_of_date`` when the
facts have it) plus its new columns, sorted by those keys. Rankings and means are computed per
``as_of_date``, so a frame holding several business dates is scored date by date.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import polars as pl

from scoring.config import (
    SHARE_DECIMALS,
    AbcConfig,
    Comparison,
    Condition,
    KeyAccountConfig,
    LadderConfig,
    Level,
    PyramidConfig,
)
from scoring.labels import label_to_zh
from scoring.metrics import metric_expr, points_expr

#: Cumulative shares within this distance of a class bound count as reaching it (float noise).
SHARE_TOLERANCE = 1e-9
_SCALE = 10**SHARE_DECIMALS


def _keys(facts: pl.LazyFrame) -> list[str]:
    return ["as_of_date"] if "as_of_date" in facts.collect_schema() else []


def _over(expr: pl.Expr, keys: Sequence[str]) -> pl.Expr:
    return expr.over(keys) if keys else expr


def _ranked(facts: pl.LazyFrame, metric: str, keys: list[str]) -> pl.LazyFrame:
    """Facts sorted best first: positive metric, metric desc, revenue_lifetime desc, id asc."""
    value = metric_expr(metric, facts.collect_schema()).cast(pl.Float64)
    return (
        facts.select(
            *keys,
            "customer_id",
            value.alias("_value"),
            pl.col("revenue_lifetime").cast(pl.Float64).alias("_lifetime"),
        )
        .with_columns(_positive=(pl.col("_value") > 0).fill_null(False))
        .sort(
            [*keys, "_positive", "_value", "_lifetime", "customer_id"],
            descending=[*([False] * len(keys)), True, True, True, False],
            nulls_last=True,
        )
    )


def _scaled(shares: Sequence[float]) -> list[int]:
    """Shares as exact integers out of 10**SHARE_DECIMALS (the loader checks they sum to it)."""
    return [round(Decimal(repr(s)) * _SCALE) for s in shares]


def _level_counts(shares: Sequence[float], n: pl.Expr) -> list[pl.Expr]:
    """Exact customers per level by largest remainder (Hamilton) on ``n`` × share.

    Each level first gets floor(n × share); the customers left over go one each to the levels
    with the largest fractional remainders, the higher level first on equal remainders.
    ``n`` (customers per business date) should be a column: it appears many times here.
    """
    scaled = _scaled(shares)
    floors = [n * m // _SCALE for m in scaled]
    remainders = [n * m % _SCALE for m in scaled]
    leftover = n - pl.sum_horizontal(floors)
    counts = []
    for k, rem_k in enumerate(remainders):
        ahead = [
            (rem_j > rem_k) | (rem_j == rem_k) if j < k else rem_j > rem_k
            for j, rem_j in enumerate(remainders)
            if j != k
        ]
        priority = pl.sum_horizontal([a.cast(pl.Int64) for a in ahead]) if ahead else pl.lit(0)
        counts.append(floors[k] + (priority < leftover).cast(pl.Int64))
    return counts


def pyramid(facts: pl.LazyFrame, config: PyramidConfig) -> pl.LazyFrame:
    """Customer pyramid: exact counts per level by rank; non-positive or missing metric → last."""
    keys = _keys(facts)
    labels = [level.label for level in config.levels]
    counts = _level_counts(config.shares, pl.col("_n"))
    # Last rank of each level but the last, as columns: window results are computed once.
    last_ranks: dict[str, pl.Expr] = {}
    cumulative: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for k, count in enumerate(counts[:-1]):
        cumulative = cumulative + count
        last_ranks[f"_last_rank_{k}"] = cumulative
    rank = pl.col("pyramid_rank")
    tier = pl.when(~pl.col("_positive")).then(pl.lit(labels[-1]))
    for label, last_rank in zip(labels[:-1], last_ranks, strict=True):
        tier = tier.when(rank <= pl.col(last_rank)).then(pl.lit(label))
    return (
        _ranked(facts, config.metric, keys)
        .with_columns(
            pyramid_rank=_over(pl.int_range(1, pl.len() + 1, dtype=pl.Int64), keys),
            _n=_over(pl.len(), keys).cast(pl.Int64),
        )
        .with_columns(**last_ranks)
        .with_columns(pyramid_tier=tier.otherwise(pl.lit(labels[-1])))
        .with_columns(label_to_zh("pyramid_tier", config.levels))
        .select(*keys, "customer_id", "pyramid_tier", "pyramid_tier_zh", "pyramid_rank")
        .sort([*keys, "customer_id"])
    )


def abc(facts: pl.LazyFrame, config: AbcConfig) -> pl.LazyFrame:
    """ABC by Pareto: a customer is in the first class whose cumulative-share bound exceeds the
    share of revenue of all customers ranked before it; non-positive or missing metric → last."""
    keys = _keys(facts)
    labels = [c.label for c in config.classes]
    value = pl.col("_counted")
    total = pl.col("_total")
    cumulative = pl.col("_cumulative")
    share_before = (cumulative - value) / total
    klass = pl.when(~pl.col("_positive")).then(pl.lit(labels[-1]))
    bound = 0
    for label, scaled in zip(labels[:-1], _scaled(config.shares)[:-1], strict=True):
        bound += scaled
        klass = klass.when(share_before < bound / _SCALE - SHARE_TOLERANCE).then(pl.lit(label))
    return (
        _ranked(facts, config.metric, keys)
        .with_columns(_counted=pl.when(pl.col("_positive")).then(pl.col("_value")).otherwise(0.0))
        .with_columns(
            _total=_over(pl.col("_counted").sum(), keys),
            _cumulative=_over(pl.col("_counted").cum_sum(), keys),
        )
        .with_columns(
            abc_class=klass.otherwise(pl.lit(labels[-1])),
            cumulative_revenue_share=pl.when(pl.col("_positive")).then(
                (cumulative / total).round(SHARE_DECIMALS + 1)
            ),
        )
        .with_columns(label_to_zh("abc_class", config.classes))
        .select(*keys, "customer_id", "abc_class", "abc_class_zh", "cumulative_revenue_share")
        .sort([*keys, "customer_id"])
    )


def _comparison(comparison: Comparison, schema: pl.Schema) -> pl.Expr:
    left = metric_expr(comparison.metric, schema)
    if comparison.value is not None:
        right = pl.lit(comparison.value)
    else:
        right = metric_expr(comparison.other_metric or "", schema) * comparison.factor
    ops = {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
        "==": left == right,
        "!=": left != right,
    }
    return ops[comparison.op].fill_null(False)


def condition_expr(condition: Condition, schema: pl.Schema) -> pl.Expr:
    """True where a ladder condition holds; a comparison on a null value does not hold."""
    if condition.all_of:
        return pl.all_horizontal([_comparison(c, schema) for c in condition.all_of])
    return pl.any_horizontal([_comparison(c, schema) for c in condition.any_of])


def ladder(facts: pl.LazyFrame, config: LadderConfig) -> pl.LazyFrame:
    """Volume ladder: the first rule (in configured order) whose minimum and conditions hold."""
    keys = _keys(facts)
    schema = facts.collect_schema()
    volume = metric_expr(config.metric, schema)
    conditions = {name: condition_expr(c, schema) for name, c in config.conditions.items()}
    tier: pl.When | pl.Then | None = None
    for rule in config.rules:
        met = pl.all_horizontal(
            [(volume >= rule.min_value).fill_null(False), *(conditions[c] for c in rule.conditions)]
        )
        tier = pl.when(met) if tier is None else tier.when(met)
        tier = tier.then(pl.lit(rule.label))
    levels: list[Level] = [*config.rules, config.otherwise]
    return (
        facts.select(
            *keys,
            "customer_id",
            tier.otherwise(pl.lit(config.otherwise.label)).alias("ladder_tier"),  # type: ignore[union-attr]
        )
        .with_columns(label_to_zh("ladder_tier", levels))
        .sort([*keys, "customer_id"])
    )


def key_account(facts: pl.LazyFrame, config: KeyAccountConfig) -> pl.LazyFrame:
    """Key-account flag (大客户认定): revenue share, strategic flag, or score ≥ the mean score.

    Each criterion is rated 1–9 on its scale (``percentile`` basis: share of customers with a
    non-null value ≤ this customer's) and multiplied by its weight; the ratings are summed.
    """
    keys = _keys(facts)
    schema = facts.collect_schema()
    # Each criterion's value (percentile: a window) once as a column; every band reads it.
    values: dict[str, pl.Expr] = {}
    ratings: dict[str, pl.Expr] = {}
    for name, criterion in config.criteria.items():
        value = metric_expr(criterion.metric, schema)
        if criterion.basis == "percentile":
            value = _over(value.rank("max"), keys) / _over(value.count(), keys)
        values[f"_criterion_{name}"] = value
        ratings[f"key_account_rating_{name}"] = points_expr(pl.col(f"_criterion_{name}"), criterion)
    weights = [c.weight for c in config.criteria.values()]
    score = pl.sum_horizontal([pl.col(n) * w for n, w in zip(ratings, weights, strict=True)])
    mean = _over(pl.col("multi_criteria_score").mean(), keys)
    threshold = mean if config.score_threshold == "mean" else pl.lit(config.score_threshold)
    share_rule = (metric_expr(config.revenue_share_metric, schema) >= config.min_revenue_share)
    strategic_rule = (
        metric_expr(config.strategic_metric, schema).cast(pl.Boolean)
        if config.strategic_metric
        else pl.lit(False)
    )
    rules = {
        "revenue_share": pl.col("_share_rule"),
        "strategic": pl.col("_strategic_rule"),
        "score": pl.col("multi_criteria_score") >= pl.col("_threshold") - SHARE_TOLERANCE,
    }
    # concat_str skipping nulls, not concat_list().list.join(): no list per row (~30× faster).
    reasons = pl.concat_str(
        [pl.when(rule).then(pl.lit(name)) for name, rule in rules.items()],
        separator=";",
        ignore_nulls=True,
    )
    return (
        facts.select(
            *keys,
            "customer_id",
            _share_rule=share_rule.fill_null(False),
            _strategic_rule=strategic_rule.fill_null(False),
            **values,
        )
        .with_columns(**ratings)
        .with_columns(multi_criteria_score=score)
        .with_columns(multi_criteria_mean=mean, _threshold=threshold)
        .with_columns(_reasons=reasons)
        .with_columns(
            is_key_account=pl.col("_reasons") != "",
            key_account_reasons=pl.when(pl.col("_reasons") != "").then(pl.col("_reasons")),
        )
        .select(
            *keys,
            "customer_id",
            "multi_criteria_score",
            "multi_criteria_mean",
            "is_key_account",
            "key_account_reasons",
            *ratings,
        )
        .sort([*keys, "customer_id"])
    )
