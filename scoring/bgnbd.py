"""Repeat-buying churn model: BG/NBD and MBG/NBD fitted by maximum likelihood.

Inputs per customer (the "RFM summary", see `summarise_transactions`):
`frequency` = repeat purchase occasions, `recency` = time from first to last purchase,
`T` = time from first purchase to the end of the calibration period, all in one time unit.

- `fit_bgnbd` / `fit_mbgnbd` fit the models and return a `BgNbdFit`.
- `probability_alive_expr` / `expected_purchases_expr` are Polars expressions that score
  customers with a fit; `score_customers` adds both columns to a frame.
- `bgnbd_summary_json` backs the `kam bgnbd --summary FILE.csv` command.

See docs/churn-model.md for the model choice, measured accuracy and limits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy.optimize import minimize

from scoring import _bgnbd_math as math_
from scoring._bgnbd_math import FloatArray

MODELS: tuple[str, ...] = ("bgnbd", "mbgnbd")
# Chosen from the CDNOW hold-out comparison in docs/churn-model.md.
DEFAULT_MODEL = "mbgnbd"
SUMMARY_COLUMNS: tuple[str, ...] = ("frequency", "recency", "T")

_LOG_BOUND = 15.0  # parameters are kept within exp(±15)
#: A fitted parameter outside these bounds marks a degenerate fit (e.g. r ≈ 123,591 when the
#: data cannot tell customers' rates apart): such a fit is not used.
PARAMETER_BOUNDS = (1e-4, 1e4)
_RowsInput = FloatArray | Sequence[float] | pl.Series


class BgNbdInputError(ValueError):
    """Invalid customer summary; knows the offending column and 0-based row."""

    def __init__(self, problem: str, fix: str, column: str | None = None, row: int | None = None):
        self.problem, self.fix, self.column, self.row = problem, fix, column, row
        where = "" if column is None else f"column '{column}'"
        if row is not None:
            where += f", row {row}"
        super().__init__(f"{where + ': ' if where else ''}{problem}. {fix}")

    def located(self, path: Path) -> BgNbdInputError:
        """The same error worded for a CSV file with a header line (row 0 = line 2)."""
        where = f"{path}"
        if self.row is not None:
            where += f", line {self.row + 2}"
        if self.column is not None:
            where += f", column '{self.column}'"
        error = BgNbdInputError(self.problem, self.fix, self.column, self.row)
        error.args = (f"{where}: {self.problem}. {self.fix}",)
        return error


@dataclass(frozen=True)
class BgNbdFit:
    """Maximum-likelihood parameters of a BG/NBD-family model."""

    model: str
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool
    iterations: int

    @property
    def params(self) -> tuple[float, float, float, float]:
        """(r, alpha, a, b)."""
        return (self.r, self.alpha, self.a, self.b)

    def to_dict(self) -> dict[str, float | int | str | bool]:
        """All fields as plain Python values."""
        return asdict(self)

    def implausible_parameter(self) -> str | None:
        """Which parameter lies outside :data:`PARAMETER_BOUNDS`, or None."""
        low, high = PARAMETER_BOUNDS
        for name, value in zip(("r", "alpha", "a", "b"), self.params, strict=True):
            if not low <= value <= high:
                return f"implausible parameter {name} = {value:.6g} (outside {low:g}..{high:g})"
        return None


# --------------------------------------------------------------------------- validation


def _column_arrays(
    frequency: _RowsInput | pl.DataFrame | pl.LazyFrame,
    recency: _RowsInput | None,
    T: _RowsInput | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    if isinstance(frequency, pl.DataFrame | pl.LazyFrame):
        if recency is not None or T is not None:
            raise TypeError("pass either one Polars frame or three arrays, not both")
        frame = frequency.lazy()
        missing = [c for c in SUMMARY_COLUMNS if c not in frame.collect_schema().names()]
        if missing:
            raise BgNbdInputError(
                f"missing column(s) {', '.join(missing)}",
                "The frame needs columns frequency, recency and T (see summarise_transactions)",
            )
        data = frame.select(pl.col(c).cast(pl.Float64) for c in SUMMARY_COLUMNS).collect()
        return tuple(data[c].to_numpy() for c in SUMMARY_COLUMNS)  # type: ignore[return-value]
    if recency is None or T is None:
        raise TypeError("pass recency and T together with frequency, or a single Polars frame")
    arrays = []
    for name, values in zip(SUMMARY_COLUMNS, (frequency, recency, T), strict=True):
        array = np.asarray(values.to_numpy() if isinstance(values, pl.Series) else values)
        if array.ndim != 1:
            raise BgNbdInputError(
                f"expected a 1-D array, got shape {array.shape}",
                "Pass one value per customer",
                name,
            )
        try:
            arrays.append(array.astype(np.float64))
        except (TypeError, ValueError):
            raise BgNbdInputError(
                f"values are not numbers (dtype {array.dtype})", "Pass numeric values", name
            ) from None
    return arrays[0], arrays[1], arrays[2]


def _first_bad(
    column: str, bad: NDArray[np.bool_], values: FloatArray, problem: str, fix: str
) -> None:
    if bad.any():
        row = int(np.argmax(bad))
        count = int(bad.sum())
        more = f" ({count} rows in total)" if count > 1 else ""
        raise BgNbdInputError(f"{problem}, got {values[row]:g}{more}", fix, column, row)


def validate_summary(x: FloatArray, t_x: FloatArray, T: FloatArray) -> None:
    """Raise `BgNbdInputError` naming the first row that breaks the model's conditions."""
    if not (len(x) == len(t_x) == len(T)):
        raise BgNbdInputError(
            f"frequency, recency and T have different lengths ({len(x)}, {len(t_x)}, {len(T)})",
            "Pass one value per customer in each",
        )
    if len(x) == 0:
        raise BgNbdInputError("no customers", "Pass at least one customer summary row")
    for name, values in zip(SUMMARY_COLUMNS, (x, t_x, T), strict=True):
        _first_bad(
            name,
            ~np.isfinite(values),
            values,
            "value is missing or not finite",
            "Fill or drop the row",
        )
        _first_bad(name, values < 0, values, "value is negative", "Times and counts are ≥ 0")
    _first_bad(
        "frequency",
        x != np.round(x),
        x,
        "frequency must be a whole number",
        "frequency counts repeat purchase occasions",
    )
    _first_bad(
        "recency",
        t_x > T,
        t_x,
        "recency is larger than T",
        "recency (first to last purchase) cannot exceed T (first purchase to period end)",
    )
    _first_bad(
        "recency",
        (x == 0) & (t_x != 0),
        t_x,
        "recency must be 0 for a customer without repeat purchases (frequency 0)",
        "Set recency to 0 or check frequency",
    )
    _first_bad(
        "recency",
        (x > 0) & (t_x == 0),
        t_x,
        "recency is 0 but frequency > 0: a repeat purchase must come after the first",
        "Collapse same-day purchases into one occasion (summarise_transactions does)",
    )


# --------------------------------------------------------------------------- fitting


def _unique_rows(
    x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, NDArray[np.intp]]:
    """Distinct (x, t_x, T) rows in ascending order and their counts.

    Same result as ``np.unique(rows, axis=0, return_counts=True)`` for finite values, but
    ``lexsort`` on the columns is ~3× faster than sorting rows as structured records.
    """
    rows = np.column_stack([x, t_x, T])[np.lexsort((T, t_x, x))]
    starts = np.flatnonzero(np.r_[True, np.any(rows[1:] != rows[:-1], axis=1)])
    return rows[starts], np.diff(np.r_[starts, len(rows)])


def _fit(
    model: str,
    frequency: _RowsInput | pl.DataFrame | pl.LazyFrame,
    recency: _RowsInput | None,
    T: _RowsInput | None,
    initial: Sequence[float] | None,
) -> BgNbdFit:
    x, t_x, age = _column_arrays(frequency, recency, T)
    validate_summary(x, t_x, age)
    if not np.any(x > 0):
        raise BgNbdInputError(
            "no customer has a repeat purchase (all frequency 0), so the repeat-buying model"
            " cannot be fitted",
            "Use a longer calibration period or more customers",
            "frequency",
        )
    # Identical summaries share one likelihood term: fit on unique rows with counts.
    unique, counts = _unique_rows(x, t_x, age)
    ux, utx, uage = unique[:, 0], unique[:, 1], unique[:, 2]
    prepared = math_.summaries(ux, utx, uage, counts.astype(np.float64))
    n = len(x)

    if initial is None:
        start = np.array([1.0, max(float(age.mean()), 1e-6), 1.0, 1.0])
    else:
        start = np.asarray(initial, dtype=np.float64)
        if start.shape != (4,) or not np.all(np.isfinite(start)) or np.any(start <= 0):
            raise ValueError(f"initial must be 4 positive numbers (r, alpha, a, b), got {initial}")

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        ll, grad = math_.summaries_log_likelihood_and_gradient(log_params, prepared, model)
        return -ll / n, -grad / n

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * 4
    log_start = np.clip(np.log(start), -_LOG_BOUND, _LOG_BOUND)
    result = minimize(
        objective,
        log_start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 1000, "ftol": 1e-12, "gtol": 1e-8},
    )
    at_bound = bool(np.any(np.abs(result.x) >= _LOG_BOUND - 1e-6))
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BgNbdFit(
        model=model,
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=float(-result.fun * n),
        n_customers=n,
        converged=bool(result.success) and not at_bound,
        iterations=int(result.nit),
    )


def fit_bgnbd(
    frequency: _RowsInput | pl.DataFrame | pl.LazyFrame,
    recency: _RowsInput | None = None,
    T: _RowsInput | None = None,
    *,
    initial: Sequence[float] | None = None,
) -> BgNbdFit:
    """Fit BG/NBD (Fader, Hardie & Lee 2005) by maximum likelihood.

    Pass three arrays, or one Polars frame with columns frequency, recency, T.
    `initial` = (r, alpha, a, b) starting values; the default suits most data.
    """
    return _fit("bgnbd", frequency, recency, T, initial)


def fit_mbgnbd(
    frequency: _RowsInput | pl.DataFrame | pl.LazyFrame,
    recency: _RowsInput | None = None,
    T: _RowsInput | None = None,
    *,
    initial: Sequence[float] | None = None,
) -> BgNbdFit:
    """Fit MBG/NBD (Batislam et al. 2007): BG/NBD where dropout can also follow the first purchase.

    Same interface as `fit_bgnbd`.
    """
    return _fit("mbgnbd", frequency, recency, T, initial)


def fit_model(
    model: str,
    frequency: _RowsInput | pl.DataFrame | pl.LazyFrame,
    recency: _RowsInput | None = None,
    T: _RowsInput | None = None,
    *,
    initial: Sequence[float] | None = None,
) -> BgNbdFit:
    """Fit the model named `model` ("bgnbd" or "mbgnbd")."""
    if model not in MODELS:
        raise ValueError(f"unknown churn model {model!r}; choose one of {', '.join(MODELS)}")
    return _fit(model, frequency, recency, T, initial)


# --------------------------------------------------------------------------- predictions


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


# --------------------------------------------------------------------------- summary


def summarise_transactions(
    frame: pl.DataFrame | pl.LazyFrame,
    customer_col: str,
    date_col: str,
    calibration_end: dt.date,
    time_unit_days: float = 7,
) -> pl.LazyFrame:
    """Per-customer frequency / recency / T from purchases dated on or before `calibration_end`.

    One row per purchase (sales lines only: drop returns first). All purchases of a customer
    on one calendar day are one purchase occasion. With first / last = first / last purchase
    date: frequency = occasions − 1, recency = (last − first) days / time_unit_days,
    T = (calibration_end − first) days / time_unit_days. This reproduces the published
    CDNOW summary exactly (weeks, calibration_end 1997-09-30). Rows with a null date are
    outside every period and ignored.
    """
    if time_unit_days <= 0:
        raise ValueError(f"time_unit_days must be > 0, got {time_unit_days}")
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    for column in (customer_col, date_col):
        if column not in schema.names():
            raise BgNbdInputError(
                f"missing column '{column}'",
                f"Available columns: {', '.join(schema.names())}",
            )
    if not isinstance(schema[date_col], pl.Date | pl.Datetime):
        raise BgNbdInputError(
            f"column '{date_col}' has type {schema[date_col]}, expected a date or datetime",
            "Parse it first, e.g. pl.col(...).str.to_date('%Y%m%d')",
            date_col,
        )
    end = pl.lit(calibration_end, dtype=pl.Date)
    day = pl.col(date_col).cast(pl.Date)
    return (
        lazy.select(pl.col(customer_col), day.alias("_day"))
        .filter(pl.col("_day") <= end)
        .group_by(customer_col)
        .agg(
            first=pl.col("_day").min(),
            last=pl.col("_day").max(),
            occasions=pl.col("_day").n_unique(),
        )
        .select(
            pl.col(customer_col),
            frequency=(pl.col("occasions") - 1).cast(pl.Int64),
            recency=(pl.col("last") - pl.col("first")).dt.total_days() / time_unit_days,
            T=(end - pl.col("first")).dt.total_days() / time_unit_days,
        )
        .sort(customer_col)
    )


# --------------------------------------------------------------------------- CLI backend


def _read_summary_csv(path: Path) -> tuple[FloatArray, FloatArray, FloatArray]:
    if not path.is_file():
        raise BgNbdInputError(f"file not found: {path}", "Pass an existing CSV file")
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise BgNbdInputError(
            f"{path}: cannot read as CSV ({first_line})",
            "Save it as comma-separated UTF-8 with a header line",
        ) from None
    missing = [c for c in SUMMARY_COLUMNS if c not in raw.columns]
    if missing:
        raise BgNbdInputError(
            f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}"
            f" (found: {', '.join(raw.columns)})",
            "The header needs frequency, recency and T (case-sensitive)",
        )
    arrays = []
    for column in SUMMARY_COLUMNS:
        text = raw[column].str.strip_chars()
        number = text.cast(pl.Float64, strict=False)
        bad = (number.is_null() & text.is_not_null() & (text != "")).to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            raise BgNbdInputError(
                f"value {text[row]!r} is not a number", "Write a plain number", column, row
            ).located(path)
        arrays.append(number.fill_null(float("nan")).to_numpy())
    return arrays[0], arrays[1], arrays[2]


def bgnbd_summary_json(path: Path, model: str = "bgnbd") -> str:
    """Fit `model` on a CSV with columns frequency, recency, T; return parameters as JSON.

    Keys: r, alpha, a, b, log_likelihood, n_customers, model. Raises `BgNbdInputError`
    (naming file, line and column) for bad input, and when the fit does not converge or is
    degenerate (a parameter outside :data:`PARAMETER_BOUNDS`).
    """
    if model not in MODELS:
        raise ValueError(f"unknown churn model {model!r}; choose one of {', '.join(MODELS)}")
    path = Path(path)
    x, t_x, age = _read_summary_csv(path)
    try:
        fit = fit_model(model, x, t_x, age)
    except BgNbdInputError as error:
        raise error.located(path) from None
    repeat = f"{int(np.sum(x > 0))} of {len(x)} customers have a repeat purchase"
    if not fit.converged:
        raise BgNbdInputError(
            f"{path}: the {model} fit did not converge after {fit.iterations} iterations"
            f" ({repeat})",
            "Try the other model (--model), a longer calibration period, or check the summary",
        )
    problem = fit.implausible_parameter()
    if problem is not None:
        raise BgNbdInputError(
            f"{path}: the {model} fit is degenerate: {problem} ({repeat})",
            "The data cannot tell customers' buying rates apart: use more customers or a longer"
            " history",
        )
    keys = ("r", "alpha", "a", "b", "log_likelihood", "n_customers", "model")
    summary = fit.to_dict()
    return json.dumps({key: summary[key] for key in keys}, indent=2)
