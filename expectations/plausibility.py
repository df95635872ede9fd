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


@dataclass(frozen=True)
class Target:
    """One plausibility rule of a source, to be checked on that source's raw frame."""

    rule: PlausibilityRule
    frame: pd.DataFrame
    settings: Plausibility
    source: str

    def check(
        self,
        expectation_type: type[Expectation],
        expects: str,
        qualifier: str | None = None,
        **kwargs: object,
    ) -> Expectation:
        """An error-level expectation named ``<column>_<kind>[_<other>][_<qualifier>]`` whose
        description names the table, the rule and the fix."""
        rule = self.rule
        name = "_".join(part for part in (rule.column, rule.kind, rule.other, qualifier) if part)
        kind = RULE_KINDS[rule.kind]
        description = (
            f"raw.{self.source}.{expects} (plausibility rule {rule.kind}: ingestion "
            f"{'quarantines' if kind.action == 'quarantine' else 'converts'} {kind.forbids}). "
            f"To fix: {kind.fix}; land the corrected file in the date's folder and run "
            "`kam run --date <date>` again: the loader replaces the partition and quarantines "
            "what is still implausible"
        )
        return rules.expect(
            expectation_type, check=name, severity="error", description=description, **kwargs
        )


Mirror = Callable[[Target], Mirrored]


def plausibility_outcomes(
    contract: SourceContract, frame: pd.DataFrame, settings: Plausibility, suite: str
) -> list[CheckOutcome]:
    """One outcome per plausibility check of ``contract`` whose columns are in ``frame``."""
    mirrored = [
        MIRRORS[rule.kind](Target(rule, frame, settings, contract.name))
        for rule in plausibility_rules(contract)
        if {rule.column, rule.other} - {None} <= set(frame.columns)
    ]
    checks = [expectation for m in mirrored for expectation in m.expectations]
    if not checks:
        return []
    derived = {name: values for m in mirrored for name, values in m.derived.items()}
    return run_expectations(suite, frame.assign(**derived), checks)


def _decimal_scale(target: Target) -> Mirrored:
    """GE checks a derived column that holds each value with more than DECIMAL_SCALE decimals
    (null elsewhere) to be null: its failures count and show the offending values themselves."""
    column = target.rule.column
    beyond = f"{column} beyond {DECIMAL_SCALE} decimals"
    expects = f"{column} has at most {DECIMAL_SCALE} decimals"
    check = target.check(gxe.ExpectColumnValuesToBeNull, expects, column=beyond)
    return Mirrored([check], {beyond: beyond_scale(target.frame[column])})


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


def _earliest_date(target: Target) -> Mirrored:
    """GE's between expectation on timestamps (vectorised as nanoseconds where they fit).

    GE compares ``datetime.date`` objects one by one (about 0.1 s per 100,000); for a column
    of dates it checks a derived column holding each date before ``earliest_date`` (null
    elsewhere, numpy compares them at once) to be null: same counts, the dates themselves shown.
    """
    column, earliest = target.rule.column, target.settings.earliest_date
    values = target.frame[column]
    expects = f"{column} is on or after earliest_date {earliest}"
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "date":
        before = f"{column} before earliest_date"
        check = target.check(gxe.ExpectColumnValuesToBeNull, expects, column=before)
        return Mirrored([check], {before: values.where(values < earliest)})
    bound = _earliest_bound(values, target.settings)
    check = target.check(gxe.ExpectColumnValuesToBeBetween, expects, column=column, min_value=bound)
    return Mirrored([check])


def _earliest_bound(values: pd.Series, settings: Plausibility) -> dt.date | pd.Timestamp:
    """``earliest_date`` comparable with ``values``: a date for ``datetime.date`` objects, a
    timestamp at midnight for datetime64 (in ``time_zone`` if the values carry a zone)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        return settings.earliest_date
    zone = settings.time_zone if getattr(values.dtype, "tz", None) is not None else None
    return pd.Timestamp(settings.earliest_date, tz=zone)


def _local_time(target: Target) -> Mirrored:
    column, zone = target.rule.column, target.settings.time_zone
    expects = f"{column} holds local time without a time zone (time_zone {zone})"
    # GE's "datetime64": any time-zone-naive numpy datetime column
    check = target.check(gxe.ExpectColumnTypeToBe, expects, column=column, type_="datetime64")
    return Mirrored([check])


def _reporting_currency(target: Target) -> Mirrored:
    column = target.rule.column
    currency = target.settings.reporting_currency  # three letters (validated)
    expects = f"{column} is the reporting currency {currency}"
    regex = f"^(?i:{currency})$"  # ignoring case
    check = target.check(gxe.ExpectColumnValuesToMatchRegex, expects, column=column, regex=regex)
    return Mirrored([check])


def _not_before(target: Target) -> Mirrored:
    rule = target.rule
    check = target.check(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB,
        f"{rule.column} is not before {rule.other}",
        column_A=rule.column,
        column_B=rule.other,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    return Mirrored([check])


def _sign_of(target: Target) -> Mirrored:
    """Two expectations: not negative where ``other`` is positive, not positive where negative."""
    column, other = target.rule.column, target.rule.other
    positive = target.check(
        gxe.ExpectColumnValuesToBeBetween,
        f"{column} is not negative where {other} is positive",
        "positive",
        column=column,
        min_value=0,
        row_condition=Where(other) > 0,
    )
    negative = target.check(
        gxe.ExpectColumnValuesToBeBetween,
        f"{column} is not positive where {other} is negative",
        "negative",
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
