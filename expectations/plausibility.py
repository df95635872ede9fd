"""The plausibility rules of ingestion, tested again on a raw partition with Great Expectations.

Ingestion quarantines implausible lines (``ingestion/value_checks.py``); a line that reached a raw
table past it — loaded by an older kam, under other settings in ``config/ingestion.yaml``, or by
another code path — fails one of these checks instead of being published. The checks are not a
second list: each rule of :func:`ingestion.plausibility.plausibility_rules` becomes the GE
expectations of its kind in :data:`MIRRORS`, and a test keeps every kind mirrored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.expectations import Expectation
from great_expectations.expectations.row_conditions import Column as Where

from expectations.outcome import CheckOutcome
from expectations.runner import expect, run_expectations
from ingestion.contracts import SourceContract
from ingestion.plausibility import RULE_KINDS, Plausibility, PlausibilityRule, plausibility_rules
from ingestion.value_checks import DECIMAL_SCALE

# A number as pandas writes it (GE's regex expectation matches ``str(value)``): at most
# DECIMAL_SCALE decimals, or a whole number so large that it is written with an exponent.
AT_MOST_SCALE = rf"^-?[0-9]+(?:\.[0-9]{{1,{DECIMAL_SCALE}}})?$|^-?[0-9](?:\.[0-9]+)?e\+[0-9]+$"

Mirror = Callable[[PlausibilityRule, pd.DataFrame, Plausibility, str], list[Expectation]]


def plausibility_outcomes(
    contract: SourceContract, frame: pd.DataFrame, settings: Plausibility, suite: str
) -> list[CheckOutcome]:
    """One outcome per plausibility check of ``contract`` whose columns are in ``frame``."""
    checks = [
        expectation
        for rule in plausibility_rules(contract)
        if {rule.column, rule.other} - {None} <= set(frame.columns)
        for expectation in MIRRORS[rule.kind](rule, frame, settings, contract.name)
    ]
    return run_expectations(suite, frame, checks) if checks else []


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
    return expect(expectation_type, check=name, severity="error", description=description, **kwargs)


def _decimal_scale(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> list[Expectation]:
    return [
        _check(
            gxe.ExpectColumnValuesToMatchRegex,
            rule,
            source,
            f"{rule.column}_decimal_scale",
            f"{rule.column} has at most {DECIMAL_SCALE} decimals",
            column=rule.column,
            regex=AT_MOST_SCALE,
        )
    ]


def _earliest_date(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> list[Expectation]:
    return [
        _check(
            gxe.ExpectColumnValuesToBeBetween,
            rule,
            source,
            f"{rule.column}_earliest_date",
            f"{rule.column} is on or after earliest_date {settings.earliest_date}",
            column=rule.column,
            min_value=_earliest_bound(frame[rule.column], settings),
        )
    ]


def _earliest_bound(values: pd.Series, settings: Plausibility) -> dt.date | pd.Timestamp:
    """``earliest_date`` comparable with ``values``: a date for ``datetime.date`` objects, a
    timestamp at midnight for datetime64 (in ``time_zone`` if the values carry a zone)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        return settings.earliest_date
    zone = settings.time_zone if getattr(values.dtype, "tz", None) is not None else None
    return pd.Timestamp(settings.earliest_date, tz=zone)


def _local_time(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> list[Expectation]:
    return [
        _check(
            gxe.ExpectColumnTypeToBe,
            rule,
            source,
            f"{rule.column}_local_time",
            f"{rule.column} holds local time without a time zone (time_zone {settings.time_zone})",
            column=rule.column,
            type_="datetime64",  # any time-zone-naive numpy datetime column
        )
    ]


def _reporting_currency(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> list[Expectation]:
    currency = settings.reporting_currency  # three letters (validated), compared ignoring case
    return [
        _check(
            gxe.ExpectColumnValuesToMatchRegex,
            rule,
            source,
            f"{rule.column}_reporting_currency",
            f"{rule.column} is the reporting currency {currency}",
            column=rule.column,
            regex=f"^(?i:{currency})$",
        )
    ]


def _not_before(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> list[Expectation]:
    return [
        _check(
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
    ]


def _sign_of(
    rule: PlausibilityRule, frame: pd.DataFrame, settings: Plausibility, source: str
) -> list[Expectation]:
    """Two expectations: not negative where ``other`` is positive, not positive where negative."""
    column, other = rule.column, rule.other
    return [
        _check(
            gxe.ExpectColumnValuesToBeBetween,
            rule,
            source,
            f"{column}_sign_of_{other}_positive",
            f"{column} is not negative where {other} is positive",
            column=column,
            min_value=0,
            row_condition=Where(other) > 0,
        ),
        _check(
            gxe.ExpectColumnValuesToBeBetween,
            rule,
            source,
            f"{column}_sign_of_{other}_negative",
            f"{column} is not positive where {other} is negative",
            column=column,
            max_value=0,
            row_condition=Where(other) < 0,
        ),
    ]


# Each kind of plausibility rule (ingestion.plausibility.RULE_KINDS) and its GE expectations.
MIRRORS: dict[str, Mirror] = {
    "decimal_scale": _decimal_scale,
    "earliest_date": _earliest_date,
    "local_time": _local_time,
    "reporting_currency": _reporting_currency,
    "not_before": _not_before,
    "sign_of": _sign_of,
}
