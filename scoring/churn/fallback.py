"""The fallback chain that picks what scores a business date: the configured repeat-buying
model, the other one, then a model-free estimate; a fit that is not plausible is rejected."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from scoring import _bgnbd_math as math_
from scoring.bgnbd import MODELS, BgNbdFit, fit_model
from scoring.churn.results import (
    MODEL_FREE,
    STATUS_FALLBACK,
    STATUS_FITTED,
    STATUS_NO_REPEAT_BUYERS,
    Choice,
    Scorer,
    _Rows,
)
from scoring.config import ChurnConfig

log = logging.getLogger(__name__)


def _model_scorer(model: str, params: math_.Params) -> Scorer:
    return Scorer(
        model=model,
        probability_alive=lambda x, t_x, T: math_.probability_alive(params, x, t_x, T, model),
        expected_purchases=lambda t, x, t_x, T: math_.expected_purchases(
            params, t, x, t_x, T, model
        ),
        probability_no_purchase=lambda t, x, t_x, T: math_.probability_no_purchase(
            params, t, x, t_x, T, model
        ),
    )


def model_free_scorer(x: _Rows, t_x: _Rows, T: _Rows) -> Scorer | None:
    """The estimate used when no model fit is acceptable; None without any repeat purchase.

    Each customer's purchase rate is their repeat purchases shrunk towards the pooled rate
    λ̄ = Σx / ΣT (a Gamma prior of shape 1 and mean λ̄): λ̂ = (x + 1) / (T + 1/λ̄). The
    chance of still buying is the chance of a silence at least as long as theirs at that rate,
    P(alive) = exp(−λ̂ (T − t_x)); then P(no purchase in t) = 1 − P(alive)(1 − exp(−λ̂ t)) and
    E[purchases in t] = P(alive) λ̂ t.
    """
    total_time = float(np.sum(T))
    repeat = float(np.sum(x))
    if repeat <= 0 or total_time <= 0:
        return None
    prior_time = total_time / repeat  # 1 / λ̄

    def rate(x: _Rows, T: _Rows) -> _Rows:
        return (x + 1.0) / (T + prior_time)

    def alive(x: _Rows, t_x: _Rows, T: _Rows) -> _Rows:
        return np.exp(-rate(x, T) * (T - t_x))

    return Scorer(
        model=MODEL_FREE,
        probability_alive=alive,
        expected_purchases=lambda t, x, t_x, T: alive(x, t_x, T) * rate(x, T) * t,
        probability_no_purchase=lambda t, x, t_x, T: (
            1.0 - alive(x, t_x, T) * (1.0 - np.exp(-rate(x, T) * t))
        ),
    )


def rejection(
    scorer: Scorer, fit: BgNbdFit, x: _Rows, t_x: _Rows, T: _Rows, horizon: float
) -> str | None:
    """Why a converged fit must not be used, or None: a parameter outside
    :data:`scoring.bgnbd.PARAMETER_BOUNDS`, or predictions not finite / outside their range."""
    problem = fit.implausible_parameter()
    if problem is not None:
        return problem
    with np.errstate(all="ignore"):
        alive = scorer.probability_alive(x, t_x, T)
        expected = scorer.expected_purchases(horizon, x, t_x, T)
        zero = scorer.probability_no_purchase(horizon, x, t_x, T)
    if not (np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))):
        return "probability alive not finite or outside 0..1"
    if not (np.all(np.isfinite(expected)) and np.all(expected >= 0)):
        return "expected purchases not finite or negative"
    if not (np.all(np.isfinite(zero)) and np.all((zero >= -1e-12) & (zero <= 1 + 1e-12))):
        return "probability of no purchase not finite or outside 0..1"
    return None


def choose_scorer(
    x: _Rows,
    t_x: _Rows,
    T: _Rows,
    config: ChurnConfig,
    horizon: float,
    fit: Callable[..., BgNbdFit] | None = None,
) -> Choice:
    """Walk the fallback chain: the configured model, the other model, the model-free estimate."""
    fit = fit or fit_model
    chain = [config.model, *(m for m in MODELS if m != config.model)]
    repeat_buyers = int(np.sum(x > 0))
    rejected: list[str] = []
    if repeat_buyers < config.min_repeat_buyers:
        rejected.append(
            f"models not fitted: {repeat_buyers} repeat buyer(s), fewer than min_repeat_buyers"
            f" = {config.min_repeat_buyers}"
        )
    else:
        for model in chain:
            try:
                result = fit(model, x, t_x, T)
            except Exception as error:  # the nightly run goes on with the next choice
                log.warning("churn model %s could not be fitted: %s", model, error)
                rejected.append(f"{model} fit failed ({type(error).__name__}: {error})")
                continue
            if not result.converged:
                rejected.append(f"{model} fit did not converge")
                continue
            scorer = _model_scorer(model, result.params)
            reason = rejection(scorer, result, x, t_x, T, horizon)
            if reason is not None:
                rejected.append(f"{model} fit rejected: {reason}")
                continue
            if not rejected:
                return Choice(scorer, STATUS_FITTED, f"{model} fitted on {len(x)} customers")
            return Choice(scorer, STATUS_FALLBACK, "; ".join([*rejected, f"{model} used instead"]))
    scorer = model_free_scorer(x, t_x, T)
    if scorer is None:
        return Choice(
            None,
            STATUS_NO_REPEAT_BUYERS,
            "; ".join([*rejected, "no repeat purchase at all: nothing to estimate from"]),
        )
    return Choice(scorer, STATUS_FALLBACK, "; ".join([*rejected, "model-free estimate used"]))
