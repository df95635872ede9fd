"""The customer summary the models take (frequency, recency, T): read from arrays or a frame
and checked, with :class:`BgNbdInputError` naming the column and row at fault."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from scoring._bgnbd_math import FloatArray

SUMMARY_COLUMNS: tuple[str, ...] = ("frequency", "recency", "T")

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
