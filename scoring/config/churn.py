"""The ``churn`` section: warning signs, risk levels, call list, lifetime value and the
repeat-buying model's settings."""

from __future__ import annotations

from typing import Annotated, Literal

from annotated_types import MinLen
from pydantic import ValidationInfo, field_validator, model_validator

from scoring.config.errors import ConfigProblem
from scoring.config.fields import (
    Level,
    Number,
    Text,
    Weight,
    _exactly_one,
    _Model,
    _unique_labels,
    at_least,
    fraction,
)

HorizonDays = Annotated[int, at_least(1, "use a number of days ≥ 1")]
Count = Annotated[int, at_least(1, "use a count ≥ 1")]


class _Signal(_Model):
    name_zh: Text
    enabled: bool = True
    weight: Weight


class _DropSignal(_Signal):
    """A figure of the recent window below ``max_ratio`` × the figure it is compared with."""

    max_ratio: Annotated[Number, at_least(0, "write a ratio ≥ 0, e.g. 0.5 for half")] = 0.5


class NoRecentOrderSignal(_Signal):
    """days_since_last_order > cycle_multiple × mean_days_between_orders."""

    cycle_multiple: Annotated[
        Number, at_least(0, "use a multiple of the customer's own order cycle, e.g. 2")
    ] = 2.0


class RevenueDropSignal(_DropSignal):
    """revenue_recent < max_ratio × revenue_recent_last_year."""


class OpenComplaintsSignal(_Signal):
    """open_complaint_count ≥ min_count."""

    min_count: Count = 1


class ProductDependenceSignal(_Model):
    """1 ≤ distinct products bought over the trailing window ≤ the largest count weighed.

    Seed 003 (客户依赖度): customers using one, two, three products stay at 17.3 %, 46 %, 86 %;
    the weight depends on the count (fewer products, heavier). ``weight_by_products`` counts
    distinct_products_trailing; ``weight_by_categories`` counts distinct_categories_trailing
    instead, for a catalogue whose product ids are finer (sizes, colours) than the products a
    customer "uses". Exactly one of the two is given.
    """

    name_zh: Text
    enabled: bool = True
    weight_by_products: dict[int, Number] | None = None
    weight_by_categories: dict[int, Number] | None = None

    @field_validator("weight_by_products", "weight_by_categories")
    @classmethod
    def _weights(
        cls, value: dict[int, float] | None, info: ValidationInfo
    ) -> dict[int, float] | None:
        if value is None:
            return value
        what = "product" if info.field_name == "weight_by_products" else "category"
        if not value:
            raise ConfigProblem(
                f"no {what} count given", f"map {what} counts to weights, e.g. {{1: 2, 2: 1}}"
            )
        for count, weight in value.items():
            if count < 1:
                raise ConfigProblem(f"{what} count {count} < 1", "use counts 1, 2, …")
            if weight < 0:
                raise ConfigProblem(f"weight {weight} is negative", "use a weight ≥ 0")
        return value

    @model_validator(mode="after")
    def _one_count(self) -> ProductDependenceSignal:
        _exactly_one(
            self,
            "weight_by_products",
            "weight_by_categories",
            "give one: weight_by_products: {1: 2, 2: 1} weighs the distinct products bought "
            "over the trailing window, weight_by_categories the distinct categories",
        )
        return self

    @property
    def column(self) -> str:
        """The facts column counted: distinct products, or categories, of the trailing window."""
        if self.weight_by_products is not None:
            return "distinct_products_trailing"
        return "distinct_categories_trailing"

    @property
    def weights(self) -> dict[int, float]:
        """Count → weight, from whichever of the two mappings is given."""
        weights = self.weight_by_products or self.weight_by_categories or {}
        return {int(count): float(weight) for count, weight in weights.items()}

    @property
    def weight(self) -> float:
        """The largest weight (what the sign adds at most)."""
        return max(self.weights.values())


class PaymentWorseningSignal(_Signal):
    """average_days_past_due_recent − average_days_past_due_trailing > min_increase_days."""

    min_increase_days: Annotated[Number, at_least(0, "use a number of days ≥ 0")] = 15.0


class ContactQuietSignal(_DropSignal):
    """interaction_count_recent < max_ratio × interaction_count_prior_recent."""


class ModelInactiveSignal(_Signal):
    """BG/NBD probability alive < max_probability_alive."""

    max_probability_alive: Annotated[Number, fraction("write a probability, e.g. 0.5")] = 0.5


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

    top_share: (
        Annotated[Number, fraction("write a fraction of customers, e.g. 0.05 for 5 %", zero=False)]
        | None
    ) = 0.05
    top_n: Count | None = None
    min_probability: Annotated[Number, fraction("write a probability, e.g. 0.5")] = 0.5

    @model_validator(mode="after")
    def _check(self) -> CallListConfig:
        if self.top_share is None and self.top_n is None:
            raise ConfigProblem(
                "neither top_share nor top_n is set",
                "size the call list: set top_share (e.g. 0.05) and/or top_n (e.g. 100)",
            )
        return self


class LifetimeValueConfig(_Model):
    """Customer lifetime value: discounted expected purchases × expected value per purchase."""

    horizon_days: HorizonDays = 1095
    annual_discount_rate: Annotated[
        Number, fraction("write a yearly rate as a fraction, e.g. 0.10 for 10 %", one=False)
    ] = 0.10
    value_basis: Literal["contribution", "revenue"] = "contribution"


class ChurnConfig(_Model):
    """Churn probability, warning signs (reason codes), risk levels, call list, lifetime value."""

    # First choice of repeat-buying model; the other one, then a model-free estimate, are the
    # fallbacks when a fit is rejected (docs/churn-model.md).
    model: Literal["mbgnbd", "bgnbd"] = "mbgnbd"
    prediction_horizon_days: HorizonDays = 90
    # Stretch a slow buyer's horizon to this many of their own mean days between orders
    # (0: the same horizon for everyone).
    horizon_cycle_multiple: Annotated[Number, at_least(0, "use 0 (off) or a multiple > 0")] = 0.0
    min_repeat_buyers: Annotated[int, at_least(2, "a model needs at least 2 repeat buyers")] = 20
    signals: ChurnSignals
    risk_levels: Annotated[tuple[RiskLevel, ...], MinLen(2)]
    call_list: CallListConfig
    lifetime_value: LifetimeValueConfig

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
                "min_probability above 1",
                "write a probability within 0..1",
                ("risk_levels", 0, "min_probability"),
            )
        if self.risk_levels[-1].min_probability > 0:
            raise ConfigProblem(
                "the last risk level must start at 0",
                "set its min_probability to 0",
                ("risk_levels", len(self.risk_levels) - 1, "min_probability"),
            )
        _unique_labels(self.risk_levels, "risk_levels")
        return self
