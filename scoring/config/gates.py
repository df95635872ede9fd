"""The ``gates`` section: drift gates on the scores between business dates."""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict, model_validator

from scoring.config.errors import ConfigProblem
from scoring.config.fields import Number, _Model, at_least, fraction


class GatesConfig(_Model):
    """Drift gates on the scores: a business date against the previous business date scored
    in the same history (docs/quality-gates.md). Shares are fractions (0.15 = 15 pp)."""

    churn_share_error: Number = 0.15
    churn_share_warn: Number = 0.05
    customer_drop_error: Annotated[Number, fraction("write a fraction (0.2 = 20 %)")] = 0.20
    grade_spread_min_customers: Annotated[int, Strict(), at_least(0, "use a count ≥ 0")] = 20

    @model_validator(mode="after")
    def _check(self) -> GatesConfig:
        if not 0 <= self.churn_share_warn <= self.churn_share_error <= 1:
            raise ConfigProblem(
                f"need 0 ≤ churn_share_warn ({self.churn_share_warn:g}) ≤ churn_share_error "
                f"({self.churn_share_error:g}) ≤ 1",
                "write fractions, the warning below the error (0.05 and 0.15)",
            )
        return self
