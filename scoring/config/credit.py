"""The ``credit`` section: the quarterly 100-point credit scorecard (客户信用等级)."""

from __future__ import annotations

from typing import Annotated, Literal

from annotated_types import MinLen
from pydantic import model_validator

from scoring.config.errors import ConfigProblem
from scoring.config.fields import (
    _TOLERANCE,
    Identifier,
    Level,
    Metric,
    Number,
    Text,
    _Model,
    _unique,
    _unique_labels,
    fraction,
)
from scoring.config.scales import Scale


def _check_total(total: float, expected: float, problem: str, fix: str, key: str) -> None:
    """Points must add up: ``total`` equal to ``expected`` (to float rounding), else ``problem``
    at ``key``."""
    if abs(total - expected) > _TOLERANCE:
        raise ConfigProblem(problem, fix, (key,))


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
        _check_total(
            self.best_points,
            self.max_points,
            f"the best band gives {self.best_points} points but max_points is {self.max_points}",
            "let the best band award max_points, or lower max_points",
            "max_points",
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
        _check_total(
            total,
            self.points,
            f"indicators' max_points sum to {total:g}, category points is {self.points:g}",
            "make the indicators' max_points add up to the category's points",
            "points",
        )
        return self


class Grade(Level):
    min_score: Number


class MissingFinancials(_Model):
    """What to do when a customer has no (recent) financial statement."""

    policy: Literal["neutral", "zero", "rescale"] = "neutral"
    neutral_fraction: Annotated[Number, fraction("write 0.5 for half the points")] = 0.5
    max_statement_age_days: int | None = None


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
        _check_total(
            total,
            self.total_points,
            f"category points sum to {total:g}, not total_points ({self.total_points:g})",
            "make the categories' points add up to total_points",
            "categories",
        )
        financial = sum(c.points for c in self.categories.values() if c.financial)
        _check_total(
            financial,
            self.financial_points,
            f"financial categories sum to {financial:g}, not financial_points "
            f"({self.financial_points:g})",
            "mark the right categories 'financial: true' or change financial_points",
            "financial_points",
        )
        if financial >= self.total_points:
            raise ConfigProblem(
                "no non-financial points left",
                "keep some non-financial categories",
                ("financial_points",),
            )
        _unique(
            (
                (name, ("categories", category, "indicators", name))
                for category, c in self.categories.items()
                for name in c.indicators
            ),
            "indicator name",
        )
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
        _unique_labels(self.grades, "grades")
        return self

    @property
    def indicators(self) -> dict[str, Indicator]:
        return {n: i for c in self.categories.values() for n, i in c.indicators.items()}
