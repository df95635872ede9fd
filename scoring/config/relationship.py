"""The ``relationship`` section: service coverage, profitability, lifecycle stage and the top
customers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict, model_validator

from scoring.config.errors import ConfigProblem
from scoring.config.fields import Level, Number, Text, _Model

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
