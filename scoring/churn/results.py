"""What the churn step produces and passes between its parts: output columns, model statuses,
the scorer chosen for a business date and the calibration learnt from past dates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np

from scoring.columns import columns_of

#: Name of the model-free estimate in ``churn_model``.
MODEL_FREE = "model_free"

#: ``churn_model_status`` values.
STATUS_FITTED = "fitted"
STATUS_FALLBACK = "fallback"
STATUS_NO_PURCHASE_HISTORY = "no_purchase_history"
STATUS_INCONSISTENT = "inconsistent_order_history"
STATUS_NO_REPEAT_BUYERS = "no_repeat_buyers"
STATUSES = (
    STATUS_FITTED,
    STATUS_FALLBACK,
    STATUS_NO_PURCHASE_HISTORY,
    STATUS_INCONSISTENT,
    STATUS_NO_REPEAT_BUYERS,
)

#: Columns written by :func:`score_churn` (declared in scoring/columns.py).
OUTPUT_COLUMNS: tuple[str, ...] = columns_of("churn")

#: Inputs of the calibration (scoring/churn_calibration.py), in the order of its weights.
CALIBRATION_FEATURES = (
    "intercept",
    "logit_churn_probability",
    "log_expected_purchases",
    "log1p_frequency",
)


@dataclass(frozen=True)
class Calibration:
    """Logistic weights over :data:`CALIBRATION_FEATURES`, learnt by
    :func:`scoring.churn_calibration.fit_calibration` from ``rows`` past customer rows and
    their outcomes over ``horizon_days`` (the configured horizon, or a shorter one while the
    history is shorter than that)."""

    weights: tuple[float, ...]
    rows: int
    churned: int
    dates: tuple[date, ...]
    horizon_days: int

    def describe(self) -> str:
        """One clause for ``churn_model_note``."""
        return (
            f"probability calibrated on {self.rows} customer rows of {len(self.dates)} past "
            f"date(s) {min(self.dates)}..{max(self.dates)}, outcomes over "
            f"{self.horizon_days} days"
        )


_Rows = np.ndarray


@dataclass(frozen=True)
class Scorer:
    """Predictions of one accepted model for one business date (all times in model units)."""

    model: str
    probability_alive: Callable[[_Rows, _Rows, _Rows], _Rows]
    expected_purchases: Callable[[float, _Rows, _Rows, _Rows], _Rows]
    # the horizon may differ per customer (an array)
    probability_no_purchase: Callable[[float | _Rows, _Rows, _Rows, _Rows], _Rows]


class Choice(NamedTuple):
    """The scorer chosen for one date (None: nothing can score), its status and the why."""

    scorer: Scorer | None
    status: str
    note: str
