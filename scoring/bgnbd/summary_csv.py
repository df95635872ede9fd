"""The backend of ``kam bgnbd --summary FILE.csv``: fit a model on a summary CSV, answer JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from scoring._bgnbd_math import FloatArray
from scoring.bgnbd.fitting import fit_model
from scoring.bgnbd.inputs import SUMMARY_COLUMNS, BgNbdInputError
from scoring.bgnbd.results import MODELS


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
