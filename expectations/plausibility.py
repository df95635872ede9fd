"""The plausibility rules of ingestion, tested again on a raw partition with Great Expectations.

Ingestion quarantines implausible lines (``ingestion/value_checks.py``); a line that reached a raw
table past it — loaded by an older kam, under other settings in ``config/ingestion.yaml``, or by
another code path — fails one of these checks instead of being published. The checks are not a
second list: each rule of :func:`ingestion.plausibility.plausibility_rules` becomes the GE
expectations of its kind in :data:`MIRRORS`, and a test keeps every kind mirrored.

Each check is one vectorised pass over the rows: timestamps reach GE as nanoseconds where they
fit (:func:`expectations.runner.comparable`); dates before ``earliest_date`` and the decimal scale
are judged with numpy, not value by value or on the values' text (:func:`beyond_scale`), in a
derived column that GE checks to be null.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
from great_expectations.expectations import Expectation
from great_expectations.expectations.row_conditions import Column as Where

from expectations import rules
from expectations.outcome import CheckOutcome
from expectations.runner import comparable, run_expectations
from ingestion.contracts import SourceContract
from ingestion.plausibility import RULE_KINDS, Plausibility, PlausibilityRule, plausibility_rules
from ingestion.value_checks import DECIMAL_SCALE

# A number as pandas writes it (``str(value)``, the shortest text that reads back as the same
# float): at most DECIMAL_SCALE decimals, or a whole number so large that it is written with an
# exponent. Judges the values :func:`beyond_scale` cannot judge on the numbers.
AT_MOST_SCALE = rf"^-?[0-9]+(?:\.[0-9]{{1,{DECIMAL_SCALE}}})?$|^-?[0-9](?:\.[0-9]+)?e\+[0-9]+$"
# Below this magnitude x * 10**DECIMAL_SCALE is within 0.25 of the integer k when x is the float
# nearest k / 10**DECIMAL_SCALE (x's own rounding times 10**DECIMAL_SCALE, plus the product's),
# and k < 2**50 is exact: 2**36 (6.9e10) for 4 decimals.
NUMERIC_LIMIT = 2.0 ** (50 - math.ceil(math.log2(10**DECIMAL_SCALE)))


@dataclass(frozen=True)
class Mirrored:
    """A rule's GE expectations, and the columns derived from the frame that they check."""

    expectations: list[Expectation]
    derived: dict[str, pd.Series] = field(default_factory=dict)


Mirror = Callable[[PlausibilityRule, pd.DataFrame, Plausibility, str], Mirrored]


def plausibility_outcomes(
    contract: SourceContract, frame: pd.DataFrame, settings: Plausibility, suite: str
) -> list[CheckOutcome]:
    """One outcome per plausibility check of ``contract`` whose columns are in ``frame``."""
    mirrored = [
        MIRRORS[rule.kind](rule, frame, settings, contract.name)
        for rule in plausibility_rules(contract)
        if {rule.column, rule.other} - {None} <= set(frame.columns)
    ]
    checks = [expectation for m in mirrored for expectation in m.expectations]
    if not checks:
        return []
    derived = {name: values for m in mirrored for name, values in m.derived.items()}
    return run_expectations(suite, frame.assign(**derived), checks)


def _check(
    expectation_type: type[Expectation],
    rule: PlausibilityRule,
    source: str,
    name: str,
    expects: str,
    **kwargs: object,
) -> Expectation:
    """An error-level expectation whose description names the table, the rule and the fix."""
    kind = RULE_KINDS[rule.kind]
    description = (
        f"raw.{source}.{expects} (plausibility rule {rule.kind}: ingestion "
        f"{'quarantines' if kind.action == 'quarantine' else 'converts'} {kind.forbids}). "
        f"To fix: {kind.fix}; land the corrected file in the date's folder and run "
        "`kam run --date <date>` again: the loader replaces the partition and quarantines "
        "what is still implausible"
    )
    return rules.expect(
        expectation_type, check=name, severity="error", description=description, **kwargs
    )


def _decimal_scale(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> Mirrored:
    """GE checks a derived column that holds each value with more than DECIMAL_SCALE decimals
    (null elsewhere) to be null: its failures count and show the offending values themselves."""
    beyond = f"{rule.column} beyond {DECIMAL_SCALE} decimals"
    check = _check(
        gxe.ExpectColumnValuesToBeNull,
        rule,
        source,
        f"{rule.column}_decimal_scale",
        f"{rule.column} has at most {DECIMAL_SCALE} decimals",
        column=beyond,
    )
    return Mirrored([check], {beyond: beyond_scale(frame[rule.column])})


def beyond_scale(values: pd.Series) -> pd.Series:
    """``values`` (as GE compares them) where they have more than DECIMAL_SCALE decimals, that
    is where :data:`AT_MOST_SCALE` does not match their text; null elsewhere and where null.

    A float64 x below :data:`NUMERIC_LIMIT` has at most DECIMAL_SCALE decimals exactly when it
    is the float nearest some k / 10**DECIMAL_SCALE, so when rounding x * 10**DECIMAL_SCALE to
    k and dividing back gives x again (one IEEE division of exact numbers: the nearest float).
    Larger, infinite and non-float values (rare) are judged by their text.
    """
    values = comparable(values)
    beyond = np.zeros(len(values), dtype=bool)
    by_text = values.notna().to_numpy(copy=True)
    if values.dtype == np.float64 or pd.api.types.is_integer_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        small = np.abs(numbers) < NUMERIC_LIMIT  # False for nan and infinity
        scale = 10.0**DECIMAL_SCALE
        beyond[small] = np.rint(numbers[small] * scale) / scale != numbers[small]
        by_text &= ~small
    if by_text.any():
        texts = values[by_text].astype(str)
        beyond[by_text] = ~texts.str.contains(AT_MOST_SCALE).to_numpy(dtype=bool)
    return values.where(beyond)


def _earliest_date(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> Mirrored:
    """GE's between expectation on timestamps (vectorised as nanoseconds where they fit).

    GE compares ``datetime.date`` objects one by one (about 0.1 s per 100,000); for a column
    of dates it checks a derived column holding each date before ``earliest_date`` (null
    elsewhere, numpy compares them at once) to be null: same counts, the dates themselves shown.
    """
    values = frame[rule.column]
    name = f"{rule.column}_earliest_date"
    expects = f"{rule.column} is on or after earliest_date {settings.earliest_date}"
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "date":
        before = f"{rule.column} before earliest_date"
        check = _check(gxe.ExpectColumnValuesToBeNull, rule, source, name, expects, column=before)
        return Mirrored([check], {before: values.where(values < settings.earliest_date)})
    check = _check(
        gxe.ExpectColumnValuesToBeBetween,
        rule,
        source,
        name,
        expects,
        column=rule.column,
        min_value=_earliest_bound(values, settings),
    )
    return Mirrored([check])


def _earliest_bound(values: pd.Series, settings: Plausibility) -> dt.date | pd.Timestamp:
    """``earliest_date`` comparable with ``values``: a date for ``datetime.date`` objects, a
    timestamp at midnight for datetime64 (in ``time_zone`` if the values carry a zone)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        return settings.earliest_date
    zone = settings.time_zone if getattr(values.dtype, "tz", None) is not None else None
    return pd.Timestamp(settings.earliest_date, tz=zone)


def _local_time(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> Mirrored:
    check = _check(
        gxe.ExpectColumnTypeToBe,
        rule,
        source,
        f"{rule.column}_local_time",
        f"{rule.column} holds local time without a time zone (time_zone {settings.time_zone})",
        column=rule.column,
        type_="datetime64",  # any time-zone-naive numpy datetime column
    )
    return Mirrored([check])


def _reporting_currency(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> Mirrored:
    currency = settings.reporting_currency  # three letters (validated), compared ignoring case
    check = _check(
        gxe.ExpectColumnValuesToMatchRegex,
        rule,
        source,
        f"{rule.column}_reporting_currency",
        f"{rule.column} is the reporting currency {currency}",
        column=rule.column,
        regex=f"^(?i:{currency})$",
    )
    return Mirrored([check])


def _not_before(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> Mirrored:
    check = _check(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB,
        rule,
        source,
        f"{rule.column}_not_before_{rule.other}",
        f"{rule.column} is not before {rule.other}",
        column_A=rule.column,
        column_B=rule.other,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    return Mirrored([check])


def _sign_of(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> Mirrored:
    """Two expectations: not negative where ``other`` is positive, not positive where negative."""
    column, other = rule.column, rule.other
    positive = _check(
        gxe.ExpectColumnValuesToBeBetween,
        rule,
        source,
        f"{column}_sign_of_{other}_positive",
        f"{column} is not negative where {other} is positive",
        column=column,
        min_value=0,
        row_condition=Where(other) > 0,
    )
    negative = _check(
        gxe.ExpectColumnValuesToBeBetween,
        rule,
        source,
        f"{column}_sign_of_{other}_negative",
        f"{column} is not positive where {other} is negative",
        column=column,
        max_value=0,
        row_condition=Where(other) < 0,
    )
    return Mirrored([positive, negative])


# Each kind of plausibility rule (ingestion.plausibility.RULE_KINDS) and its GE expectations.
MIRRORS: dict[str, Mirror] = {
    "decimal_scale": _decimal_scale,
    "earliest_date": _earliest_date,
    "local_time": _local_time,
    "reporting_currency": _reporting_currency,
    "not_before": _not_before,
    "sign_of": _sign_of,
}
