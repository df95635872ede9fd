"""Lifetime value (scoring/clv.py): the Gamma-Gamma spend model and discounted purchases."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.stats import gamma as gamma_dist

from scoring.clv import (
    MIN_SPREAD_EVIDENCE,
    GammaGammaFit,
    common_rate_log_likelihood,
    discounted_expected_purchases,
    expected_purchase_value,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
# Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (2013), CDNOW weeks 1-39.
PUBLISHED = GammaGammaFit(
    p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, n_customers=946, converged=True
)


def test_expected_purchase_value_matches_hand_computation() -> None:
    # (γ + m̄ x) p / (p x + q − 1):
    # x = 2, m̄ = 30: (15.44 + 60) × 6.25 / (12.5 + 2.74) = 471.5 / 15.24 = 30.938320
    # x = 5, m̄ = 10: (15.44 + 50) × 6.25 / (31.25 + 2.74) = 409 / 33.99 = 12.032951
    # x = 0: the population mean p γ / (q − 1) = 96.5 / 2.74 = 35.218978
    got = expected_purchase_value(
        PUBLISHED, np.array([2.0, 5.0, 0.0]), np.array([30.0, 10.0, np.nan])
    )
    assert got.tolist() == pytest.approx([30.938320, 12.032951, 35.218978], abs=1e-6)


def test_log_likelihood_equals_numerical_integration_over_the_scale() -> None:
    # m̄ of x purchases ~ Gamma(p x, rate x ν), ν ~ Gamma(q, rate γ): integrate ν out.
    p, q, g = 2.5, 3.0, 20.0
    for x, m in ((1.0, 12.0), (4.0, 30.0), (9.0, 7.5)):

        def integrand(nu: float, x: float = x, m: float = m) -> float:
            return gamma_dist.pdf(m, p * x, scale=1 / (x * nu)) * gamma_dist.pdf(nu, q, scale=1 / g)

        density, _ = quad(integrand, 0, np.inf, limit=200)
        closed = gamma_gamma_log_likelihood(p, q, g, np.array([x]), np.array([m]))[0]
        assert closed == pytest.approx(math.log(density), rel=1e-7)


def _cdnow_repeat_spend() -> tuple[np.ndarray, np.ndarray]:
    """Repeat purchase occasions (same-day amounts summed) of CDNOW weeks 1-39."""
    rows = [line.split() for line in (DATA / "CDNOW_sample.txt").read_text().splitlines()]
    frame = pl.DataFrame(
        {
            "customer_id": [r[1] for r in rows],
            "day": [dt.datetime.strptime(r[2], "%Y%m%d").date() for r in rows],
            "amount": [float(r[4]) for r in rows],
        }
    )
    per_customer = (
        frame.filter(pl.col("day") <= dt.date(1997, 9, 30))
        .group_by("customer_id", "day")
        .agg(pl.col("amount").sum())
        .sort("customer_id", "day")
        .group_by("customer_id")
        .agg(x=pl.len() - 1, mean_value=pl.col("amount").slice(1).mean())
        .filter(pl.col("x") > 0)
    )
    return per_customer["x"].to_numpy(), per_customer["mean_value"].to_numpy()


def test_fit_reproduces_published_cdnow_parameters() -> None:
    x, mean_value = _cdnow_repeat_spend()
    assert len(x) == 946
    fit = fit_gamma_gamma(x, mean_value)
    assert fit.usable
    assert (fit.p, fit.q, fit.gamma) == pytest.approx((6.25, 3.74, 15.44), rel=2e-3)
    # the fit's grouped likelihood equals the per-customer density summed
    by_row = gamma_gamma_log_likelihood(fit.p, fit.q, fit.gamma, x.astype(float), mean_value)
    assert fit.log_likelihood == pytest.approx(float(np.sum(by_row)), rel=1e-12)


def test_one_common_spend_rate_is_fitted_by_its_likelihood() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(1, 6, 300).astype(float)
    mean_value = rng.gamma(4.0 * x, 1 / (0.1 * x))  # Gamma(p x, ν x), p = 4, ν = 0.1

    # a second method: both parameters by a general optimiser on scipy's Gamma density
    def negative(log_params: np.ndarray) -> float:
        p, nu = np.exp(log_params)
        return -float(np.sum(gamma_dist.logpdf(mean_value, a=p * x, scale=1 / (nu * x))))

    other = minimize(
        negative,
        np.log([1.0, 0.05]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    assert common_rate_log_likelihood(x, mean_value) == pytest.approx(-other.fun, abs=1e-6)


def test_spend_without_spread_between_customers_is_not_used_whatever_its_last_bits() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(1, 8, 500).astype(float)
    same = np.full(500, 50.0)
    # the same spend as exact decimals and as float sums (6e-14 apart): the same decision
    for mean_value in (same, same * (1 + 6e-14 * rng.random(500))):
        fit = fit_gamma_gamma(x, mean_value)
        assert fit.spread_evidence < MIN_SPREAD_EVIDENCE and not fit.usable
    # CDNOW's spend differs between customers: overwhelming evidence
    cdnow = fit_gamma_gamma(*_cdnow_repeat_spend())
    assert cdnow.spread_evidence > 100 and cdnow.usable


def test_fit_refuses_too_few_customers() -> None:
    with pytest.raises(ValueError, match="only 2 customer"):
        fit_gamma_gamma(np.array([1.0, 2.0, 0.0]), np.array([10.0, 20.0, 5.0]))


def test_discounted_purchases_by_hand() -> None:
    # E(t) = 2 t purchases; steps of 1 year, 10 % a year, discounted at each step's midpoint.
    expected = discounted_expected_purchases(
        lambda t: np.array([2.0 * t]),
        horizon=3.0,
        step=1.0,
        annual_discount_rate=0.1,
        time_units_per_year=1.0,
    )
    assert expected[0] == pytest.approx(2 * (1.1**-0.5 + 1.1**-1.5 + 1.1**-2.5), rel=1e-12)
    # a shorter last step: (2, 2.5] holds 1 purchase, discounted at 2.25 years
    shorter = discounted_expected_purchases(
        lambda t: np.array([2.0 * t]),
        horizon=2.5,
        step=1.0,
        annual_discount_rate=0.1,
        time_units_per_year=1.0,
    )
    assert shorter[0] == pytest.approx(2 * (1.1**-0.5 + 1.1**-1.5) + 1.1**-2.25, rel=1e-12)
    undiscounted = discounted_expected_purchases(
        lambda t: np.array([2.0 * t]),
        horizon=2.5,
        step=1.0,
        annual_discount_rate=0.0,
        time_units_per_year=1.0,
    )
    assert undiscounted[0] == pytest.approx(5.0, rel=1e-12)
