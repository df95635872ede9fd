"""The ``tier`` section: customer pyramid, ABC classes, volume ladder and key-account rules."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from annotated_types import MinLen
from pydantic import Strict, model_validator

from scoring.config.errors import ConfigProblem
from scoring.config.fields import (
    SHARE_DECIMALS,
    Identifier,
    Level,
    Metric,
    Number,
    Text,
    Weight,
    _exactly_one,
    _Model,
    _unique,
    _unique_labels,
    at_least,
    fraction,
)
from scoring.config.scales import Scale


def _check_shares(shares: Sequence[float], field: str) -> None:
    for index, share in enumerate(shares):
        if not 0 <= share <= 1:
            raise ConfigProblem(
                f"share {share} is outside 0..1",
                "write shares as fractions (0.15 = 15 %)",
                (field, index),
            )
    scaled = [round(Decimal(repr(s)) * 10**SHARE_DECIMALS) for s in shares]
    if sum(scaled) != 10**SHARE_DECIMALS:
        total = float(sum(Decimal(repr(s)) for s in shares))
        raise ConfigProblem(
            f"shares sum to {total:g}, not 1",
            f"adjust the shares so they add up to exactly 1 (to {SHARE_DECIMALS} decimals)",
            (field,),
        )


class _ShareScheme(_Model):
    """Levels by fixed shares of a metric, top level first: the shares sum to 1, one level per
    share (at least two), each label once. A scheme names its list of levels ``levels_key``."""

    levels_key: ClassVar[str]
    count_fix: ClassVar[str]

    metric: Metric = "revenue_trailing"
    shares: tuple[Number, ...]

    @model_validator(mode="after")
    def _check_scheme(self) -> _ShareScheme:
        _check_shares(self.shares, "shares")
        levels: tuple[Level, ...] = getattr(self, self.levels_key)
        if len(levels) != len(self.shares) or len(levels) < 2:
            raise ConfigProblem(
                f"{len(levels)} {self.levels_key} but {len(self.shares)} shares",
                self.count_fix,
                (self.levels_key,),
            )
        _unique_labels(levels, self.levels_key)
        return self


class PyramidConfig(_ShareScheme):
    """Customer pyramid (客户金字塔): fixed shares of customers by rank."""

    levels_key = "levels"
    count_fix = "give one share per level, at least two levels, top level first"

    levels: tuple[Level, ...]


class AbcConfig(_ShareScheme):
    """ABC classes by the Pareto rule (二八法则): shares of cumulative revenue."""

    levels_key = "classes"
    count_fix = "give one share of cumulative revenue per class, top class first"

    classes: tuple[Level, ...]


class Comparison(_Model):
    """``metric op value`` or ``metric op factor × other_metric``; a null side is not met."""

    metric: Metric
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: Number | None = None
    other_metric: Metric | None = None
    factor: Number = 1.0

    @model_validator(mode="after")
    def _check(self) -> Comparison:
        _exactly_one(
            self, "value", "other_metric", "write e.g. {metric: days_past_due, op: '<=', value: 30}"
        )
        return self


class Condition(_Model):
    """A named condition: all of / any of a list of comparisons."""

    name_zh: Text
    all_of: tuple[Comparison, ...] = ()
    any_of: tuple[Comparison, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Condition:
        _exactly_one(
            self,
            "all_of",
            "any_of",
            "list the comparisons under all_of (every one must hold) or any_of (one is enough)",
        )
        return self


class LadderRule(Level):
    """First matching rule wins: min_value ≤ metric (< max_value) and every condition holds."""

    min_value: Number
    max_value: Number | None = None
    conditions: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_range(self) -> LadderRule:
        if self.max_value is not None and not self.max_value > self.min_value:
            raise ConfigProblem(
                f"max_value {self.max_value:g} is not above min_value {self.min_value:g}",
                "give the band an upper bound above its lower bound, or leave max_value out",
                ("max_value",),
            )
        return self

    def covers(self, other: LadderRule) -> bool:
        """Whether this rule matches every customer ``other`` matches (so, listed first, it
        leaves ``other`` unreachable)."""
        upper = float("inf") if self.max_value is None else self.max_value
        other_upper = float("inf") if other.max_value is None else other.max_value
        return (
            self.min_value <= other.min_value
            and upper >= other_upper
            and set(self.conditions) <= set(other.conditions)
        )


class LadderConfig(_Model):
    """Volume ladder: ordered rules on an annual-volume metric, plus a catch-all level."""

    metric: Metric = "revenue_trailing"
    conditions: dict[Identifier, Condition] = {}
    rules: Annotated[tuple[LadderRule, ...], MinLen(1)]
    otherwise: Level
    display_order: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> LadderConfig:
        for index, rule in enumerate(self.rules):
            for position, name in enumerate(rule.conditions):
                if name not in self.conditions:
                    known = ", ".join(sorted(self.conditions)) or "none defined"
                    raise ConfigProblem(
                        f"condition '{name}' is not defined",
                        f"define it under tier.ladder.conditions (defined: {known})",
                        ("rules", index, "conditions", position),
                    )
        labels = [r.label for r in self.rules] + [self.otherwise.label]
        _unique(
            [(r.label, ("rules", i, "label")) for i, r in enumerate(self.rules)]
            + [(self.otherwise.label, ("otherwise", "label"))],
            "label",
        )
        for index, rule in enumerate(self.rules):
            for earlier in self.rules[:index]:
                if earlier.covers(rule):
                    raise ConfigProblem(
                        f"rule '{rule.label}' can never apply: '{earlier.label}' is listed "
                        "before it and matches every customer it would",
                        f"list '{rule.label}' before '{earlier.label}', or give it a narrower "
                        "range or other conditions",
                        ("rules", index),
                    )
        if self.display_order and sorted(self.display_order) != sorted(labels):
            raise ConfigProblem(
                "display_order must list every rule label and the otherwise label once",
                f"write display_order: [{', '.join(labels)}] in the order BI should sort them",
                ("display_order",),
            )
        return self


class Criterion(Scale):
    """A key-account criterion rated 1–9 (bands/map give ratings), times its weight."""

    name_zh: Text
    metric: Metric
    basis: Literal["value", "percentile"] = "value"
    weight: Weight = 1.0
    otherwise: Number = 1.0
    missing: Number = 1.0

    @model_validator(mode="after")
    def _check_criterion(self) -> Criterion:
        for points in self.all_points:
            if not 1 <= points <= 9:
                raise ConfigProblem(
                    f"rating {points} is outside 1..9",
                    "rate every band, category, 'otherwise' and 'missing' from 1 to 9",
                )
        return self


class CandidateScreen(_Model):
    """Who the multi-criteria score rates (seed 000 stars a shortlist, not every customer):
    the pyramid's top levels, or the top N customers by trailing revenue."""

    pyramid_levels: tuple[Text, ...] = ()
    top_n: Annotated[int, Strict(), at_least(1, "use a count ≥ 1")] | None = None

    @model_validator(mode="after")
    def _check(self) -> CandidateScreen:
        _exactly_one(
            self,
            "pyramid_levels",
            "top_n",
            "write e.g. {pyramid_levels: [vip, major]} or {top_n: 20}",
        )
        return self


class Steadiness(_Model):
    """One-off buyers (seed 002: 今年采购了两个亿…明后年他就不买了) are not key accounts by
    volume or score: bought in fewer than min_active_windows of the trailing windows the facts
    look at, or (optionally) with more than max_window_share of that revenue in one window."""

    min_active_windows: Annotated[
        int,
        Strict(),
        at_least(1, "use 2 (bought in at least two of the windows) or 1 to switch the rule off"),
    ] = 2
    max_window_share: (
        Annotated[
            Number,
            fraction("write e.g. 0.9 for 90 %, or null to switch the rule off", zero=False),
        ]
        | None
    ) = None


class KeyAccountConfig(_Model):
    """Key-account rules (大客户认定): revenue share, strategic flag, or a candidate's
    multi-criteria score at or above the candidates' mean; one-off buyers only by strategy."""

    revenue_share_metric: Metric = "revenue_share_trailing"
    min_revenue_share: Annotated[Number, fraction("write 0.05 for 5 %")] = 0.05
    strategic_metric: Metric | None = "is_strategic"
    candidates: CandidateScreen = CandidateScreen(pyramid_levels=("vip", "major"))
    score_threshold: Literal["mean"] | Number = "mean"
    steadiness: Steadiness = Steadiness()
    criteria: Annotated[dict[Identifier, Criterion], MinLen(1)]


class TierConfig(_Model):
    pyramid: PyramidConfig
    abc: AbcConfig
    ladder: LadderConfig
    key_account: KeyAccountConfig

    @model_validator(mode="after")
    def _check(self) -> TierConfig:
        known = [level.label for level in self.pyramid.levels]
        for index, level in enumerate(self.key_account.candidates.pyramid_levels):
            if level not in known:
                raise ConfigProblem(
                    f"candidate pyramid level '{level}' is not a level of tier.pyramid",
                    f"use one of: {', '.join(known)}",
                    ("key_account", "candidates", "pyramid_levels", index),
                )
        return self
