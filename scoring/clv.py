"""Customer lifetime value: the Gamma-Gamma spend model and discounted expected purchases.

Seed 004 defines a customer's value as the net present value of the profit stream over the
customer's remaining lifetime. kam computes it as Fader, Hardie & Lee ("RFM and CLV", 2005)
do: discounted expected remaining purchases from the repeat-buying model (scoring/bgnbd/)
× the expected value of one purchase from the Gamma-Gamma spend model, × the customer's
contribution margin. See docs/churn-model.md.

Gamma-Gamma (Fader & Hardie, "The Gamma-Gamma Model of Monetary Value", 2013): a customer's
purchase values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, independent of the
purchase process. Given x purchases with mean value m̄, the expected value of the next one is

    E[M | x, m̄] = (γ + m̄ x) p / (p x + q − 1),

a weighted mean of the population mean p γ / (q − 1) and the customer's own m̄.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import digamma, gammaln

from scoring._bgnbd_math import FloatArray

#: Gamma-Gamma is fitted only with at least this many customers with a positive mean value.
MIN_SPEND_CUSTOMERS = 10
#: The fit is used only when the spread of spend between customers is evident: twice its
#: log-likelihood gain over one common spend rate for everyone is at least this (the 95 %
#: point of a chi-square with one degree of freedom).
MIN_SPREAD_EVIDENCE = 3.84
_LOG_BOUND = 15.0


@dataclass(frozen=True)
class GammaGammaFit:
    """Maximum-likelihood parameters of the Gamma-Gamma spend model."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int
    converged: bool
    #: 2 × (log-likelihood − that of one common spend rate ν for everyone, the model's limit
    #: q, γ → ∞ with q / γ = ν): the evidence that customers' spend differs at all.
    spread_evidence: float = math.inf

    @property
    def usable(self) -> bool:
        """Converged, inside the bounds, q > 1 (otherwise the mean value is infinite), and
        customers' spend evidently differs (:data:`MIN_SPREAD_EVIDENCE`).

        Without spread the likelihood is a ridge towards q, γ → ∞ and whether the optimiser
        reports convergence on it hangs on the last bits of the inputs; the evidence does not.
        """
        return self.converged and self.q > 1.0 and self.spread_evidence >= MIN_SPREAD_EVIDENCE


def gamma_gamma_log_likelihood(
    p: float, q: float, gamma: float, x: FloatArray, mean_value: FloatArray
) -> FloatArray:
    """Log-density of each customer's mean value m̄ given x purchases (Fader & Hardie 2013)."""
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(mean_value)
        + px * np.log(x)
        - (px + q) * np.log(gamma + mean_value * x)
    )


def fit_gamma_gamma(x: FloatArray, mean_value: FloatArray) -> GammaGammaFit:
    """Fit p, q, γ by maximum likelihood on customers with x ≥ 1 purchases of mean value > 0.

    Raises ValueError when fewer than :data:`MIN_SPEND_CUSTOMERS` such customers exist.
    """
    x = np.asarray(x, dtype=np.float64)
    mean_value = np.asarray(mean_value, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(mean_value) & (x >= 1) & (mean_value > 0)
    x, mean_value = x[keep], mean_value[keep]
    if len(x) < MIN_SPEND_CUSTOMERS:
        raise ValueError(
            f"only {len(x)} customer(s) with a positive mean purchase value; the Gamma-Gamma "
            f"spend model needs at least {MIN_SPEND_CUSTOMERS}"
        )
    n = len(x)

    # Terms of x alone are evaluated once per distinct x (a few hundred), the rest per row.
    x_values, x_counts = np.unique(x, return_counts=True)
    sum_x_log_m = float(np.sum(x * np.log(mean_value)))
    sum_log_m = float(np.sum(np.log(mean_value)))
    sum_x_log_x = float(np.sum(x * np.log(x)))

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(log_params)
        pxv = p * x_values
        total = gamma + mean_value * x
        log_total = np.log(total)
        weight = p * x + q
        ll = (
            float(np.sum(x_counts * (gammaln(pxv + q) - gammaln(pxv))))
            - n * gammaln(q)
            + n * q * np.log(gamma)
            + p * sum_x_log_m
            - sum_log_m
            + p * sum_x_log_x
            - float(np.sum(weight * log_total))
        )
        psi_total = digamma(pxv + q)
        d_p = (
            float(np.sum(x_counts * x_values * (psi_total - digamma(pxv))))
            + sum_x_log_m
            + sum_x_log_x
            - float(np.sum(x * log_total))
        )
        d_q = (
            float(np.sum(x_counts * psi_total))
            - n * digamma(q)
            + n * np.log(gamma)
            - float(np.sum(log_total))
        )
        d_gamma = n * q / gamma - float(np.sum(weight / total))
        grad = np.array([p * d_p, q * d_q, gamma * d_gamma])
        return -ll / n, -grad / n

    start = np.log([1.0, 2.0, float(np.mean(mean_value))])
    result = minimize(
        objective,
        np.clip(start, -_LOG_BOUND, _LOG_BOUND),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 3,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    at_bound = bool(np.any(np.abs(result.x) >= _LOG_BOUND - 1e-6))
    p, q, gamma = (float(v) for v in np.exp(result.x))
    log_likelihood = float(-result.fun * n)
    return GammaGammaFit(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=log_likelihood,
        n_customers=n,
        converged=bool(result.success) and not at_bound and bool(np.isfinite(result.fun)),
        spread_evidence=2.0 * (log_likelihood - common_rate_log_likelihood(x, mean_value)),
    )


def common_rate_log_likelihood(x: FloatArray, mean_value: FloatArray) -> float:
    """Maximum log-likelihood of the customers' mean values when everyone's purchases are
    Gamma(p, ν) with one ν: m̄ ~ Gamma(p x, ν x), ν̂ = p Σx / Σ x m̄ for each p, p by a bounded
    one-dimensional search."""
    x = np.asarray(x, dtype=np.float64)
    mean_value = np.asarray(mean_value, dtype=np.float64)
    sum_x, sum_x_m = float(np.sum(x)), float(np.sum(x * mean_value))
    log_m, log_x = np.log(mean_value), np.log(x)

    def negative(log_p: float) -> float:
        p = math.exp(log_p)
        nu = p * sum_x / sum_x_m
        px = p * x
        ll = np.sum(px * (math.log(nu) + log_x) - gammaln(px) + (px - 1) * log_m) - nu * sum_x_m
        return -float(ll)

    result = minimize_scalar(
        negative, bounds=(-_LOG_BOUND, _LOG_BOUND), method="bounded", options={"xatol": 1e-10}
    )
    return -float(result.fun)


def expected_purchase_value(
    fit: GammaGammaFit, x: FloatArray, mean_value: FloatArray
) -> FloatArray:
    """E[value of a purchase | x, m̄] = (γ + m̄ x) p / (p x + q − 1); x = 0 gives the
    population mean p γ / (q − 1)."""
    x = np.asarray(x, dtype=np.float64)
    own = np.where(x > 0, np.nan_to_num(np.asarray(mean_value, dtype=np.float64)), 0.0)
    return (fit.gamma + own * x) * fit.p / (fit.p * x + fit.q - 1.0)


def discounted_expected_purchases(
    expected: Callable[[float], FloatArray],
    horizon: float,
    step: float,
    annual_discount_rate: float,
    time_units_per_year: float,
) -> FloatArray:
    """Σ over steps of the purchases expected in the step, each discounted to today.

    ``expected(t)`` = expected purchases in the next ``t`` time units (cumulative). The horizon
    is cut into steps of ``step`` (the last one shorter); a step's purchases are discounted by
    (1 + rate)^(−midpoint / time_units_per_year).
    """
    ends = np.append(np.arange(step, horizon, step), horizon)
    previous = 0.0
    start = 0.0
    total: FloatArray | float = 0.0
    for end in ends:
        cumulative = expected(float(end))
        midpoint = (start + end) / 2.0
        total = total + (cumulative - previous) * (1.0 + annual_discount_rate) ** (
            -midpoint / time_units_per_year
        )
        previous, start = cumulative, end
    return np.asarray(total, dtype=np.float64)
