"""Column types as the caller's frame shows them after DuckDB → Arrow → pandas.

The conversion changes dtypes without changing meaning: a BIGINT with nulls arrives as float64,
a BOOLEAN with nulls and a DECIMAL as object columns (``bool`` / ``Decimal`` values), a DATE as
``datetime.date`` objects (or datetime64 at midnight through Polars). So a column's type is
judged by its *values* (``pandas.api.types.infer_dtype``), per contract type family. GE's
``expect_column_values_to_be_in_type_list`` cannot do this: on pandas 3 it rejects a ``str``
column even when ``str`` is in the list.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

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


def frame_from_arrow(table: pa.Table, types: Mapping[str, str]) -> pd.DataFrame:
    """``table.to_pandas()``, with DECIMAL columns as float64 where that changes no check.

    The checks compare decimals as floats anyway (``expectations.runner``); building one Python
    ``Decimal`` per value only to convert it back took most of a check's time. A column keeps its
    ``Decimal`` values when its documented type is not numeric (so a type error still names what
    it found) and when the exact conversion below cannot be made.
    """
    columns = {}
    for index, field in enumerate(table.schema):
        if not pa.types.is_decimal128(field.type):
            continue
        expected = types.get(field.name, "decimal")  # an undocumented column's type is not checked
        if expected == "decimal" or (expected == "integer" and field.type.scale == 0):
            values = _decimals_as_floats(table.column(index), field.type.scale)
            if values is not None:
                columns[index] = values
    for index, values in columns.items():
        table = table.set_column(index, table.schema.field(index).name, values)
    return table.to_pandas()


def _decimals_as_floats(column: pa.ChunkedArray, scale: int) -> pa.Array | None:
    """The values as float64, each equal to ``float(Decimal)``; None when that is not certain.

    An unscaled integer below 2**53 is exact as a double and 10**scale is exact for scale ≤ 22,
    so one IEEE division gives the correctly rounded value, as ``float(Decimal)`` does. (Arrow's
    own cast multiplies by 10**-scale and is off by one unit in the last place for most values.)
    """
    if sys.byteorder != "little" or not 0 <= scale <= 22:
        return None
    column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if len(column) == 0:
        return pa.array([], type=pa.float64())
    count, offset = len(column), column.offset
    words = np.frombuffer(column.buffers()[1], dtype=np.int64, count=2 * (offset + count))
    low, high = words[2 * offset :: 2], words[2 * offset + 1 :: 2]
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    # |unscaled| < 2**53: the high word is the sign extension of the low one.
    small = (high == (low >> 63)) & (low > -(2**53)) & (low < 2**53)
    if not small[valid].all():
        return None
    values = low.astype(np.float64) / 10.0**scale
    return pa.array(values, type=pa.float64(), mask=~valid)


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
