"""Churn (客户流失): churn probability, lifetime value at risk, call list and warning signs.

:func:`score_churn` fits a repeat-buying model per business date on every customer's order
history and scores, per customer:

- ``churn_probability`` = P(no purchase within ``prediction_horizon_days``) =
  1 − P(alive) + P(alive) · P(0 purchases | alive) (see docs/churn-model.md);
- ``customer_lifetime_value``: discounted expected remaining purchases × the Gamma-Gamma
  expected value of a purchase × the contribution margin (seed 004, scoring/clv.py);
- ``is_churn_risk`` / ``churn_call_priority``: the call list, the top of the ranking by
  churn probability × value at risk, sized by configuration;
- ``churn_risk_level`` from the probability; the warning signs (reason codes with Chinese
  names) explain the risk, they do not rank it.

Fitting is a fallback chain: the configured model, the other BG/NBD-family model, then a
model-free estimate. A fit that did not converge, has implausible parameters or gives
non-finite predictions is rejected and never used; ``churn_model`` names what scored each
row and ``churn_model_note`` says why the earlier choices were rejected.

:func:`roc_auc` and :func:`precision_recall` measure how well scores and flags found the
customers who really left.

The step is split by job: :mod:`~scoring.churn.inputs` (facts columns, model inputs),
:mod:`~scoring.churn.fallback` (which model scores a date), :mod:`~scoring.churn.probability`
(per-date predictions and calibration), :mod:`~scoring.churn.signs` (warning signs, risk level),
:mod:`~scoring.churn.call_list`, :mod:`~scoring.churn.score` (the whole step),
:mod:`~scoring.churn.quality` (AUC, precision, recall) and :mod:`~scoring.churn.results` (the
types and names they share). The public names are importable from here.
"""

from scoring.churn.fallback import choose_scorer, model_free_scorer, rejection
from scoring.churn.inputs import ChurnInputError, required_columns
from scoring.churn.probability import (
    LIFETIME_STEP_DAYS,
    MIN_REPEATS_FOR_OWN_CYCLE,
    calibrate,
    calibration_features,
)
from scoring.churn.quality import PrecisionRecall, precision_recall, roc_auc
from scoring.churn.results import (
    CALIBRATION_FEATURES,
    MODEL_FREE,
    OUTPUT_COLUMNS,
    STATUS_FALLBACK,
    STATUS_FITTED,
    STATUS_INCONSISTENT,
    STATUS_NO_PURCHASE_HISTORY,
    STATUS_NO_REPEAT_BUYERS,
    STATUSES,
    Calibration,
    Choice,
    Scorer,
)
from scoring.churn.score import score_churn

__all__ = [
    "CALIBRATION_FEATURES",
    "LIFETIME_STEP_DAYS",
    "MIN_REPEATS_FOR_OWN_CYCLE",
    "MODEL_FREE",
    "OUTPUT_COLUMNS",
    "STATUSES",
    "STATUS_FALLBACK",
    "STATUS_FITTED",
    "STATUS_INCONSISTENT",
    "STATUS_NO_PURCHASE_HISTORY",
    "STATUS_NO_REPEAT_BUYERS",
    "Calibration",
    "ChurnInputError",
    "Choice",
    "PrecisionRecall",
    "Scorer",
    "calibrate",
    "calibration_features",
    "choose_scorer",
    "model_free_scorer",
    "precision_recall",
    "rejection",
    "required_columns",
    "roc_auc",
    "score_churn",
]
