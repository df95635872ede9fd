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
    Steadiness,
)
from scoring.frames import codes_fired, date_keys
from scoring.frames import per_date as _over
from scoring.labels import KEY_ACCOUNT_REASONS_ZH, KEY_ACCOUNT_STATUS, label_to_zh
from scoring.metrics import metric_expr
from scoring.points import points_expr

#: Cumulative shares within this distance of a class bound count as reaching it (float noise).
SHARE_TOLERANCE = 1e-9
_SCALE = 10**SHARE_DECIMALS


def _keys(facts: pl.LazyFrame) -> list[str]:
    return date_keys(facts.collect_schema())


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
        in_band = volume >= rule.min_value
        if rule.max_value is not None:
            in_band = in_band & (volume < rule.max_value)
        met = pl.all_horizontal(
            [in_band.fill_null(False), *(conditions[c] for c in rule.conditions)]
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


def one_off_buyer_expr(config: Steadiness) -> pl.Expr:
    """True for a buyer whose volume comes from a single period (seed 002: 今年采购了两个亿…
    明后年他就不买了): positive revenue in fewer than ``min_active_windows`` of the trailing
    windows the company's history reaches into, or (optionally) more than ``max_window_share``
    of that revenue in one window. Needs two observed windows: with less history no one is a
    one-off buyer, since steadiness cannot be seen."""
    active = pl.col("active_trailing_windows")
    observed = pl.col("observed_trailing_windows")
    required = pl.min_horizontal(pl.lit(config.min_active_windows), observed)
    one_off = active < required
    if config.max_window_share is not None:
        one_off = one_off | (
            pl.col("largest_trailing_window_share") > config.max_window_share + SHARE_TOLERANCE
        )
    return ((observed >= 2) & (active >= 1) & one_off).fill_null(False)


def _candidate_expr(config: KeyAccountConfig) -> pl.Expr:
    """The candidate screen before steadiness: the pyramid's listed levels, or the top N by
    trailing revenue (:func:`revenue_rank`; no revenue, no candidate)."""
    screen = config.candidates
    if screen.pyramid_levels:
        return pl.col("_pyramid_tier").is_in(list(screen.pyramid_levels))
    return pl.col("_revenue_rank") <= screen.top_n


def revenue_rank(facts: pl.LazyFrame) -> pl.LazyFrame:
    """Rank by trailing revenue (seeds 000/004: the top ten customers), 1 = most; ties broken
    as the pyramid breaks them; null for customers without positive trailing revenue."""
    keys = _keys(facts)
    return (
        _ranked(facts, "revenue_trailing", keys)
        .with_columns(_rank=_over(pl.int_range(1, pl.len() + 1, dtype=pl.Int64), keys))
        .select(*keys, "customer_id", revenue_rank=pl.when(pl.col("_positive")).then("_rank"))
        .sort([*keys, "customer_id"])
    )


def key_account(
    facts: pl.LazyFrame, config: KeyAccountConfig, pyramid_tiers: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Key-account flag (大客户认定) over a candidate pool, as seed 000 rates a shortlist.

    Candidates pass the screen (``config.candidates``: the pyramid levels listed, taken from
    ``pyramid_tiers`` — the output of :func:`pyramid` — or the top N by trailing revenue) and
    are not one-off buyers. Only candidates are rated: each criterion 1–9 on its scale
    (``percentile`` basis: share of candidates with a non-null value ≤ this one's), times its
    weight, summed. A customer is a key account for its revenue share or the score (≥ the
    candidates' mean or a fixed threshold) unless a one-off buyer, or for the strategic flag.
    """
    keys = _keys(facts)
    schema = facts.collect_schema()
    on = [*keys, "customer_id"]
    screen = config.candidates
    if screen.pyramid_levels and pyramid_tiers is None:
        raise ValueError("candidates by pyramid level need the pyramid tiers (pyramid_tiers=)")
    # Side by side, not joined: each part is one row per facts row sorted by `on`, so a
    # duplicated customer stays one row per facts row (the pipeline reports it).
    parts = [facts.sort(on), revenue_rank(facts).select(_revenue_rank="revenue_rank")]
    if pyramid_tiers is not None:
        parts.append(pyramid_tiers.select(_pyramid_tier="pyramid_tier"))
    base = pl.concat(parts, how="horizontal")
    candidate = pl.col("is_key_account_candidate")
    values: dict[str, pl.Expr] = {}
    ratings: dict[str, pl.Expr] = {}
    for name, criterion in config.criteria.items():
        value = pl.when(candidate).then(metric_expr(criterion.metric, schema))
        if criterion.basis == "percentile":
            value = _over(value.rank("max"), keys) / _over(value.count(), keys)
        values[f"_criterion_{name}"] = value
        ratings[f"key_account_rating_{name}"] = pl.when(candidate).then(
            points_expr(pl.col(f"_criterion_{name}"), criterion)
        )
    weights = [c.weight for c in config.criteria.values()]
    score = pl.sum_horizontal([pl.col(n) * w for n, w in zip(ratings, weights, strict=True)])
    mean = _over(pl.col("multi_criteria_score").mean(), keys)
    threshold = mean if config.score_threshold == "mean" else pl.lit(config.score_threshold)
    share_rule = metric_expr(config.revenue_share_metric, schema) >= config.min_revenue_share
    strategic_rule = (
        metric_expr(config.strategic_metric, schema).cast(pl.Boolean)
        if config.strategic_metric
        else pl.lit(False)
    )
    steady = ~pl.col("is_one_off_buyer")
    rules = {
        "revenue_share": pl.col("_share_rule") & steady,
        "strategic": pl.col("_strategic_rule"),
        "score": (
            candidate & (pl.col("multi_criteria_score") >= pl.col("_threshold") - SHARE_TOLERANCE)
        ).fill_null(False),
    }
    status = (
        pl.when(pl.col("is_key_account"))
        .then(pl.lit("key_account"))
        .when(candidate)
        .then(pl.lit("candidate"))
        .otherwise(pl.lit("other"))
    )
    return (
        base.with_columns(
            _share_rule=share_rule.fill_null(False),
            _strategic_rule=strategic_rule.fill_null(False),
            is_one_off_buyer=one_off_buyer_expr(config.steadiness),
            _screened=_candidate_expr(config).fill_null(False),
        )
        .with_columns(is_key_account_candidate=pl.col("_screened") & ~pl.col("is_one_off_buyer"))
        .with_columns(**values)
        .with_columns(**ratings)
        .with_columns(multi_criteria_score=pl.when(candidate).then(score))
        .with_columns(multi_criteria_mean=mean, _threshold=threshold)
        .with_columns(
            key_account_score_threshold=pl.when(candidate).then(pl.col("_threshold")),
            key_account_reasons=codes_fired(rules),
            key_account_reasons_zh=codes_fired(rules, KEY_ACCOUNT_REASONS_ZH),
        )
        .with_columns(is_key_account=pl.col("key_account_reasons").is_not_null())
        .with_columns(key_account_status=status)
        .with_columns(label_to_zh("key_account_status", KEY_ACCOUNT_STATUS))
        .select(
            *on,
            "is_key_account_candidate",
            "multi_criteria_score",
            "multi_criteria_mean",
            "key_account_score_threshold",
            "is_key_account",
            "key_account_reasons",
            "key_account_reasons_zh",
            "key_account_status",
            "key_account_status_zh",
            "is_one_off_buyer",
            *ratings,
        )
        .sort(on)
    )
