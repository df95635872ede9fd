"""SQL expressions that turn a column's text (or a Parquet column's native value) into its typed
value: trimmed, null markers turned into NULL, numbers normalised, dates parsed.

Everything here builds SQL text for DuckDB, so typing is set-based over the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.contracts import Column
from ingestion.mapping import Mapping
from ingestion.sql import lit, one_of

FULLWIDTH = "０１２３４５６７８９．，－＋　"
HALFWIDTH = "0123456789.,-+ "
THOUSANDS = r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?"
INTEGER = r"[+-]?[0-9]+"
DECIMAL = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)"
# Besides DECIMAL's digits, sign and point, DuckDB's text-to-decimal cast accepts only an
# exponent, digit-group underscores, and ASCII whitespace at either end. A trimmed value on a
# row without tab, vertical tab, form feed or carriage return (``_plain``) and without these
# characters therefore casts exactly when it matches DECIMAL;
# tests/ingestion/test_ingestion_speed.py checks this against DuckDB's cast on every short string.
DECIMAL_CAST_EXTRAS = ("e", "E", "_")
PLAIN_WHITESPACE = "\t\x0b\x0c\r\n"
# An Excel column whose cells mix dates and text is read as text, each date cell written in
# this form; such a value is a date whatever the mapping's formats (which read the text cells).
SHEET_DATE_CELL = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ColumnInput:
    """Where a canonical column's value comes from: an SQL expression over the file relation."""

    expr: str | None  # None: the column is absent from the file (optional columns only)
    native: bool = False  # True: a typed Parquet value, cast directly instead of parsed as text
    pretrimmed: bool = False  # True: ``expr`` is already trimmed (the CSV split trims)
    tz_aware: bool = False  # True: a Parquet TIMESTAMP WITH TIME ZONE
    fractional: bool = False  # True: a Parquet DOUBLE / FLOAT / DECIMAL (text ids: 17850.0)
    sheet_text: bool = False  # True: an Excel column read as text (see SHEET_DATE_CELL)


def trimmed(source: ColumnInput) -> str:
    """The column's text without surrounding spaces (native values unchanged)."""
    if source.expr is None:
        return "cast(null as varchar)"
    return source.expr if source.native or source.pretrimmed else f"trim({source.expr})"


def cleaned(trimmed_text: str, native: bool, mapping: Mapping) -> str:
    """:func:`trimmed` text with the mapping's null markers turned into NULL.

    Takes the trimmed text already computed (a column name), so it is trimmed once per value.
    """
    if native:
        return trimmed_text
    is_null = one_of(trimmed_text, [v.strip() for v in mapping.null_values])
    return f"(case when {is_null} then null else {trimmed_text} end)"


def number_text(c: str) -> str:
    """Full-width digits made ASCII and thousands separators removed."""
    n = f"replace(translate({c}, {lit(FULLWIDTH)}, {lit(HALFWIDTH)}), ' ', '')"
    return (
        f"(case when regexp_full_match({n}, {lit(THOUSANDS)}) "
        f"then replace({n}, ',', '') else {n} end)"
    )


def has_zone(fmt: str) -> bool:
    """True if a strptime format reads a time zone (its values are time-zone-aware)."""
    return "%z" in fmt or "%Z" in fmt


def parsed(c: str, fmt: str, time_zone: str) -> str:
    """``try_strptime`` of ``c``; a time-zone-aware result is converted to local time in
    ``time_zone`` explicitly (a plain cast would use the session's zone: a silent shift)."""
    value = f"try_strptime({c}, {lit(fmt)})"
    return f"timezone({lit(time_zone)}, {value})" if has_zone(fmt) else value


def typed(
    col: Column,
    c: str,
    native: bool,
    mapping: Mapping,
    time_zone: str = "UTC",
    tz_aware: bool = False,
    fractional: bool = False,
    sheet_text: bool = False,
) -> str:
    """Expression typing cleaned value ``c``; NULL when empty or not parseable.

    Plain values take a fast cast; only the rest are normalised (CASE evaluates a branch for
    the rows that reach it, so the slow path costs nothing on clean files). Decimals are
    tried first by a cast guarded by :data:`DECIMAL_CAST_EXTRAS` (cheaper than the pattern)
    on rows whose ``_plain`` is true; COALESCE goes on to the pattern for the rest.
    ``sheet_text``: an Excel column read as text, whose date cells read as dates whatever the
    mapping's formats (:data:`SHEET_DATE_CELL`).
    """
    if native:
        value = f"try_cast({c} as {col.sql_type})"
        if col.type == "string" and fractional:
            # An id exported as a float (17850.0) is the whole number's text; 17850.5 is no id.
            return f"(case when {c} = trunc({c}) then cast(cast({c} as hugeint) as varchar) end)"
        if tz_aware:
            value = f"cast(timezone({lit(time_zone)}, {c}) as {col.sql_type})"
        if col.type == "integer":  # a fractional Parquet number must not be rounded silently
            return f"(case when {c} = trunc({c}) then {value} end)"
        return f"lower(trim({value}))" if col.allowed else value
    if col.type == "string":
        return f"lower({c})" if col.allowed else c
    if col.type in ("integer", "decimal"):
        pattern = lit(INTEGER if col.type == "integer" else DECIMAL)
        n = number_text(c)
        checked = (
            f"(case when regexp_full_match({c}, {pattern}) "
            f"then try_cast({c} as {col.sql_type}) "
            f"when regexp_full_match({n}, {pattern}) then try_cast({n} as {col.sql_type}) end)"
        )
        if col.type == "integer":
            return checked
        has_extra = " or ".join(f"contains({c}, {lit(x)})" for x in DECIMAL_CAST_EXTRAS)
        fast = f"case when _plain and not ({has_extra}) then try_cast({c} as {col.sql_type}) end"
        return f"coalesce({fast}, {checked})"
    date_cell = f", try_strptime({c}, {lit(SHEET_DATE_CELL)})" if sheet_text else ""
    if col.type == "date":
        value = parsed(c, mapping.date_format, time_zone)
        if sheet_text:
            value = f"coalesce(cast({value} as timestamp){date_cell})"
        return f"cast({value} as date)"
    if col.type == "timestamp":
        return (
            f"coalesce({parsed(c, mapping.timestamp_format, time_zone)}, "
            f"cast({parsed(c, mapping.date_format, time_zone)} as timestamp){date_cell})"
        )
    return (
        f"(case when {one_of(f'lower({c})', mapping.true_values)} then true "
        f"when {one_of(f'lower({c})', mapping.false_values)} then false end)"
    )
