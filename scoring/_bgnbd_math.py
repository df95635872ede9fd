"""Numpy formulas of the BG/NBD and MBG/NBD repeat-buying models.

Both models share one shape; they differ by `shift` (extra dropout chances) and by whether
customers without repeat purchases can have dropped out:

- BG/NBD (Fader, Hardie & Lee 2005): dropout only right after a repeat purchase,
  `shift = 0`, dropout term only for `x > 0`.
- MBG/NBD (Batislam, Denizel & Filiztekin 2007): dropout also right after the first purchase,
  `shift = 1`, dropout term for every customer.

Notation: x = frequency (repeat purchases), t_x = recency (time of last purchase, from the
first), T = age (time from first purchase to the end of calibration); r, alpha are the gamma
prior of the purchase rate, a, b the beta prior of the dropout probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import digamma, gammaln, hyp2f1

Model = Literal["bgnbd", "mbgnbd"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
#: (r, alpha, a, b): the gamma prior of the purchase rate and the beta prior of the dropout.
Params = tuple[float, float, float, float]

_SHIFT: dict[str, int] = {"bgnbd": 0, "mbgnbd": 1}


def _dropout_mask(model: str, x: FloatArray) -> FloatArray:
    """1 where the 'dropped out after the last purchase' term exists, else 0."""
    return np.ones_like(x) if model == "mbgnbd" else (x > 0).astype(np.float64)


@dataclass(frozen=True)
class Summaries:
    """Weighted customer summaries, with the distinct x, t_x and T for repeated evaluation.

    The special functions of the likelihood depend on x alone, the logs on t_x or T alone;
    real data have a few hundred distinct x and a few thousand distinct ages, so each is
    evaluated once per distinct value and gathered back (same floats, far fewer calls).
    """

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    weights: FloatArray
    x_values: FloatArray
    x_index: IntArray
    t_x_values: FloatArray
    t_x_index: IntArray
    T_values: FloatArray
    T_index: IntArray


def summaries(x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray) -> Summaries:
    """Prepare summaries for :func:`summaries_log_likelihood_and_gradient`."""
    x_values, x_index = np.unique(x, return_inverse=True)
    t_x_values, t_x_index = np.unique(t_x, return_inverse=True)
    T_values, T_index = np.unique(T, return_inverse=True)
    return Summaries(
        x, t_x, T, weights, x_values, x_index, t_x_values, t_x_index, T_values, T_index
    )


def log_likelihood_and_gradient(
    log_params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    weights: FloatArray,
    model: str,
) -> tuple[float, FloatArray]:
    """Weighted sum of individual log-likelihoods and its gradient in log-parameter space."""
    return summaries_log_likelihood_and_gradient(log_params, summaries(x, t_x, T, weights), model)


def summaries_log_likelihood_and_gradient(
    log_params: FloatArray, data: Summaries, model: str
) -> tuple[float, FloatArray]:
    """:func:`log_likelihood_and_gradient` on prepared summaries (fits call it many times).

    Terms of x alone are computed per distinct x (suffix ``_x``) and gathered per row with
    ``[ix]``, in the same operation order as a row-wise formula, so the result is identical.
    """
    r, alpha, a, b = np.exp(log_params)
    s = _SHIFT[model]
    xv, ix, weights = data.x_values, data.x_index, data.weights
    has_term_x = _dropout_mask(model, xv) > 0

    rx = (r + xv)[ix]
    log_alpha = np.log(alpha)
    log_alpha_T = np.log(alpha + data.T_values)[data.T_index]
    log_alpha_tx = np.log(alpha + data.t_x_values)[data.t_x_index]
    a1_x = gammaln(r + xv) - gammaln(r) + r * log_alpha
    # B(a, b + x + s) / B(a, b); gammaln(a) cancels.
    a2_x = gammaln(b + xv + s) - gammaln(a + b + xv + s) - gammaln(b) + gammaln(a + b)
    a3 = -rx * log_alpha_T
    # B(a + 1, b + x + s - 1) / B(a, b) relative to the a2 term: a / (b + x + s - 1).
    bxs1_x = np.where(has_term_x, b + xv + s - 1, 1.0)
    a4 = np.where(has_term_x[ix], (np.log(a) - np.log(bxs1_x))[ix] - rx * log_alpha_tx, -np.inf)
    top = np.logaddexp(a3, a4)
    ll = (a1_x + a2_x)[ix] + top
    w4 = np.exp(a4 - top)  # share of the dropout term, 0 where it does not exist
    w3 = 1.0 - w4

    d_r = (digamma(r + xv) - digamma(r) + log_alpha)[ix] - w3 * log_alpha_T - w4 * log_alpha_tx
    d_alpha = r / alpha - w3 * rx / (alpha + data.T) - w4 * rx / (alpha + data.t_x)
    psi_ab = digamma(a + b)
    psi_abx_x = digamma(a + b + xv + s)
    d_a = (psi_ab - psi_abx_x)[ix] + w4 / a
    d_b = (digamma(b + xv + s) - psi_abx_x - digamma(b) + psi_ab)[ix] - w4 / bxs1_x[ix]

    grad = np.array(
        [
            r * _weighted_sum(weights, d_r),
            alpha * _weighted_sum(weights, d_alpha),
            a * _weighted_sum(weights, d_a),
            b * _weighted_sum(weights, d_b),
        ]
    )
    return _weighted_sum(weights, ll), grad


def _weighted_sum(weights: FloatArray, values: FloatArray) -> float:
    """Σ weights × values by numpy's pairwise summation, not a BLAS dot product.

    OpenBLAS splits a long ``np.dot`` over its threads: on a busy machine that cost up to
    0.8 s per fit (threads waiting on each other inside Polars' thread pool), and the sum
    changed in the last bits with the thread count. This is single-threaded and reproducible.
    """
    return float(np.sum(weights * values))


def _odds_dead(
    params: Params, x: FloatArray, t_x: FloatArray, T: FloatArray, model: str
) -> FloatArray:
    """Posterior odds 'dropped out' : 'alive' at T."""
    r, alpha, a, b = params
    s = _SHIFT[model]
    mask = _dropout_mask(model, x)
    bxs1 = np.where(mask > 0, b + x + s - 1, 1.0)
    log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return mask * (a / bxs1) * np.exp(log_ratio)


def probability_alive(
    params: Params, x: FloatArray, t_x: FloatArray, T: FloatArray, model: str
) -> FloatArray:
    """P(alive at T | x, t_x, T)."""
    return 1.0 / (1.0 + _odds_dead(params, x, t_x, T, model))


def _expected_if_alive(
    r: float, alpha: float, a: float, b: float, t: float, x: FloatArray, T: FloatArray, s: int
) -> FloatArray:
    """E[purchases in (T, T + t] | alive at T]; needs a != 1.

    Uses the Euler transform (1 - z)^(r+x) 2F1(r+x, b'; c; z)
    = (1 - z)^(a-1) 2F1(a+b+s-1-r, a-1; c; z) with b' = b+x+s, c = a+b'-1, so that no
    parameter grows with x and no huge factor multiplies a tiny one.
    """
    c = a + b + x + s - 1
    z = t / (alpha + T + t)
    tail = (1.0 - z) ** (a - 1) * hyp2f1(a + b + s - 1 - r, a - 1, c, z)
    return c / (a - 1) * (1.0 - tail)


def expected_purchases(
    params: Params, t: float, x: FloatArray, t_x: FloatArray, T: FloatArray, model: str
) -> FloatArray:
    """E[X(T, T + t] | x, t_x, T]: expected purchases in the next `t` time units."""
    r, alpha, a, b = params
    s = _SHIFT[model]
    if abs(a - 1.0) < 1e-6:
        # a = 1 is a removable singularity of the closed form: average both sides of it.
        eps = 1e-4
        if_alive = 0.5 * (
            _expected_if_alive(r, alpha, 1 - eps, b, t, x, T, s)
            + _expected_if_alive(r, alpha, 1 + eps, b, t, x, T, s)
        )
    else:
        if_alive = _expected_if_alive(r, alpha, a, b, t, x, T, s)
    return if_alive * probability_alive(params, x, t_x, T, model)


def simulate(
    params: Params, T: FloatArray, model: str, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Draw (frequency, recency) for customers of ages `T` from the model itself.

    Purchase rate lambda ~ Gamma(r, scale 1/alpha), dropout p ~ Beta(a, b). The customer
    drops out right after the J-th repeat purchase, J ~ Geometric(p) on {1, 2, ...}
    (BG/NBD) or {0, 1, ...} (MBG/NBD). Given N(T) = n Poisson arrivals, arrival times are
    sorted uniforms on (0, T), so the x-th one is T * Beta(x, n - x + 1).
    """
    r, alpha, a, b = params
    lam = rng.gamma(r, 1.0 / alpha, size=len(T))
    p = rng.beta(a, b, size=len(T))
    dropout_after = rng.geometric(p) - _SHIFT[model]
    arrivals = rng.poisson(lam * T)
    x = np.minimum(arrivals, dropout_after)
    has = x > 0
    t_x = np.zeros(len(T))
    t_x[has] = T[has] * rng.beta(x[has], arrivals[has] - x[has] + 1)
    return x.astype(np.float64), t_x


def probability_no_purchase(
    params: Params, t: float, x: FloatArray, t_x: FloatArray, T: FloatArray, model: str
) -> FloatArray:
    """P(no purchase in (T, T + t] | x, t_x, T) = 1 − P(alive) + P(alive) · P(0 | alive).

    A customer who has dropped out never buys again. One who is alive at T has the posterior
    purchase rate λ ~ Gamma(r + x, α + T) (the likelihood given alive is λ^x e^(−λT)) and can
    only drop out right after a purchase, so P(0 in t | alive, λ) = e^(−λt) and, integrated
    over λ, P(0 | alive) = ((α + T) / (α + T + t))^(r + x).
    """
    r, alpha, _, _ = params
    alive = probability_alive(params, x, t_x, T, model)
    zero_if_alive = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    return 1.0 - alive + alive * zero_if_alive
