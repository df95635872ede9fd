"""The scoring configuration: ``config/scoring.yaml`` loaded into validated, frozen models.

Every threshold, share, weight, band and label of the tier, credit and churn rules lives in the
YAML file; :func:`load_scoring_config` checks it and reports each problem with the file, line,
column, key path (``tier.pyramid.shares[1]``), what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from annotated_types import MinLen
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from scoring.metrics import KNOWN_METRICS

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "scoring.yaml"
SHARE_DECIMALS = 9  # shares are exact to 9 decimal places (see tier.pyramid)
_TOLERANCE = 1e-9
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class ScoringConfigError(ValueError):
    """A problem in the scoring configuration file, with where it is and how to fix it."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = f"scoring configuration has {count} problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


class ConfigProblem(ValueError):
    """Raised inside validators: ``at`` extends the key path, ``fix`` tells the user what to do."""

    def __init__(self, problem: str, fix: str, at: tuple[str | int, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.at = at


# --------------------------------------------------------------------------- field types


def _check_metric(name: str) -> str:
    if name not in KNOWN_METRICS:
        close = difflib.get_close_matches(name, sorted(KNOWN_METRICS), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see docs/facts.md for the columns"
        raise ConfigProblem(f"unknown metric '{name}'", f"name a customer-facts column; {hint}")
    return name


def _check_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ConfigProblem(
            f"'{name}' is not a valid name (it becomes part of an output column name)",
            "use lower-case letters, digits and underscores, starting with a letter",
        )
    return name


Number = Annotated[float, Strict()]
Text = Annotated[str, Strict(), MinLen(1)]
Metric = Annotated[str, Strict(), AfterValidator(_check_metric)]
Identifier = Annotated[str, Strict(), AfterValidator(_check_identifier)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique(names: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise ConfigProblem(
                f"{what} '{name}' appears twice", f"give each {what} its own name", (index,)
            )
        seen.add(name)


class Level(_Model):
    """An output label with its Chinese name (e.g. ``vip`` / ``VIP客户``)."""

    label: Text
    name_zh: Text


# --------------------------------------------------------------------------- tier


def _check_shares(shares: Sequence[float], field: str) -> None:
    for index, share in enumerate(shares):
        if not 0 <= share <= 1:
            raise ConfigProblem(
                f"share {share} is outside 0..1", "write shares as fractions (0.15 = 15 %)",
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


class PyramidConfig(_Model):
    """Customer pyramid (客户金字塔): fixed shares of customers by rank."""

    metric: Metric = "revenue_trailing"
    shares: tuple[Number, ...]
    levels: tuple[Level, ...]

    @model_validator(mode="after")
    def _check(self) -> PyramidConfig:
        _check_shares(self.shares, "shares")
        if len(self.levels) != len(self.shares) or len(self.levels) < 2:
            raise ConfigProblem(
                f"{len(self.levels)} levels but {len(self.shares)} shares",
                "give one share per level, at least two levels, top level first",
                ("levels",),
            )
        _unique([lv.label for lv in self.levels], "label")
        return self


class AbcConfig(_Model):
    """ABC classes by the Pareto rule (二八法则): shares of cumulative revenue."""

    metric: Metric = "revenue_trailing"
    shares: tuple[Number, ...]
    classes: tuple[Level, ...]

    @model_validator(mode="after")
    def _check(self) -> AbcConfig:
        _check_shares(self.shares, "shares")
        if len(self.classes) != len(self.shares) or len(self.classes) < 2:
            raise ConfigProblem(
                f"{len(self.classes)} classes but {len(self.shares)} shares",
                "give one share of cumulative revenue per class, top class first",
                ("classes",),
            )
        _unique([c.label for c in self.classes], "label")
        return self


class Comparison(_Model):
    """``metric op value`` or ``metric op factor × other_metric``; a null side is not met."""

    metric: Metric
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: Number | None = None
    other_metric: Metric | None = None
    factor: Number = 1.0

    @model_validator(mode="after")
    def _check(self) -> Comparison:
        if (self.value is None) == (self.other_metric is None):
            raise ConfigProblem(
                "a comparison needs exactly one of 'value' or 'other_metric'",
                "write e.g. {metric: days_past_due, op: '<=', value: 30}",
            )
        return self


class Condition(_Model):
    """A named condition: all of / any of a list of comparisons."""

    name_zh: Text
    all_of: tuple[Comparison, ...] = ()
    any_of: tuple[Comparison, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Condition:
        if bool(self.all_of) == bool(self.any_of):
            raise ConfigProblem(
                "a condition needs exactly one non-empty list: 'all_of' or 'any_of'",
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
        _unique(labels, "label")
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


class Band(_Model):
    """One band: value ≥ at_least (higher is better) or value ≤ at_most (lower is better)."""

    at_least: Number | None = None
    at_most: Number | None = None
    points: Number

    @model_validator(mode="after")
    def _check(self) -> Band:
        if (self.at_least is None) == (self.at_most is None):
            raise ConfigProblem(
                "a band needs exactly one of 'at_least' or 'at_most'",
                "write e.g. {at_least: 0.95, points: 12} or {at_most: 30, points: 4}",
            )
        return self


class Scale(_Model):
    """Turns a metric value into points: descending bands or a value → points map."""

    bands: tuple[Band, ...] = ()
    points_by_value: dict[str, Number] = {}
    otherwise: Number = 0.0
    missing: Number = 0.0

    @model_validator(mode="after")
    def _check_scale(self) -> Scale:
        if bool(self.bands) == bool(self.points_by_value):
            raise ConfigProblem(
                "give exactly one of 'bands' or 'points_by_value'",
                "use bands for numbers, points_by_value for categories such as industry",
            )
        if self.bands:
            _check_bands(self.bands, self.otherwise)
        return self

    @property
    def all_points(self) -> list[float]:
        listed = [b.points for b in self.bands] + list(self.points_by_value.values())
        return [*listed, self.otherwise, self.missing]

    @property
    def best_points(self) -> float:
        return max([b.points for b in self.bands] + list(self.points_by_value.values()))


def _check_bands(bands: Sequence[Band], otherwise: float) -> None:
    higher = bands[0].at_least is not None
    for index, band in enumerate(bands):
        if (band.at_least is not None) != higher:
            raise ConfigProblem(
                "bands mix at_least and at_most",
                "use at_least in every band (higher is better) or at_most in every band",
                ("bands", index),
            )
    for index in range(1, len(bands)):
        previous, band = bands[index - 1], bands[index]
        if higher and not band.at_least < previous.at_least:  # type: ignore[operator]
            raise ConfigProblem(
                f"bands not descending: at_least {band.at_least} follows {previous.at_least}",
                "list at_least bands from the highest threshold down",
                ("bands", index, "at_least"),
            )
        if not higher and not band.at_most > previous.at_most:  # type: ignore[operator]
            raise ConfigProblem(
                f"bands not ascending: at_most {band.at_most} follows {previous.at_most}",
                "list at_most bands from the lowest (best) threshold up",
                ("bands", index, "at_most"),
            )
        if band.points > previous.points:
            raise ConfigProblem(
                f"band awards {band.points} points, more than the better band before it",
                "points must not increase as the thresholds get worse",
                ("bands", index, "points"),
            )
    if otherwise > bands[-1].points:
        raise ConfigProblem(
            f"otherwise ({otherwise}) awards more than the last band ({bands[-1].points})",
            "lower 'otherwise' to at most the last band's points",
            ("otherwise",),
        )


class Criterion(Scale):
    """A key-account criterion rated 1–9 (bands/map give ratings), times its weight."""

    name_zh: Text
    metric: Metric
    basis: Literal["value", "percentile"] = "value"
    weight: Number = 1.0
    otherwise: Number = 1.0
    missing: Number = 1.0

    @model_validator(mode="after")
    def _check_criterion(self) -> Criterion:
        if self.weight < 0:
            raise ConfigProblem(
                f"weight {self.weight} is negative", "use a weight ≥ 0", ("weight",)
            )
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
    top_n: Annotated[int, Strict()] | None = None

    @model_validator(mode="after")
    def _check(self) -> CandidateScreen:
        if bool(self.pyramid_levels) == (self.top_n is not None):
            raise ConfigProblem(
                "give exactly one of 'pyramid_levels' or 'top_n'",
                "write e.g. {pyramid_levels: [vip, major]} or {top_n: 20}",
            )
        if self.top_n is not None and self.top_n < 1:
            raise ConfigProblem(f"top_n {self.top_n} is below 1", "use a count ≥ 1", ("top_n",))
        return self


class Steadiness(_Model):
    """One-off buyers (seed 002: 今年采购了两个亿…明后年他就不买了) are not key accounts by
    volume or score: bought in fewer than min_active_windows of the trailing windows the facts
    look at, or (optionally) with more than max_window_share of that revenue in one window."""

    min_active_windows: Annotated[int, Strict()] = 2
    max_window_share: Number | None = None

    @model_validator(mode="after")
    def _check(self) -> Steadiness:
        if self.min_active_windows < 1:
            raise ConfigProblem(
                f"min_active_windows {self.min_active_windows} is below 1",
                "use 2 (bought in at least two of the windows) or 1 to switch the rule off",
                ("min_active_windows",),
            )
        if self.max_window_share is not None and not 0 < self.max_window_share <= 1:
            raise ConfigProblem(
                f"max_window_share {self.max_window_share} is outside (0, 1]",
                "write e.g. 0.9 for 90 %, or null to switch the rule off",
                ("max_window_share",),
            )
        return self


class KeyAccountConfig(_Model):
    """Key-account rules (大客户认定): revenue share, strategic flag, or a candidate's
    multi-criteria score at or above the candidates' mean; one-off buyers only by strategy."""

    revenue_share_metric: Metric = "revenue_share_trailing"
    min_revenue_share: Number = 0.05
    strategic_metric: Metric | None = "is_strategic"
    candidates: CandidateScreen = CandidateScreen(pyramid_levels=("vip", "major"))
    score_threshold: Literal["mean"] | Number = "mean"
    steadiness: Steadiness = Steadiness()
    criteria: Annotated[dict[Identifier, Criterion], MinLen(1)]

    @field_validator("min_revenue_share")
    @classmethod
    def _share_range(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ConfigProblem(
                f"min_revenue_share {value} is outside 0..1", "write 0.05 for 5 %"
            )
        return value


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


# --------------------------------------------------------------------------- relationship

Days = Annotated[int, Strict()]


def _check_non_negative(value: float, name: str) -> None:
    if value < 0:
        raise ConfigProblem(f"{name} {value:g} is negative", f"use a {name} ≥ 0", (name,))


class ServiceCoverage(_Model):
    """Service by tier (seeds 000–002: two or more people in contact, regular visits)."""

    watched_pyramid_levels: tuple[Text, ...] = ("vip",)
    max_days_without_contact: Days = 30
    min_contact_employees: Days = 2
    small_pyramid_levels: tuple[Text, ...] = ("small",)
    max_cost_share_over_revenue_share: Number = 10.0

    @model_validator(mode="after")
    def _check(self) -> ServiceCoverage:
        _check_non_negative(self.max_days_without_contact, "max_days_without_contact")
        _check_non_negative(self.min_contact_employees, "min_contact_employees")
        if not self.max_cost_share_over_revenue_share > 0:
            raise ConfigProblem(
                f"max_cost_share_over_revenue_share {self.max_cost_share_over_revenue_share:g} "
                "is not positive",
                "write e.g. 10 (cost share more than ten times the revenue share)",
                ("max_cost_share_over_revenue_share",),
            )
        return self


class Profitability(_Model):
    """Unprofitable customers (seed 004: 找出他们是谁): contribution after cost to serve and a
    handling cost per order below zero."""

    handling_cost_per_order: Number = 0.0

    @model_validator(mode="after")
    def _check(self) -> Profitability:
        _check_non_negative(self.handling_cost_per_order, "handling_cost_per_order")
        return self


LIFECYCLE_STAGES = ("prospect", "newcomer", "growing", "stable", "declining", "lapsed")


class Lifecycle(_Model):
    """Lifecycle stage (seed 002: 建立/稳定/加强关系; seed 004: new buy / rebuy) from tenure,
    recency and the trailing year's revenue against the year before."""

    new_tenure_days: Days = 365
    lapsed_days_since_last_order: Days = 365
    growth_rate: Number = 0.1
    decline_rate: Number = 0.1
    names_zh: dict[str, Text] = {
        "prospect": "潜在客户",
        "newcomer": "新客户",
        "growing": "成长客户",
        "stable": "稳定客户",
        "declining": "衰退客户",
        "lapsed": "沉睡客户",
    }

    @model_validator(mode="after")
    def _check(self) -> Lifecycle:
        for name in ("new_tenure_days", "lapsed_days_since_last_order", "growth_rate"):
            _check_non_negative(getattr(self, name), name)
        if not 0 <= self.decline_rate < 1:
            raise ConfigProblem(
                f"decline_rate {self.decline_rate:g} is outside 0..1",
                "write e.g. 0.1: revenue more than 10 % below the year before",
                ("decline_rate",),
            )
        if sorted(self.names_zh) != sorted(LIFECYCLE_STAGES):
            raise ConfigProblem(
                "names_zh must name every stage once",
                f"give a Chinese name to each of: {', '.join(LIFECYCLE_STAGES)}",
                ("names_zh",),
            )
        return self

    @property
    def levels(self) -> tuple[Level, ...]:
        return tuple(Level(label=s, name_zh=self.names_zh[s]) for s in LIFECYCLE_STAGES)


class TopCustomers(_Model):
    """The top N customers by trailing revenue (seed 000: 前十名; seed 004: 名列前十位)."""

    count: Days = 10

    @model_validator(mode="after")
    def _check(self) -> TopCustomers:
        if self.count < 1:
            raise ConfigProblem(f"count {self.count} is below 1", "use e.g. 10", ("count",))
        return self


class RelationshipConfig(_Model):
    """Account-management rules beyond the tiers: service coverage, share of wallet,
    profitability, lifecycle stage and the top customers."""

    service: ServiceCoverage = ServiceCoverage()
    profitability: Profitability = Profitability()
    lifecycle: Lifecycle = Lifecycle()
    top_customers: TopCustomers = TopCustomers()


# --------------------------------------------------------------------------- credit


class Indicator(Scale):
    """A credit indicator: a metric scored by bands (or a category map) up to max_points."""

    name_zh: Text
    metric: Metric
    max_points: Number

    @model_validator(mode="after")
    def _check_indicator(self) -> Indicator:
        for points in self.all_points:
            if points < 0 or points > self.max_points:
                raise ConfigProblem(
                    f"points {points} outside 0..max_points ({self.max_points})",
                    "keep every band, category, 'otherwise' and 'missing' within 0..max_points",
                )
        if abs(self.best_points - self.max_points) > _TOLERANCE:
            raise ConfigProblem(
                f"the best band gives {self.best_points} points but max_points is "
                f"{self.max_points}",
                "let the best band award max_points, or lower max_points",
                ("max_points",),
            )
        return self


class CreditCategory(_Model):
    name_zh: Text
    points: Number
    financial: bool
    indicators: Annotated[dict[Identifier, Indicator], MinLen(1)]

    @model_validator(mode="after")
    def _check(self) -> CreditCategory:
        total = sum(i.max_points for i in self.indicators.values())
        if abs(total - self.points) > _TOLERANCE:
            raise ConfigProblem(
                f"indicators' max_points sum to {total:g}, category points is {self.points:g}",
                "make the indicators' max_points add up to the category's points",
                ("points",),
            )
        return self


class Grade(Level):
    min_score: Number


class MissingFinancials(_Model):
    """What to do when a customer has no (recent) financial statement."""

    policy: Literal["neutral", "zero", "rescale"] = "neutral"
    neutral_fraction: Number = 0.5
    max_statement_age_days: int | None = None

    @field_validator("neutral_fraction")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ConfigProblem(
                f"neutral_fraction {value} is outside 0..1", "write 0.5 for half the points"
            )
        return value


class CreditConfig(_Model):
    """Quarterly 100-point credit scorecard (客户信用等级)."""

    total_points: Number = 100.0
    financial_points: Number = 30.0
    score_decimals: int = 2
    categories: Annotated[dict[Identifier, CreditCategory], MinLen(1)]
    grades: Annotated[tuple[Grade, ...], MinLen(2)]
    missing_financials: MissingFinancials = MissingFinancials()

    @model_validator(mode="after")
    def _check(self) -> CreditConfig:
        total = sum(c.points for c in self.categories.values())
        if abs(total - self.total_points) > _TOLERANCE:
            raise ConfigProblem(
                f"category points sum to {total:g}, not total_points ({self.total_points:g})",
                "make the categories' points add up to total_points",
                ("categories",),
            )
        financial = sum(c.points for c in self.categories.values() if c.financial)
        if abs(financial - self.financial_points) > _TOLERANCE:
            raise ConfigProblem(
                f"financial categories sum to {financial:g}, not financial_points "
                f"({self.financial_points:g})",
                "mark the right categories 'financial: true' or change financial_points",
                ("financial_points",),
            )
        if financial >= self.total_points:
            raise ConfigProblem(
                "no non-financial points left", "keep some non-financial categories",
                ("financial_points",),
            )
        names: list[str] = [n for c in self.categories.values() for n in c.indicators]
        _unique(names, "indicator name")
        for index in range(1, len(self.grades)):
            if not self.grades[index].min_score < self.grades[index - 1].min_score:
                raise ConfigProblem(
                    f"grade bands not descending: {self.grades[index].min_score} follows "
                    f"{self.grades[index - 1].min_score}",
                    "list grades from the best (highest min_score) down",
                    ("grades", index, "min_score"),
                )
        if self.grades[-1].min_score > 0:
            raise ConfigProblem(
                f"the last grade starts at {self.grades[-1].min_score}, so low scores get none",
                "set the last grade's min_score to 0",
                ("grades", len(self.grades) - 1, "min_score"),
            )
        _unique([g.label for g in self.grades], "label")
        return self

    @property
    def indicators(self) -> dict[str, Indicator]:
        return {n: i for c in self.categories.values() for n, i in c.indicators.items()}


# --------------------------------------------------------------------------- churn


class _Signal(_Model):
    name_zh: Text
    enabled: bool = True
    weight: Number

    @field_validator("weight")
    @classmethod
    def _weight(cls, value: float) -> float:
        if value < 0:
            raise ConfigProblem(f"weight {value} is negative", "use a weight ≥ 0")
        return value


class NoRecentOrderSignal(_Signal):
    """days_since_last_order > cycle_multiple × mean_days_between_orders."""

    cycle_multiple: Number = 2.0


class RevenueDropSignal(_Signal):
    """revenue_recent < max_ratio × revenue_recent_last_year."""

    max_ratio: Number = 0.5


class OpenComplaintsSignal(_Signal):
    """open_complaint_count ≥ min_count."""

    min_count: int = 1


class ProductDependenceSignal(_Model):
    """1 ≤ distinct_categories_trailing ≤ the largest count in weight_by_categories.

    Seeds 003/004: customers using one, two, three products stay at 17.3 %, 46 %, 86 %; the
    weight depends on the count (fewer categories, heavier).
    """

    name_zh: Text
    enabled: bool = True
    weight_by_categories: dict[int, Number]

    @field_validator("weight_by_categories")
    @classmethod
    def _weights(cls, value: dict[int, float]) -> dict[int, float]:
        if not value:
            raise ConfigProblem(
                "no category count given", "map category counts to weights, e.g. {1: 2, 2: 1}"
            )
        for count, weight in value.items():
            if count < 1:
                raise ConfigProblem(f"category count {count} < 1", "use counts 1, 2, …")
            if weight < 0:
                raise ConfigProblem(f"weight {weight} is negative", "use a weight ≥ 0")
        return value

    @property
    def weight(self) -> float:
        """The largest weight (what the sign adds at most)."""
        return max(self.weight_by_categories.values())


class PaymentWorseningSignal(_Signal):
    """average_days_past_due_recent − average_days_past_due_trailing > min_increase_days."""

    min_increase_days: Number = 15.0


class ContactQuietSignal(_Signal):
    """interaction_count_recent < max_ratio × interaction_count_prior_recent."""

    max_ratio: Number = 0.5


class ModelInactiveSignal(_Signal):
    """BG/NBD probability alive < max_probability_alive."""

    max_probability_alive: Number = 0.5


class ChurnSignals(_Model):
    no_recent_order: NoRecentOrderSignal
    revenue_drop: RevenueDropSignal
    open_complaints: OpenComplaintsSignal
    product_dependence: ProductDependenceSignal
    payment_worsening: PaymentWorseningSignal
    contact_quiet: ContactQuietSignal
    model_inactive: ModelInactiveSignal


class RiskLevel(Level):
    min_probability: Number


class CallListConfig(_Model):
    """Who is flagged (is_churn_risk): the top of the ranking by churn probability × value."""

    top_share: Number | None = 0.05
    top_n: int | None = None
    min_probability: Number = 0.5

    @model_validator(mode="after")
    def _check(self) -> CallListConfig:
        if self.top_share is None and self.top_n is None:
            raise ConfigProblem(
                "neither top_share nor top_n is set",
                "size the call list: set top_share (e.g. 0.05) and/or top_n (e.g. 100)",
            )
        if self.top_share is not None and not 0 < self.top_share <= 1:
            raise ConfigProblem(
                f"top_share {self.top_share} is outside (0, 1]",
                "write a fraction of customers, e.g. 0.05 for 5 %",
                ("top_share",),
            )
        if self.top_n is not None and self.top_n < 1:
            raise ConfigProblem(f"top_n {self.top_n} < 1", "use a count ≥ 1", ("top_n",))
        if not 0 <= self.min_probability <= 1:
            raise ConfigProblem(
                f"min_probability {self.min_probability} is outside 0..1",
                "write a probability, e.g. 0.5",
                ("min_probability",),
            )
        return self


class LifetimeValueConfig(_Model):
    """Customer lifetime value: discounted expected purchases × expected value per purchase."""

    horizon_days: int = 1095
    annual_discount_rate: Number = 0.10
    value_basis: Literal["contribution", "revenue"] = "contribution"

    @model_validator(mode="after")
    def _check(self) -> LifetimeValueConfig:
        if self.horizon_days <= 0:
            raise ConfigProblem(
                f"horizon {self.horizon_days} is not positive",
                "use a number of days ≥ 1",
                ("horizon_days",),
            )
        if not 0 <= self.annual_discount_rate < 1:
            raise ConfigProblem(
                f"annual_discount_rate {self.annual_discount_rate} is outside [0, 1)",
                "write a yearly rate as a fraction, e.g. 0.10 for 10 %",
                ("annual_discount_rate",),
            )
        return self


class ChurnConfig(_Model):
    """Churn probability, warning signs (reason codes), risk levels, call list, lifetime value."""

    # First choice of repeat-buying model; the other one, then a model-free estimate, are the
    # fallbacks when a fit is rejected (docs/churn-model.md).
    model: Literal["mbgnbd", "bgnbd"] = "mbgnbd"
    prediction_horizon_days: int = 90
    # Stretch a slow buyer's horizon to this many of their own mean days between orders
    # (0: the same horizon for everyone).
    horizon_cycle_multiple: Number = 0.0
    min_repeat_buyers: int = 20
    signals: ChurnSignals
    risk_levels: Annotated[tuple[RiskLevel, ...], MinLen(2)]
    call_list: CallListConfig
    lifetime_value: LifetimeValueConfig

    @field_validator("prediction_horizon_days")
    @classmethod
    def _horizon(cls, value: int) -> int:
        if value <= 0:
            raise ConfigProblem(f"horizon {value} is not positive", "use a number of days ≥ 1")
        return value

    @field_validator("horizon_cycle_multiple")
    @classmethod
    def _cycle_multiple(cls, value: float) -> float:
        if value < 0:
            raise ConfigProblem(
                f"horizon_cycle_multiple {value} is negative", "use 0 (off) or a multiple > 0"
            )
        return value

    @field_validator("min_repeat_buyers")
    @classmethod
    def _repeat_buyers(cls, value: int) -> int:
        if value < 2:
            raise ConfigProblem(
                f"min_repeat_buyers {value} < 2", "a model needs at least 2 repeat buyers"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> ChurnConfig:
        levels = self.risk_levels
        for index in range(1, len(levels)):
            if not levels[index].min_probability < levels[index - 1].min_probability:
                raise ConfigProblem(
                    "risk levels not descending",
                    "list risk levels from the highest min_probability down",
                    ("risk_levels", index, "min_probability"),
                )
        if self.risk_levels[0].min_probability > 1:
            raise ConfigProblem(
                "min_probability above 1", "write a probability within 0..1",
                ("risk_levels", 0, "min_probability"),
            )
        if self.risk_levels[-1].min_probability > 0:
            raise ConfigProblem(
                "the last risk level must start at 0", "set its min_probability to 0",
                ("risk_levels", len(self.risk_levels) - 1, "min_probability"),
            )
        _unique([r.label for r in self.risk_levels], "label")
        return self


# --------------------------------------------------------------------------- gates


class GatesConfig(_Model):
    """Drift gates on the scores: a business date against the previous business date scored
    in the same history (docs/quality-gates.md). Shares are fractions (0.15 = 15 pp)."""

    churn_share_error: Number = 0.15
    churn_share_warn: Number = 0.05
    customer_drop_error: Number = 0.20
    grade_spread_min_customers: Annotated[int, Strict()] = 20

    @model_validator(mode="after")
    def _check(self) -> GatesConfig:
        if not 0 <= self.churn_share_warn <= self.churn_share_error <= 1:
            raise ConfigProblem(
                f"need 0 ≤ churn_share_warn ({self.churn_share_warn:g}) ≤ churn_share_error "
                f"({self.churn_share_error:g}) ≤ 1",
                "write fractions, the warning below the error (0.05 and 0.15)",
            )
        if not 0 <= self.customer_drop_error <= 1:
            raise ConfigProblem(
                f"customer_drop_error {self.customer_drop_error:g} is outside 0..1",
                "write a fraction (0.2 = 20 %)",
                ("customer_drop_error",),
            )
        if self.grade_spread_min_customers < 0:
            raise ConfigProblem(
                f"grade_spread_min_customers {self.grade_spread_min_customers} is negative",
                "use a count ≥ 0",
                ("grade_spread_min_customers",),
            )
        return self


# --------------------------------------------------------------------------- document


class _Document(_Model):
    tier: TierConfig
    relationship: RelationshipConfig = RelationshipConfig()
    credit: CreditConfig
    churn: ChurnConfig
    gates: GatesConfig = GatesConfig()

    @model_validator(mode="after")
    def _check(self) -> _Document:
        known = [level.label for level in self.tier.pyramid.levels]
        service = self.relationship.service
        for key in ("watched_pyramid_levels", "small_pyramid_levels"):
            for index, level in enumerate(getattr(service, key)):
                if level not in known:
                    raise ConfigProblem(
                        f"pyramid level '{level}' is not a level of tier.pyramid",
                        f"use one of: {', '.join(known)}",
                        ("relationship", "service", key, index),
                    )
        return self


@dataclass(frozen=True)
class ScoringConfig:
    """The validated scoring rules, their version and where they came from."""

    tier: TierConfig
    relationship: RelationshipConfig
    credit: CreditConfig
    churn: ChurnConfig
    gates: GatesConfig
    version: str
    source: Path


def load_scoring_config(path: str | Path) -> ScoringConfig:
    """Load and validate a scoring YAML file; raise :class:`ScoringConfigError` on problems."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScoringConfigError(
            [f"{path}: file not found — create it (copy config/scoring.yaml) or fix the path"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoringConfigError(
            [f"{path}: cannot read the file ({exc}); save it as UTF-8 text"]
        ) from None
    marks, data = _parse_yaml(path, text)
    if not isinstance(data, dict):
        raise ScoringConfigError(
            [f"{path}:1:1: the file must be a mapping with keys tier, credit and churn"]
        )
    try:
        document = _Document.model_validate(data)
    except ValidationError as exc:
        raise ScoringConfigError(list(_describe(path, marks, exc))) from None
    return ScoringConfig(
        tier=document.tier,
        relationship=document.relationship,
        credit=document.credit,
        churn=document.churn,
        gates=document.gates,
        version=config_version(document),
        source=path,
    )


def default_config() -> ScoringConfig:
    """The shipped ``config/scoring.yaml``."""
    return load_scoring_config(DEFAULT_CONFIG_PATH)


def config_version(document: BaseModel) -> str:
    """Short sha256 of the normalised rules: unchanged by comments, whitespace or key order."""
    canonical = json.dumps(
        document.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- error reporting

_Path = tuple[str | int, ...]


def _parse_yaml(path: Path, text: str) -> tuple[dict[_Path, yaml.Mark], Any]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScoringConfigError(
            [f"{where}: not valid YAML ({problem}) — fix the indentation or quoting there"]
        ) from None
    marks: dict[_Path, yaml.Mark] = {}
    if root is not None:
        duplicates = list(_walk(root, (), marks))
        if duplicates:
            raise ScoringConfigError(
                [
                    f"{path}:{m.line + 1}:{m.column + 1}: {_dotted(p)}: key appears twice — "
                    "keep only one"
                    for p, m in duplicates
                ]
            )
    return marks, data


def _walk(
    node: yaml.Node, at: _Path, marks: dict[_Path, yaml.Mark]
) -> Iterator[tuple[_Path, yaml.Mark]]:
    """Record the position of every key path; yield duplicate keys."""
    marks.setdefault(at, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            child = (*at, str(key.value))
            if key.value in seen:
                yield child, key.start_mark
            seen.add(key.value)
            marks[child] = key.start_mark
            yield from _walk(value, child, marks)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*at, index), marks)


def _dotted(at: _Path) -> str:
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def _position(path: Path, marks: Mapping[_Path, yaml.Mark], at: _Path) -> str:
    for length in range(len(at), -1, -1):
        mark = marks.get(at[:length])
        if mark is not None:
            return f"{path}:{mark.line + 1}:{mark.column + 1}"
    return str(path)


_FIXES = {
    "missing": "add this key (see docs/scoring.md for its meaning and default)",
    "extra_forbidden": "remove it or fix its spelling (see docs/scoring.md for the allowed keys)",
    "float_type": "write a number without quotes, e.g. 0.9",
    "int_type": "write a whole number without quotes, e.g. 30",
    "string_type": "write text, e.g. a label in quotes",
    "bool_type": "write true or false",
    "literal_error": "use one of the allowed values",
    "too_short": "add at least one entry",
    "tuple_type": "write a list, e.g. [0.01, 0.04]",
    "dict_type": "write a mapping of name: settings",
    "model_type": "write a mapping of key: value",
}


def _describe(path: Path, marks: Mapping[_Path, yaml.Mark], exc: ValidationError) -> Iterator[str]:
    for error in exc.errors():
        at: _Path = tuple(p for p in error["loc"] if not _is_union_tag(p))
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ConfigProblem):
            at = (*at, *cause.at)
            problem, fix = cause.problem, cause.fix
        elif error["type"] == "extra_forbidden":
            problem, fix = f"unknown key '{at[-1]}'", _FIXES["extra_forbidden"]
        elif error["type"] == "missing":
            problem, fix = "required key is missing", _FIXES["missing"]
        else:
            problem = f"{error['msg']} (got {error['input']!r})"
            fix = _FIXES.get(error["type"], "see docs/scoring.md")
        yield f"{_position(path, marks, at)}: {_dotted(at)}: {problem} — fix: {fix}"


def _is_union_tag(part: str | int) -> bool:
    """Pydantic adds the union member (``float``, ``literal['mean']``) to the location."""
    if not isinstance(part, str):
        return False
    return part in {"float", "int", "str", "bool", "none"} or part.startswith(
        ("literal[", "function-")
    )
