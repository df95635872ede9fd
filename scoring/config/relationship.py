"""The ``relationship`` section: service coverage, profitability, lifecycle stage and the top
customers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict, model_validator

from scoring.config.errors import ConfigProblem
from scoring.config.fields import Level, Number, Text, _Model, at_least, fraction

Days = Annotated[int, Strict(), at_least(0, "use a number of days ≥ 0")]


class ServiceCoverage(_Model):
    """Service by tier (seeds 000–002: two or more people in contact, regular visits)."""

    watched_pyramid_levels: tuple[Text, ...] = ("vip",)
    max_days_without_contact: Days = 30
    min_contact_employees: Annotated[int, Strict(), at_least(0, "use a number of people ≥ 0")] = 2
    small_pyramid_levels: tuple[Text, ...] = ("small",)
    max_cost_share_over_revenue_share: Number = 10.0

    @model_validator(mode="after")
    def _check(self) -> ServiceCoverage:
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

    handling_cost_per_order: Annotated[Number, at_least(0, "use a cost ≥ 0 (0 adds none)")] = 0.0


LIFECYCLE_STAGES = ("prospect", "newcomer", "growing", "stable", "declining", "lapsed")


class Lifecycle(_Model):
    """Lifecycle stage (seed 002: 建立/稳定/加强关系; seed 004: new buy / rebuy) from tenure,
    recency and the trailing year's revenue against the year before."""

    new_tenure_days: Days = 365
    lapsed_days_since_last_order: Days = 365
    growth_rate: Annotated[
        Number, at_least(0, "write e.g. 0.1: revenue more than 10 % above the year before")
    ] = 0.1
    decline_rate: Annotated[
        Number,
        fraction("write e.g. 0.1: revenue more than 10 % below the year before", one=False),
    ] = 0.1
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

    count: Annotated[int, Strict(), at_least(1, "use e.g. 10")] = 10


class RelationshipConfig(_Model):
    """Account-management rules beyond the tiers: service coverage, share of wallet,
    profitability, lifecycle stage and the top customers."""

    service: ServiceCoverage = ServiceCoverage()
    profitability: Profitability = Profitability()
    lifecycle: Lifecycle = Lifecycle()
    top_customers: TopCustomers = TopCustomers()
