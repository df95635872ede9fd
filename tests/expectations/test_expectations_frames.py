"""DuckDB → Arrow → pandas for the checks: decimals as floats only where no check can tell."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa

from expectations.schema import frame_from_arrow


def _decimals(values: list[str | None], precision: int = 38, scale: int = 4) -> pa.Array:
    return pa.array(
        [None if v is None else Decimal(v) for v in values], type=pa.decimal128(precision, scale)
    )


def test_decimal_amounts_become_the_floats_float_of_decimal_gives():
    # Arrow's own cast gives 247047.87000000002 and 7105.240000000001 for the first two.
    values = ["247047.8700", "7105.2400", "-1211.8500", "0.0001", None, "0"]
    frame = frame_from_arrow(pa.table({"amount": _decimals(values)}), {"amount": "decimal"})
    assert frame["amount"].dtype == np.float64
    expected = [247047.87, 7105.24, -1211.85, 0.0001, np.nan, 0.0]
    np.testing.assert_array_equal(frame["amount"].to_numpy(), np.array(expected))


def test_whole_decimal_counts_become_floats_but_fractional_scales_stay_decimal():
    table = pa.table(
        {"visits": _decimals(["3", "12"], scale=0), "orders": _decimals(["1.5", "2.0"], scale=1)}
    )
    frame = frame_from_arrow(table, {"visits": "integer", "orders": "integer"})
    assert frame["visits"].tolist() == [3.0, 12.0]
    assert frame["orders"].tolist() == [Decimal("1.5"), Decimal("2.0")]


def test_decimal_in_a_non_numeric_column_keeps_its_decimal_values():
    frame = frame_from_arrow(pa.table({"city": _decimals(["1.2500"])}), {"city": "string"})
    assert frame["city"].tolist() == [Decimal("1.2500")]


def test_values_too_large_for_an_exact_float_keep_their_decimals():
    big = "9007199254740.9930"  # more than 2**53 units of 0.0001
    frame = frame_from_arrow(pa.table({"amount": _decimals([big, "1"])}), {"amount": "decimal"})
    assert frame["amount"].tolist() == [Decimal(big), Decimal("1.0000")]


def test_sliced_and_chunked_columns_keep_their_values_and_nulls():
    chunked = pa.chunked_array([_decimals(["1.1000", None, "2.2000"]), _decimals(["-3.3000"])])
    table = pa.table({"amount": chunked, "name": ["a", "b", "c", "d"]}).slice(1)
    frame = frame_from_arrow(table, {"amount": "decimal", "name": "string"})
    np.testing.assert_array_equal(frame["amount"].to_numpy(), np.array([np.nan, 2.2, -3.3]))
    assert frame.columns.tolist() == ["amount", "name"]
    assert frame["name"].tolist() == ["b", "c", "d"]
