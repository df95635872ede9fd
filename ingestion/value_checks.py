"""SQL expressions that say why a value breaks its contract: it cannot be typed, it is empty but
required, out of range, not allowed, in the future, or implausible (docs/bad-inputs.md).

Each gives at most one reason per column and row; the reason names the column and the rule, and
the value itself unless the source holds personal data.
"""

from __future__ import annotations

from datetime import date

from ingestion.contracts import Column
from ingestion.mapping import Mapping
from ingestion.plausibility import Plausibility
from ingestion.sql import lit, one_of
from ingestion.typed_values import DECIMAL, INTEGER, has_zone, number_text

SCIENTIFIC = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+"
CURRENCY = "[¥￥$€£元]|RMB|CNY"
CURRENCY_REASON = (
    " contains a currency sign or code; export the plain number (e.g. 1000.00): "
    "amounts are in the reporting currency"
)
SCIENTIFIC_REASON = (
    " is in scientific notation, which may have lost digits (Excel shortens "
    "long numbers so); export the number in plain digits"
)


TOO_LONG_REASON = {
    "integer": " has more digits than a whole number kam stores (at most 18)",
    "decimal": " has more digits than kam stores (at most 14 before the decimal point)",
}
# A time of day followed by a zone: Z, +08, +0800 or +08:00.
ZONE_SUFFIX = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
ZONE_REASON = (
    " carries a time zone, which timestamp_format does not read; add %z to timestamp_format "
    "in {mapping} (e.g. '%Y-%m-%d %H:%M:%S%z'): kam then converts it to local time in "
    "time_zone"
)
DECIMAL_SCALE = 4
EXCESS_DECIMALS = r"[.．][0-9０-９]{4}[0-9０-９]*[1-9１-９]"


def shown_value(c: str, quote_values: bool) -> str:
    """SQL text naming value ``c`` in a reason: the value in quotes, or "the value" for a source
    whose lines may hold personal data (a misaligned line puts an email in any column)."""
    return f"'''' || cast({c} as varchar) || ''''" if quote_values else lit("the value")


def parse_problem(
    col: Column, c: str, native: bool, mapping: Mapping, quote_values: bool = True
) -> str:
    """Reason text (SQL) for a non-empty value that could not be typed."""
    shown = shown_value(c, quote_values)
    if native and col.type == "string":
        return (
            f"{shown} || {lit(' is a number with a fraction, so it cannot be an identifier; ')}"
            f" || {lit('export the column as text or as whole numbers')}"
        )
    if native:
        return f"{shown} || {lit(f' cannot be converted to {col.type}')}"
    expected = {
        "integer": "is not a whole number",
        "decimal": "is not a number (expected e.g. 1234.50 or 1,234.50)",
        "date": f"is not a date in format {mapping.date_format}",
        "timestamp": f"is not a timestamp in format {mapping.timestamp_format} "
        f"(or a date in format {mapping.date_format})",
        "boolean": f"is not a boolean (true: {', '.join(mapping.true_values)}; "
        f"false: {', '.join(mapping.false_values)})",
    }[col.type]
    if col.type in ("integer", "decimal"):
        n = number_text(c)
        pattern = INTEGER if col.type == "integer" else DECIMAL
        return (
            f"{shown} || case "
            f"when regexp_matches({c}, {lit(CURRENCY)}) then {lit(CURRENCY_REASON)} "
            f"when regexp_full_match({n}, {lit(SCIENTIFIC)}) then {lit(SCIENTIFIC_REASON)} "
            f"when regexp_full_match({n}, {lit(pattern)}) then {lit(TOO_LONG_REASON[col.type])} "
            f"else {lit(' ' + expected)} end"
        )
    if col.type == "timestamp" and not has_zone(mapping.timestamp_format):
        return (
            f"{shown} || case when regexp_matches({c}, {lit(ZONE_SUFFIX)}) then "
            f"{lit(ZONE_REASON.format(mapping=mapping.describe()))} "
            f"else {lit(' ' + expected)} end"
        )
    return f"{shown} || {lit(' ' + expected)}"


def column_problem(
    col: Column,
    c: str,
    t: str,
    native: bool,
    mapping: Mapping,
    business_date: date,
    quote_values: bool = True,
    rules: Plausibility | None = None,
    others: dict[str, int] | None = None,
    key: tuple[str, ...] = (),
) -> str:
    """SQL giving the first reason ``col`` breaks its contract in this row, else NULL.

    ``quote_values`` false: the reason names the column and the rule, never the value.
    ``others`` gives the index ``j`` (``c{j}``, ``t{j}``) of the columns a rule compares with.
    ``key``: the source's key, when the file has ``col``: an optional key column may be absent
    from a file, but where the file has it, every line needs a value.
    """
    rules = rules or Plausibility.defaults()
    others = others or {}
    whens = []
    if col.required:
        whens.append((f"{c} is null", lit("required value is empty")))
    elif col.name in key:
        derive = " for kam to derive it" if col.when_absent else ""
        whens.append(
            (
                f"{c} is null",
                lit(
                    f"value is empty, but {col.name} is part of the key ({', '.join(key)}): "
                    f"fill it in on every line, or leave the column out of the export{derive}"
                ),
            )
        )
    if col.type != "string" or native:
        whens.append(
            (
                f"{c} is not null and {t} is null",
                parse_problem(col, c, native, mapping, quote_values),
            )
        )
    shown = shown_value(c, quote_values)
    if col.allowed:
        whens.append(
            (
                f"not {one_of(t, col.allowed)}",
                f"{shown} || {lit(' is not an allowed value (allowed: ')}"
                f" || {lit(', '.join(col.allowed) + ')')}",
            )
        )
    if col.min is not None:
        whens.append((f"{t} < {col.min}", f"{shown} || {lit(f' is below the minimum {col.min}')}"))
    if col.max is not None:
        whens.append((f"{t} > {col.max}", f"{shown} || {lit(f' is above the maximum {col.max}')}"))
    if col.nonzero:
        whens.append((f"{t} = 0", f"{shown} || {lit(' must not be 0')}"))
    if col.type in ("date", "timestamp") and not col.may_be_future:
        limit = f"date '{business_date.isoformat()}' + 1"
        whens.append(
            (
                f"cast({t} as date) > {limit}",
                f"{shown} || {lit(' is dated in the future (more than 1 day after business date ')}"
                f" || {lit(f'{business_date})')}",
            )
        )
    whens += _plausibility(col, c, t, native, quote_values, rules, others)
    if not whens:
        return "cast(null as varchar)"
    cases = " ".join(
        f"when {cond} then {lit(col.name + ': ')} || {reason}" for cond, reason in whens
    )
    return f"(case {cases} end)"


def _plausibility(
    col: Column,
    c: str,
    t: str,
    native: bool,
    quote_values: bool,
    rules: Plausibility,
    others: dict[str, int],
) -> list[tuple[str, str]]:
    """(condition, reason) of the plausibility rules of ``col`` (docs/bad-inputs.md)."""
    shown = shown_value(c, quote_values)
    whens = []
    if col.type == "decimal":
        if native:
            lost = f"{t} is not null and cast({c} as double) <> cast({t} as double)"
        else:
            # Integer arithmetic first: the pattern runs only on values with 5+ decimals.
            lost = (
                f"{t} is not null and (length({c}) - strpos({c}, '.') > {DECIMAL_SCALE} "
                f"and strpos({c}, '.') > 0 or contains({c}, '．')) "
                f"and regexp_matches({c}, {lit(EXCESS_DECIMALS)})"
            )
        whens.append(
            (
                lost,
                f"{shown} || {lit(f' has more than {DECIMAL_SCALE} decimals; kam stores ')}"
                f" || {lit(f'{DECIMAL_SCALE} and never rounds: round it in the export')}",
            )
        )
    if col.type in ("date", "timestamp"):
        earliest = rules.earliest_date.isoformat()
        whens.append(
            (
                f"cast({t} as date) < date {lit(earliest)}",
                f"{shown} || {lit(f' is before the earliest plausible date {earliest} ')}"
                f" || {lit('(a placeholder such as 1900-01-01?); fix the value, or set ')}"
                f" || {lit('earliest_date in config/ingestion.yaml')}",
            )
        )
    if col.reporting_currency:
        currency = rules.reporting_currency
        whens.append(
            (
                f"upper({t}) <> {lit(currency)}",
                f"{shown} || {lit(f' is not the reporting currency {currency}; kam adds ')}"
                f" || {lit(f'amounts up in one currency: export them converted to {currency}')}"
                f" || {lit(', or set reporting_currency in config/ingestion.yaml')}",
            )
        )
    # Rules comparing the value with another column of the line quote that column's value too.
    paired = (
        (
            col.not_before,
            "{t} < t{j}",
            "is before",
            "one of the two dates is wrong: fix it in the export",
        ),
        (
            col.sign_of,
            "sign({t}) * sign(t{j}) < 0",
            "has the opposite sign of",
            "a sale has positive, a return negative quantity, amount and cost",
        ),
    )
    for other, condition, breaks, fix in paired:
        if other:
            j = others[other]
            whens.append(
                (
                    condition.format(t=t, j=j),
                    f"{shown} || {lit(f' {breaks} {other} (')}"
                    f" || {shown_value(f'c{j}', quote_values)} || ')' || {lit(f'; {fix}')}",
                )
            )
    return whens
