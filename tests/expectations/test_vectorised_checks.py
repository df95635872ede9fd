"""The values GE checks are converted so that it compares them vectorised, and no check can tell:
timestamps become nanoseconds only where every value fits, and the decimal scale is judged on
the numbers exactly as on their text."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from expectations import validate_raw_partition
from expectations.plausibility import (
    AT_MOST_SCALE,
    NUMERIC_LIMIT,
    beyond_scale,
    plausibility_outcomes,
)
from expectations.runner import comparable
from ingestion.contracts import load_contracts
from ingestion.plausibility import Plausibility

BUSINESS_DATE = dt.date(2024, 6, 30)


def stamps(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="ISO8601")).astype("datetime64[us]")


# --------------------------------------------------------------------------- timestamps


def test_microsecond_timestamps_that_fit_become_the_same_nanosecond_timestamps():
    values = stamps("2024-06-30 09:00:00.000001", None, "1980-01-01 00:00:00")
    converted = comparable(values)
    assert converted.dtype == np.dtype("datetime64[ns]")
    # the same instants, to the microsecond; the null stays null
    assert converted.iloc[0] == pd.Timestamp("2024-06-30 09:00:00.000001")
    assert pd.isna(converted.iloc[1])
    assert converted.iloc[2] == pd.Timestamp("1980-01-01")


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        # nanoseconds reach from 1677-09-21 00:12:43.145224193 to 2262-04-11 23:47:16.854775807
        ("1677-09-21 00:12:43.145225", "ns"),
        ("1677-09-21 00:12:43.145224", "us"),  # 193 ns before the first nanosecond timestamp
        ("2262-04-11 23:47:16.854775", "ns"),
        ("2262-04-11 23:47:16.854776", "us"),  # 193 ns after the last one
        ("0001-01-01 00:00:00", "us"),  # a year-1 placeholder
    ],
)
def test_a_column_becomes_nanoseconds_only_when_every_value_fits(value, unit):
    converted = comparable(stamps("2024-06-30 09:00", value))
    assert converted.dtype == np.dtype(f"datetime64[{unit}]")
    assert converted.iloc[1] == pd.Timestamp(value)


def test_all_null_timestamps_become_nanoseconds():
    assert comparable(stamps(None, None)).dtype == np.dtype("datetime64[ns]")


def test_zoned_timestamps_dates_and_text_are_left_as_they_are():
    zoned = stamps("2024-06-30 09:00").dt.tz_localize("UTC")
    assert str(comparable(zoned).dtype) == "datetime64[us, UTC]"  # local_time reports this unit
    dates = pd.Series([dt.date(1, 1, 1), dt.date(2024, 6, 30)])
    pd.testing.assert_series_equal(comparable(dates), dates)
    text = pd.Series(["a", None])
    pd.testing.assert_series_equal(comparable(text), text)


def test_decimal_objects_become_floats():
    converted = comparable(pd.Series([Decimal("12.3456"), None, Decimal("-1")]))
    assert converted.dtype == np.float64
    np.testing.assert_array_equal(converted.to_numpy(), [12.3456, np.nan, -1.0])


def transactions(ordered_at: list[str]) -> pd.DataFrame:
    rows = len(ordered_at)
    return pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(rows)],
            "line_number": [1] * rows,
            "customer_id": "C1",
            "ordered_at": stamps(*ordered_at),
            "product_id": "P1",
            "product_category": "pumps",
            "quantity": 1.0,
            "unit_price": 10.0,
            "line_amount": 10.0,
            "line_cost": 7.0,
            "discount_amount": None,
            "_business_date": [BUSINESS_DATE] * rows,
            "_source_file": "export.csv",
            "_source_line": list(range(2, rows + 2)),
            "_file_checksum": "ab12",
            "_loaded_at": stamps(*["2024-07-01 02:00"] * rows),
        }
    )


def failing(frame: pd.DataFrame, source: str) -> dict[str, str]:
    outcome = validate_raw_partition(source, frame)
    return {o.name: o.details for o in outcome.outcomes if not o.passed}


def test_a_year_1_timestamp_is_still_found_and_shown_as_it_is():
    # the column keeps microseconds (year 1 has no nanosecond timestamp); 1 of 3 is 33.3 %
    frame = transactions(["2024-06-30 09:00", "0001-01-01 00:00", "2024-06-30 10:00"])
    assert failing(frame, "transactions") == {
        "ordered_at_earliest_date": "1 of 3 rows (33.3 %) break it; e.g. 0001-01-01 00:00:00 ×1"
    }


def test_a_year_2300_timestamp_keeps_the_earlier_placeholder_found():
    # 2300 does not fit nanoseconds: the column keeps microseconds, 1900 is still before 1980
    frame = transactions(["2300-01-01 00:00", "1900-01-01 00:00", "2024-06-30 10:00"])
    assert failing(frame, "transactions") == {
        "ordered_at_earliest_date": "1 of 3 rows (33.3 %) break it; e.g. 1900-01-01 00:00:00 ×1"
    }


def test_a_pair_of_a_nanosecond_and_a_microsecond_column_is_compared_by_instant():
    # occurred_at fits nanoseconds, resolved_at (year 1) does not: E2 is resolved before it
    # occurred, E1 a microsecond after, E3 at the same instant
    frame = pd.DataFrame(
        {
            "interaction_id": ["E1", "E2", "E3"],
            "customer_id": "C1",
            "occurred_at": stamps("2024-06-01 10:00", "2024-06-02 10:00", "2024-06-03 10:00"),
            "channel": "call",
            "interaction_type": "task",
            "status": "resolved",
            "resolved_at": stamps(
                "2024-06-01 10:00:00.000001", "0001-01-01 00:00", "2024-06-03 10:00"
            ),
            "employee": None,
            "_business_date": [BUSINESS_DATE] * 3,
            "_source_file": "export.csv",
            "_source_line": [2, 3, 4],
            "_file_checksum": "ab12",
            "_loaded_at": stamps(*["2024-07-01 02:00"] * 3),
        }
    )
    assert failing(frame, "interactions") == {
        "resolved_at_earliest_date": "1 of 3 rows (33.3 %) break it; e.g. 0001-01-01 00:00:00 ×1",
        "resolved_at_not_before_occurred_at": (
            "1 of 3 rows (33.3 %) break it; e.g. (0001-01-01 00:00:00, 2024-06-02 10:00:00) ×1"
        ),
    }


# --------------------------------------------------------------------------- dates


def test_dates_before_earliest_date_are_counted_and_shown_as_dates():
    settings = Plausibility("CNY", dt.date(1980, 1, 1), "Asia/Shanghai")
    dates = [dt.date(2024, 6, 30), None, dt.date(1, 1, 1), dt.date(1979, 12, 31)]
    frame = pd.DataFrame({"payment_date": pd.Series([*dates, dt.date(1980, 1, 1)])})
    contract = load_contracts()["payments"]
    [outcome] = plausibility_outcomes(contract, frame, settings, "raw_payments")
    # year 1 and 1979-12-31 of 5 rows; 1980-01-01 itself is plausible, the null is not judged
    assert (outcome.name, outcome.passed) == ("payment_date_earliest_date", False)
    assert outcome.details == ("2 of 5 rows (40.0 %) break it; e.g. 0001-01-01 ×1, 1979-12-31 ×1")
    assert outcome.description.startswith(
        "raw.payments.payment_date is on or after earliest_date 1980-01-01 (plausibility rule "
        "earliest_date: ingestion quarantines a date before earliest_date"
    )


def test_a_date_column_holding_text_is_still_checked_by_ge_value_by_value():
    # '2024-03-10' cannot be compared with a date: GE's check fails, the suite still runs
    frame = pd.DataFrame({"payment_date": pd.Series(["2024-03-10", dt.date(1900, 1, 1)])})
    contract = load_contracts()["payments"]
    outcomes = plausibility_outcomes(contract, frame, Plausibility.defaults(), "raw_payments")
    assert [(o.name, o.passed) for o in outcomes] == [("payment_date_earliest_date", False)]


# --------------------------------------------------------------------------- decimal scale


def test_values_with_more_than_four_decimals_are_kept_and_the_others_are_null():
    values = pd.Series(
        [
            12.3456,  # 4 decimals
            12.34567,  # 5
            1e-05,  # written 1e-05
            0.1 + 0.2,  # 0.30000000000000004, not the float nearest 0.3
            0.3,
            -10.5,
            np.nan,
            np.inf,  # written inf
            68719476736.5,  # 2**36 + 0.5: above the numeric limit, judged by its text
            68719476736.00002,  # above it too, and written with 5 decimals
            1e16,  # written 1e+16, a whole number
        ]
    )
    beyond = beyond_scale(values)
    kept = [12.34567, 1e-05, 0.30000000000000004, np.inf, 68719476736.00002]
    assert beyond.dropna().tolist() == kept
    null = [True, False, False, False, True, True, True, False, True, False, True]
    assert beyond.isna().tolist() == null


def test_decimal_objects_text_and_integers_are_judged_too():
    decimals = beyond_scale(pd.Series([Decimal("1.23456"), Decimal("2.5"), None]))
    np.testing.assert_array_equal(decimals.to_numpy(), [1.23456, np.nan, np.nan])
    texts = beyond_scale(pd.Series(["12.3", "12.34567", None], dtype=object))
    assert texts.isna().tolist() == [True, False, True]
    assert texts.iloc[1] == "12.34567"
    assert beyond_scale(pd.Series([1, -20, 3_000_000_000])).isna().all()


def test_the_numbers_give_the_verdict_of_the_text_on_every_value():
    """Second method: the regex on ``str(value)`` (the text rule) for 60,000 values of 0 to 6
    decimals, from tiny to past the numeric limit."""
    rng = np.random.default_rng(7)
    signs = rng.choice([-1, 1], size=60_000)
    units = (signs * 10 ** rng.uniform(0, 16, size=60_000)).astype(np.int64)
    scales = rng.integers(0, 7, size=60_000)
    values = np.concatenate(
        [units / 10.0**scales, [NUMERIC_LIMIT, -NUMERIC_LIMIT, NUMERIC_LIMIT - 0.0001]]
    )
    by_text = [re.search(AT_MOST_SCALE, str(v)) is None for v in values]
    assert beyond_scale(pd.Series(values)).notna().tolist() == by_text
    assert 10_000 < sum(by_text) < 30_000  # both verdicts are well represented
