"""The checks the suites are written in: each builds one Great Expectations expectation tagged
with the kam check it reports to (``meta``: ``check``, ``severity``, ``description``). The
suites run them with :func:`expectations.runner.run_expectations`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import great_expectations.expectations as gxe
from great_expectations.expectations import Expectation

from expectations.outcome import Severity


def expect(
    expectation_type: type[Expectation],
    *,
    check: str,
    severity: Severity,
    description: str,
    **kwargs: Any,
) -> Expectation:
    """A GE expectation tagged with the kam check it reports to."""
    meta = {"check": check, "severity": severity, "description": description}
    return expectation_type(meta=meta, **kwargs)


def columns_present(
    columns: Sequence[str],
    description: str,
    check: str = "columns_present",
    severity: Severity = "error",
) -> Expectation:
    """``check``: every one of ``columns`` is in the frame (others may be too)."""
    return expect(
        gxe.ExpectTableColumnsToMatchSet,
        check=check,
        severity=severity,
        description=description,
        column_set=list(columns),
        exact_match=False,
    )


def not_empty(what: str) -> Expectation:
    """``not_empty``: the frame holds at least one row (``what``: "the facts", …)."""
    return expect(
        gxe.ExpectTableRowCountToBeBetween,
        check="not_empty",
        severity="error",
        description=f"{what} hold at least one customer",
        min_value=1,
    )


def column_check(
    expectation_type: type[Expectation],
    column: str,
    suffix: str,
    severity: Severity,
    description: str,
    **kwargs: Any,
) -> Expectation:
    """An expectation on one column, reporting to the check ``<column>_<suffix>``."""
    return expect(
        expectation_type,
        check=f"{column}_{suffix}",
        severity=severity,
        description=description,
        column=column,
        **kwargs,
    )


def not_null(column: str, severity: Severity = "error", role: str = "") -> Expectation:
    """``<column>_not_null``."""
    description = f"{role + ' ' if role else ''}{column} has no nulls"
    return column_check(
        gxe.ExpectColumnValuesToNotBeNull, column, "not_null", severity, description
    )


def unique(column: str, why: str, severity: Severity = "error") -> Expectation:
    """``<column>_unique``."""
    description = f"{column} is unique ({why})"
    return column_check(gxe.ExpectColumnValuesToBeUnique, column, "unique", severity, description)


def between(
    column: str, low: float | None, high: float | None, text: str, severity: Severity = "error"
) -> Expectation:
    """``<column>_in_range``: non-null values within [low, high]; ``text`` says the range."""
    return column_check(
        gxe.ExpectColumnValuesToBeBetween,
        column,
        "in_range",
        severity,
        f"{column} is {text}",
        min_value=low,
        max_value=high,
    )


def in_set(column: str, allowed: Sequence[object], severity: Severity = "error") -> Expectation:
    """``<column>_allowed``: non-null values are among ``allowed``."""
    return column_check(
        gxe.ExpectColumnValuesToBeInSet,
        column,
        "allowed",
        severity,
        f"{column} is one of {', '.join(map(str, allowed))}",
        value_set=list(allowed),
    )


def single_value(column: str, check: str, description: str) -> Expectation:
    """``check``: ``column`` holds at most one distinct value (one date per frame)."""
    return expect(
        gxe.ExpectColumnUniqueValueCountToBeBetween,
        check=check,
        severity="error",
        description=description,
        column=column,
        min_value=0,
        max_value=1,
    )


def single_as_of_date() -> Expectation:
    """``single_as_of_date``: a frame of facts or scores is of one as-of date."""
    return single_value("as_of_date", "single_as_of_date", "the frame holds at most one as_of_date")
