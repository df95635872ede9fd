"""BG/NBD and MBG/NBD churn model: fit, predictions, validation, RFM summary, CLI backend."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy.integrate import quad
from scipy.special import betaln

from scoring import _bgnbd_math
from scoring.bgnbd import (
    BgNbdFit,
    BgNbdInputError,
    bgnbd_summary_json,
    expected_purchases,
    fit_bgnbd,
    fit_mbgnbd,
    probability_alive,
    probability_alive_expr,
    score_customers,
    summarise_transactions,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SUMMARY_CSV = DATA / "cdnow_customers_summary.csv"
# Fader, Hardie & Lee (2005), CDNOW weeks 1-39.
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4}


def _fit(model: str, r: float, alpha: float, a: float, b: float) -> BgNbdFit:
    return BgNbdFit(model, r, alpha, a, b, float("nan"), 0, True, 0)


PUBLISHED_FIT = _fit("bgnbd", 0.243, 4.414, 0.793, 2.426)


def _expected_by_integration(fit: BgNbdFit, t: float, x: float, t_x: float, T: float) -> float:
    """E[X(t)] by numerical integration over the dropout probability p (second method).

    Alive customers: lambda | data ~ Gamma(r + x, rate alpha + T) integrates analytically to
    E[(1 - exp(-lambda p t)) / p] = (1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p, and
    p | alive ~ Beta(a, b + x + shift); quad does the p integral.
    """
    shift = 0 if fit.model == "bgnbd" else 1
    b_post = fit.b + x + shift
    rate = fit.alpha + T

    def integrand(p: float) -> float:
        if p == 0:
            return (fit.r + x) * t / rate
        return -math.expm1(-(fit.r + x) * math.log1p(p * t / rate)) / p

    integral, _ = quad(integrand, 0, 1, weight="alg", wvar=(fit.a - 1, b_post - 1))
    if_alive = integral / math.exp(betaln(fit.a, b_post))
    alive = probability_alive(fit, np.array([x]), np.array([t_x]), np.array([T]))[0]
    return if_alive * alive


# ----------------------------------------------------------------------------- fitting


@pytest.fixture(scope="module")
def cdnow_summary() -> pl.DataFrame:
    return pl.read_csv(SUMMARY_CSV)


def test_bgnbd_fit_reproduces_published_cdnow_estimates(cdnow_summary: pl.DataFrame) -> None:
    fit = fit_bgnbd(cdnow_summary)
    assert fit.converged
    assert fit.n_customers == 2357
    for key, published in PUBLISHED.items():
        assert getattr(fit, key) == pytest.approx(published, rel=0.01), key
    # The optimum itself, tighter than the 1 % requirement.
    assert fit.log_likelihood == pytest.approx(-9582.43, abs=0.01)


def test_bgnbd_accepts_arrays_and_frame_alike(cdnow_summary: pl.DataFrame) -> None:
    arrays = [cdnow_summary[c].to_numpy() for c in ("frequency", "recency", "T")]
    from_arrays = fit_bgnbd(*arrays)
    from_frame = fit_bgnbd(cdnow_summary.lazy())
    assert from_arrays.log_likelihood == pytest.approx(from_frame.log_likelihood, abs=1e-6)
    assert from_arrays.r == pytest.approx(from_frame.r, rel=1e-6)


def test_mbgnbd_fit_on_cdnow_is_at_least_as_likely_as_bgnbd(cdnow_summary: pl.DataFrame) -> None:
    fit = fit_mbgnbd(cdnow_summary, initial=(1.0, 1.0, 1.0, 1.0))
    assert fit.converged and fit.model == "mbgnbd"
    # Same number of parameters; measured optimum -9582.13 vs -9582.43 for BG/NBD.
    assert fit.log_likelihood == pytest.approx(-9582.13, abs=0.01)
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx((0.525, 6.183, 0.891, 1.614), rel=2e-3)


def test_log_likelihood_gradient_matches_finite_differences(cdnow_summary: pl.DataFrame) -> None:
    x, t_x, T = (cdnow_summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    weights = np.ones_like(x)
    point = np.log([0.3, 5.0, 0.8, 2.5])
    for model in ("bgnbd", "mbgnbd"):

        def log_likelihood(log_params: np.ndarray, model: str = model) -> float:
            return _bgnbd_math.log_likelihood_and_gradient(log_params, x, t_x, T, weights, model)[0]

        _, grad = _bgnbd_math.log_likelihood_and_gradient(point, x, t_x, T, weights, model)
        step = 1e-6
        numeric = [
            (log_likelihood(point + step * e) - log_likelihood(point - step * e)) / (2 * step)
            for e in np.eye(4)
        ]
        assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize(
    ("model", "fit_function", "params"),
    [
        ("bgnbd", fit_bgnbd, (0.243, 4.414, 0.793, 2.426)),
        ("mbgnbd", fit_mbgnbd, (0.525, 6.183, 0.891, 1.614)),
    ],
)
def test_fit_recovers_parameters_of_100k_simulated_customers(
    model: str, fit_function: object, params: tuple[float, float, float, float]
) -> None:
    rng = np.random.default_rng(7)
    T = rng.uniform(1.0, 52.0, 100_000)
    x, t_x = _bgnbd_math.simulate(params, T, model, rng)
    # Fit time is a performance target measured in bench/, not asserted here.
    fit = fit_function(x, t_x, T)  # type: ignore[operator]
    assert fit.converged
    # r and alpha are sharp; a and b trade off against each other (wider sampling error).
    assert fit.r == pytest.approx(params[0], rel=0.08)
    assert fit.alpha == pytest.approx(params[1], rel=0.08)
    assert fit.a == pytest.approx(params[2], rel=0.2)
    assert fit.b == pytest.approx(params[3], rel=0.25)


def test_fit_to_dict_names_every_field() -> None:
    fit = BgNbdFit("bgnbd", 1.0, 2.0, 3.0, 4.0, -5.0, 6, True, 7)
    assert fit.to_dict() == {
        "model": "bgnbd",
        "r": 1.0,
        "alpha": 2.0,
        "a": 3.0,
        "b": 4.0,
        "log_likelihood": -5.0,
        "n_customers": 6,
        "converged": True,
        "iterations": 7,
    }


# ----------------------------------------------------------------------------- predictions


def test_bgnbd_calls_customers_without_repeat_purchase_alive() -> None:
    alive = probability_alive(PUBLISHED_FIT, [0, 0], [0.0, 0.0], [1.0, 38.86])
    assert alive.tolist() == [1.0, 1.0]


def test_mbgnbd_gives_customers_without_repeat_purchase_less_than_one() -> None:
    fit = _fit("mbgnbd", 0.525, 6.183, 0.891, 1.614)
    alive = probability_alive(fit, [0], [0.0], [38.86])[0]
    # Hand: 1 / (1 + a/b * ((alpha+T)/alpha)^r) = 1 / (1 + 0.552045 * (45.043/6.183)^0.525)
    #     = 1 / (1 + 0.552045 * 7.28498^0.525) = 1 / (1 + 0.552045 * 2.83655) = 0.38973
    assert alive == pytest.approx(0.38973, abs=1e-5)
    assert alive < 1.0


def test_probability_alive_matches_hand_evaluation_for_cdnow_customer_1() -> None:
    # x = 2, t_x = 30.43, T = 38.86: 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x))
    # = 1 / (1 + 0.793/3.426 * (43.274/34.844)^2.243) = 1 / (1 + 0.231465 * 1.625785) = 0.72658
    alive = probability_alive(PUBLISHED_FIT, [2], [30.43], [38.86])[0]
    assert alive == pytest.approx(0.72658, abs=1e-5)


def test_expected_purchases_matches_published_cdnow_customer_1() -> None:
    # Fader, Hardie & Lee's worked example: E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226.
    expected = expected_purchases(PUBLISHED_FIT, 39.0, [2], [30.43], [38.86])[0]
    assert expected == pytest.approx(1.226, abs=5e-4)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [
        (0, 0.0, 38.86, 39.0),
        (2, 30.43, 38.86, 39.0),
        (7, 29.43, 38.86, 10.0),
        (40, 38.0, 38.86, 52.0),
        (1, 0.5, 1.0, 100.0),
    ],
)
def test_expected_purchases_agrees_with_numerical_integration(
    model: str, x: int, t_x: float, T: float, t: float
) -> None:
    fit = _fit(model, 0.243, 4.414, 0.793, 2.426)
    closed_form = expected_purchases(fit, t, [x], [t_x], [T])[0]
    assert closed_form == pytest.approx(_expected_by_integration(fit, t, x, t_x, T), rel=1e-7)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [
        (0, 0.0, 38.86, 12.86),
        (2, 30.43, 38.86, 39.0),
        (7, 29.43, 38.86, 10.0),
        (1, 0.5, 1.0, 100.0),
    ],
)
def test_probability_of_no_purchase_is_the_likelihood_ratio_of_a_longer_silence(
    model: str, x: int, t_x: float, T: float, t: float
) -> None:
    # "x purchases, the last at t_x, none in (T, T + t]" is the summary (x, t_x, T + t), so
    # P(no purchase in t | x, t_x, T) = L(x, t_x, T + t) / L(x, t_x, T): the likelihood alone.
    params = (0.243, 4.414, 0.793, 2.426)
    log_params = np.log(params)
    one = np.ones(1)
    later, _ = _bgnbd_math.log_likelihood_and_gradient(
        log_params, np.array([x], float), np.array([t_x]), np.array([T + t]), one, model
    )
    now, _ = _bgnbd_math.log_likelihood_and_gradient(
        log_params, np.array([x], float), np.array([t_x]), np.array([T]), one, model
    )
    closed_form = _bgnbd_math.probability_no_purchase(
        params, t, np.array([x], float), np.array([t_x]), np.array([T]), model
    )[0]
    assert closed_form == pytest.approx(math.exp(later - now), rel=1e-10)


def test_probability_of_no_purchase_for_cdnow_customer_1_by_hand() -> None:
    # 1 − P(alive) + P(alive) × ((α + T)/(α + T + t))^(r + x) with P(alive) = 0.72658 (above):
    # (43.274 / 82.274)^2.243 = 0.525974^2.243 = 0.236659
    # → 0.27342 + 0.72658 × 0.236659 = 0.445372
    zero = _bgnbd_math.probability_no_purchase(
        PUBLISHED_FIT.params, 39.0, np.array([2.0]), np.array([30.43]), np.array([38.86]), "bgnbd"
    )[0]
    assert zero == pytest.approx(0.445372, abs=2e-5)


@pytest.mark.parametrize("a", [1.0, 2.5])
def test_expected_purchases_handles_a_of_one_and_above(a: float) -> None:
    fit = _fit("bgnbd", 0.5, 3.0, a, 2.0)
    closed_form = expected_purchases(fit, 20.0, [3], [10.0], [30.0])[0]
    by_integration = _expected_by_integration(fit, 20.0, 3, 10.0, 30.0)
    assert closed_form == pytest.approx(by_integration, rel=1e-6)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_polars_scoring_matches_numpy(model: str) -> None:
    fit = _fit(model, 0.243, 4.414, 0.793, 2.426)
    frame = pl.DataFrame(
        {"frequency": [0, 2, 7], "recency": [0.0, 30.43, 29.43], "T": [38.86, 38.86, 20.0]}
    )
    scored = score_customers(frame.lazy(), fit, horizon=39.0).collect()
    args = (frame["frequency"].to_numpy(), frame["recency"].to_numpy(), frame["T"].to_numpy())
    assert scored["probability_alive"].to_numpy() == pytest.approx(probability_alive(fit, *args))
    assert scored["expected_purchases"].to_numpy() == pytest.approx(
        expected_purchases(fit, 39.0, *args)
    )
    renamed = frame.rename({"frequency": "x"}).select(probability_alive_expr(fit, frequency="x"))
    assert renamed["probability_alive"].to_numpy() == pytest.approx(probability_alive(fit, *args))


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, -1], [2.0, 0.0], [5.0, 5.0], "column 'frequency', row 1: value is negative, got -1"),
        ([1, 0], [6.0, 0.0], [5.0, 5.0], "column 'recency', row 0: recency is larger than T"),
        ([1, 0], [2.0, float("nan")], [5.0, 5.0], "column 'recency', row 1: value is missing"),
        ([1.5], [2.0], [5.0], "column 'frequency', row 0: frequency must be a whole number"),
        ([0], [2.0], [5.0], "recency must be 0 for a customer without repeat purchases"),
        ([3], [0.0], [5.0], "recency is 0 but frequency > 0"),
        ([], [], [], "no customers"),
        ([0, 0], [0.0, 0.0], [5.0, 3.0], "no customer has a repeat purchase"),
        ([1, 2], [1.0], [5.0, 5.0], "different lengths (2, 1, 2)"),
    ],
)
def test_fit_rejects_invalid_summary_naming_column_and_row(
    frequency: list[float], recency: list[float], T: list[float], message: str
) -> None:
    with pytest.raises(BgNbdInputError) as caught:
        fit_bgnbd(frequency, recency, T)
    assert message in str(caught.value)


def test_fit_rejects_frame_without_summary_columns() -> None:
    with pytest.raises(BgNbdInputError, match="missing column.*recency"):
        fit_bgnbd(pl.DataFrame({"frequency": [1], "T": [2.0]}))


# ----------------------------------------------------------------------------- summary


def test_summarise_transactions_collapses_same_day_and_cuts_at_calibration_end() -> None:
    transactions = pl.DataFrame(
        {
            "customer": ["a", "a", "a", "a", "b", "b", "c"],
            "ordered_at": [
                dt.datetime(2024, 1, 1, 9),
                dt.datetime(2024, 1, 1, 17),  # one occasion
                dt.datetime(2024, 1, 15, 12),
                dt.datetime(2024, 2, 1, 8),  # after the end
                dt.datetime(2024, 1, 8, 10),
                dt.datetime(2024, 1, 8, 11),
                dt.datetime(2024, 2, 3, 0),  # first purchase after the end: not a customer yet
            ],
        }
    )
    summary = summarise_transactions(
        transactions.lazy(), "customer", "ordered_at", dt.date(2024, 1, 29)
    ).collect()
    # a: days Jan 1 and Jan 15 -> 1 repeat, recency 14/7 = 2 weeks, T = 28/7 = 4 weeks.
    # b: only Jan 8 -> 0 repeats, recency 0, T = 21/7 = 3 weeks.
    expected = pl.DataFrame(
        {"customer": ["a", "b"], "frequency": [1, 0], "recency": [2.0, 0.0], "T": [4.0, 3.0]}
    )
    assert_frame_equal(summary, expected)


def test_summarise_transactions_rejects_text_dates() -> None:
    frame = pl.DataFrame({"customer": ["a"], "day": ["20240101"]})
    with pytest.raises(BgNbdInputError, match="column 'day' has type String"):
        summarise_transactions(frame, "customer", "day", dt.date(2024, 1, 29))


def test_summarise_transactions_rebuilds_cdnow_summary(cdnow_summary: pl.DataFrame) -> None:
    pattern = (
        r"^\s*(?<customer_id>\d+)\s+(?<sample_id>\d+)\s+(?<date>\d{8})"
        r"\s+(?<cds>\d+)\s+(?<dollars>[\d.]+)\s*$"
    )
    transactions = (
        pl.scan_csv(
            DATA / "CDNOW_sample.txt", has_header=False, new_columns=["line"], separator="\t"
        )
        .select(pl.col("line").str.extract_groups(pattern).struct.unnest())
        .select(
            pl.col("sample_id").cast(pl.Int64).alias("ID"),
            pl.col("date").str.to_date("%Y%m%d"),
        )
    )
    rebuilt = (
        summarise_transactions(transactions, "ID", "date", dt.date(1997, 9, 30))
        .with_columns(pl.col("recency", "T").round(2))
        .collect()
    )
    assert_frame_equal(rebuilt, cdnow_summary, check_dtypes=False)


# ----------------------------------------------------------------------------- CLI backend


def test_summary_json_reports_cdnow_parameters() -> None:
    summary = json.loads(bgnbd_summary_json(SUMMARY_CSV))
    assert set(summary) == {"r", "alpha", "a", "b", "log_likelihood", "n_customers", "model"}
    assert summary["model"] == "bgnbd" and summary["n_customers"] == 2357
    for key, published in PUBLISHED.items():
        assert summary[key] == pytest.approx(published, rel=0.01)
    assert json.loads(bgnbd_summary_json(SUMMARY_CSV, model="mbgnbd"))["model"] == "mbgnbd"


def test_summary_json_names_file_and_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "rfm.csv"
    path.write_text("frequency,recency,age\n1,2.0,5.0\n")
    with pytest.raises(BgNbdInputError, match=r"rfm\.csv: missing column\(s\) 'T'"):
        bgnbd_summary_json(path)


def test_summary_json_names_file_line_and_column_of_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "rfm.csv"
    path.write_text("frequency,recency,T\n1,2.0,5.0\n0,0,4\n2,abc,5\n")
    with pytest.raises(BgNbdInputError, match=r"rfm\.csv, line 4, column 'recency': value 'abc'"):
        bgnbd_summary_json(path)
    path.write_text("frequency,recency,T\n1,2.0,5.0\n0,0,4\n2,7,5\n")
    with pytest.raises(
        BgNbdInputError, match=r"rfm\.csv, line 4, column 'recency': recency is larger than T"
    ):
        bgnbd_summary_json(path)


def test_summary_json_refuses_a_degenerate_fit_and_says_how_many_repeat(tmp_path: Path) -> None:
    # 234 customers, 9 with one or two repeat purchases: MBG/NBD's r and α run off together
    # (r ≈ 2·10⁵, α ≈ 3·10⁶); depending on the last bits the optimiser calls that a success.
    rng = np.random.default_rng(6)
    n, k = 234, 9
    T = np.round(rng.uniform(1, 20, n) * 7) / 7
    x = np.zeros(n)
    t_x = np.zeros(n)
    x[:k] = rng.integers(1, 3, k)
    t_x[:k] = np.maximum(np.round(T[:k] * rng.uniform(0.3, 1.0, k) * 7) / 7, 1 / 7)
    fit = fit_mbgnbd(x, t_x, T)
    assert fit.converged and fit.implausible_parameter() is not None
    path = tmp_path / "short.csv"
    pl.DataFrame({"frequency": x, "recency": t_x, "T": T}).write_csv(path, float_precision=17)
    with pytest.raises(
        BgNbdInputError,
        match=r"degenerate: implausible parameter r = .*"
        r"\(9 of 234 customers have a repeat purchase\)",
    ):
        bgnbd_summary_json(path, model="mbgnbd")
