"""Column types as the caller's frame shows them after DuckDB → Arrow → pandas.

The conversion changes dtypes without changing meaning: a BIGINT with nulls arrives as float64,
a BOOLEAN with nulls and a DECIMAL as object columns (``bool`` / ``Decimal`` values), a DATE as
``datetime.date`` objects (or datetime64 at midnight through Polars). So a column's type is
judged by its *values* (``pandas.api.types.infer_dtype``), per contract type family. GE's
``expect_column_values_to_be_in_type_list`` cannot do this: on pandas 3 it rejects a ``str``
column even when ``str`` is in the list.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from expectations.outcome import CheckOutcome

# Contract type families: string, integer, decimal (any number), date, timestamp, boolean.
_NUMERIC = {"integer", "floating", "decimal", "mixed-integer-float"}
_ACCEPTED: dict[str, set[str]] = {
    "string": {"string"},
    "integer": {"integer"},
    "decimal": _NUMERIC,
    "date": {"date"},
    "timestamp": {"datetime64", "datetime"},
    "boolean": {"boolean"},
}


def type_problem(series: pd.Series, expected: str) -> str | None:
    """Why ``series`` does not hold values of the contract type ``expected``; None when it does."""
    values = series.dropna()
    if values.empty:
        return None
    found = pd.api.types.infer_dtype(values, skipna=True)
    if found in _ACCEPTED[expected]:
        return None
    if expected == "integer" and found in _NUMERIC:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        if np.isfinite(numbers).all() and (numbers == np.floor(numbers)).all():
            return None  # BIGINT with nulls comes as float64; whole numbers are fine
        return f"expected integer, found fractional numbers (e.g. {_example(values)})"
    if expected == "date" and found in {"datetime64", "datetime"}:
        stamps = pd.to_datetime(values)
        if (stamps == stamps.dt.normalize()).all():
            return None  # DATE through Polars comes as datetime64 at midnight
        return f"expected date, found timestamps with a time of day (e.g. {_example(values)})"
    return f"expected {expected}, found {found} (e.g. {_example(values)})"


def column_types_outcome(
    frame: pd.DataFrame, types: Mapping[str, str], *, name: str = "column_types"
) -> CheckOutcome:
    """Error outcome listing every present column whose values are not of its contract type."""
    problems = [
        f"{column}: {problem}"
        for column, expected in types.items()
        if column in frame.columns and (problem := type_problem(frame[column], expected))
    ]
    return CheckOutcome(
        name=name,
        severity="error",
        passed=not problems,
        description="every column holds values of its documented type",
        details="; ".join(problems) if problems else f"{len(types)} column types as documented",
    )


def _example(values: pd.Series) -> str:
    value = values.iloc[0]
    return repr(value) if isinstance(value, str) else str(value)
