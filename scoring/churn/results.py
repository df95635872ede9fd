"""What the churn step produces and passes between its parts: output columns, model statuses,
the scorer chosen for a business date and the calibration learnt from past dates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np

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

#: Chinese names of the columns written by :func:`score_churn`.
COLUMN_NAMES_ZH: dict[str, str] = {
    "churn_probability": "流失概率",
    "probability_alive": "活跃概率",
    "expected_purchases": "预期购买次数",
    "expected_revenue_next_period": "预期下期交易额",
    "churn_model": "流失模型",
    "churn_model_status": "流失模型状态",
    "churn_model_note": "流失模型说明",
    "churn_score": "流失预警信号分",
    "churn_risk_level": "流失风险等级",
    "churn_risk_level_zh": "流失风险等级(中文)",
    "is_churn_risk": "是否流失预警",
    "churn_reasons": "流失预警原因",
    "churn_reasons_zh": "流失预警原因(中文)",
    "expected_purchase_value": "预期单次购买金额",
    "customer_lifetime_value": "客户终身价值",
    "value_at_risk": "流失损失金额",
    "churn_call_priority": "挽留优先顺序",
}

OUTPUT_COLUMNS: tuple[str, ...] = tuple(COLUMN_NAMES_ZH)

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
    :func:`scoring.churn_calibration.fit_calibration` from ``rows`` past customer rows."""

    weights: tuple[float, ...]
    rows: int
    churned: int
    dates: tuple[date, ...]
    horizon_days: int

    def describe(self) -> str:
        """One clause for ``churn_model_note``."""
        return (
            f"probability calibrated on {self.rows} customer rows of {len(self.dates)} past "
            f"date(s) {min(self.dates)}..{max(self.dates)}"
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
