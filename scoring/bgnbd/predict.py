"""Predictions of a fit: P(alive) and expected purchases, as numpy arrays or Polars expressions."""

from __future__ import annotations

import polars as pl

from scoring import _bgnbd_math as math_
from scoring._bgnbd_math import FloatArray
from scoring.bgnbd.inputs import _column_arrays, _RowsInput
from scoring.bgnbd.results import BgNbdFit


def probability_alive(
    fit: BgNbdFit, frequency: _RowsInput, recency: _RowsInput, T: _RowsInput
) -> FloatArray:
    """P(alive at T | frequency, recency, T) as a numpy array."""
    x, t_x, age = _column_arrays(frequency, recency, T)
    return math_.probability_alive(fit.params, x, t_x, age, fit.model)


def expected_purchases(
    fit: BgNbdFit, t: float, frequency: _RowsInput, recency: _RowsInput, T: _RowsInput
) -> FloatArray:
    """E[purchases in the next `t` time units | frequency, recency, T] as a numpy array."""
    x, t_x, age = _column_arrays(frequency, recency, T)
    return math_.expected_purchases(fit.params, t, x, t_x, age, fit.model)


def probability_alive_expr(
    fit: BgNbdFit, frequency: str = "frequency", recency: str = "recency", T: str = "T"
) -> pl.Expr:
    """P(alive) as a pure Polars expression (BG/NBD gives 1 when frequency is 0)."""
    x, t_x, age = pl.col(frequency).cast(pl.Float64), pl.col(recency), pl.col(T)
    shift = 0 if fit.model == "bgnbd" else 1
    odds = (fit.a / (fit.b + x + shift - 1)) * (
        ((fit.r + x) * ((age + fit.alpha).log() - (t_x + fit.alpha).log())).exp()
    )
    if fit.model == "bgnbd":
        odds = pl.when(x > 0).then(odds).otherwise(0.0)
    return (1.0 / (1.0 + odds)).alias("probability_alive")


def expected_purchases_expr(
    fit: BgNbdFit,
    t: float,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
) -> pl.Expr:
    """E[purchases in the next `t` time units] as a Polars expression.

    The Gauss hypergeometric function has no Polars expression, so whole columns go to
    scipy's vectorised `hyp2f1` in one batch (no per-row Python).
    """

    def batch(columns: pl.Series) -> pl.Series:
        values = columns.struct.unnest()
        x, t_x, age = (values[c].cast(pl.Float64).to_numpy() for c in values.columns)
        return pl.Series(math_.expected_purchases(fit.params, t, x, t_x, age, fit.model))

    return (
        pl.struct(pl.col(frequency).alias("x"), pl.col(recency).alias("t_x"), pl.col(T).alias("T"))
        .map_batches(batch, return_dtype=pl.Float64)
        .alias("expected_purchases")
    )


def score_customers(
    frame: pl.DataFrame | pl.LazyFrame, fit: BgNbdFit, horizon: float
) -> pl.LazyFrame:
    """Add `probability_alive` and `expected_purchases` (next `horizon` time units)."""
    return frame.lazy().with_columns(
        probability_alive_expr(fit), expected_purchases_expr(fit, horizon)
    )
