"""SQL expressions that type the text of a file's columns and say why a value breaks its contract.

Everything here builds SQL text for DuckDB, so validation is set-based over the whole file.
Each canonical column ``i`` becomes ``c{i}`` (cleaned text, or the native value of a Parquet
column), then ``t{i}`` (typed value) and at most one reason per column in ``_errors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ingestion.contracts import Column, SourceContract
from ingestion.mapping import Mapping
from ingestion.plausibility import Plausibility

FULLWIDTH = "０１２３４５６７８９．，－＋　"
HALFWIDTH = "0123456789.,-+ "
THOUSANDS = r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?"
INTEGER = r"[+-]?[0-9]+"
DECIMAL = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)"
SCIENTIFIC = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+"
# Besides DECIMAL's digits, sign and point, DuckDB's text-to-decimal cast accepts only an
# exponent, digit-group underscores, and ASCII whitespace at either end. A trimmed value on a
# row without tab, vertical tab, form feed or carriage return (``_plain``) and without these
# characters therefore casts exactly when it matches DECIMAL; tests/test_ingestion_speed.py
# checks this against DuckDB's cast on every short string.
DECIMAL_CAST_EXTRAS = ("e", "E", "_")
PLAIN_WHITESPACE = "\t\x0b\x0c\r\n"
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


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier (any text, e.g. a column name taken from a file's header)."""
    return '"' + name.replace('"', '""') + '"'


def regex_char(char: str) -> str:
    """``char`` as an RE2 escape, safe inside and outside character classes."""
    return f"\\x{{{ord(char):x}}}"


def one_of(expr: str, values: list[str] | tuple[str, ...]) -> str:
    """SQL true if ``expr`` equals one of ``values`` (false for an empty list).

    Written as ``=`` comparisons rather than ``in (...)``: DuckDB plans an IN list as a join,
    which does not keep the rows in file order, and the loader relies on that order.
    """
    if not values:
        return "false"
    return "(" + " or ".join(f"{expr} = {lit(v)}" for v in values) + ")"


@dataclass(frozen=True)
class ColumnInput:
    """Where a canonical column's value comes from: an SQL expression over the file relation."""

    expr: str | None  # None: the column is absent from the file (optional columns only)
    native: bool = False  # True: a typed Parquet value, cast directly instead of parsed as text
    pretrimmed: bool = False  # True: ``expr`` is already trimmed (the CSV split trims)
    tz_aware: bool = False  # True: a Parquet TIMESTAMP WITH TIME ZONE
    fractional: bool = False  # True: a Parquet DOUBLE / FLOAT / DECIMAL (text ids: 17850.0)


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
) -> str:
    """Expression typing cleaned value ``c``; NULL when empty or not parseable.

    Plain values take a fast cast; only the rest are normalised (CASE evaluates a branch for
    the rows that reach it, so the slow path costs nothing on clean files). Decimals are
    tried first by a cast guarded by :data:`DECIMAL_CAST_EXTRAS` (cheaper than the pattern)
    on rows whose ``_plain`` is true; COALESCE goes on to the pattern for the rest.
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
    if col.type == "date":
        return f"cast({parsed(c, mapping.date_format, time_zone)} as date)"
    if col.type == "timestamp":
        return (
            f"coalesce({parsed(c, mapping.timestamp_format, time_zone)}, "
            f"cast({parsed(c, mapping.date_format, time_zone)} as timestamp))"
        )
    return (
        f"(case when {one_of(f'lower({c})', mapping.true_values)} then true "
        f"when {one_of(f'lower({c})', mapping.false_values)} then false end)"
    )


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
) -> str:
    """SQL giving the first reason ``col`` breaks its contract in this row, else NULL.

    ``quote_values`` false: the reason names the column and the rule, never the value.
    ``others`` gives the index ``j`` (``c{j}``, ``t{j}``) of the columns a rule compares with.
    """
    rules = rules or Plausibility.defaults()
    others = others or {}
    whens = []
    if col.required:
        whens.append((f"{c} is null", lit("required value is empty")))
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
    if col.not_before:
        j = others[col.not_before]
        whens.append(
            (
                f"{t} < t{j}",
                f"{shown} || {lit(f' is before {col.not_before} (')}"
                f" || {shown_value(f'c{j}', quote_values)} || ')'"
                f" || {lit('; one of the two dates is wrong: fix it in the export')}",
            )
        )
    if col.sign_of:
        j = others[col.sign_of]
        whens.append(
            (
                f"sign({t}) * sign(t{j}) < 0",
                f"{shown} || {lit(f' has the opposite sign of {col.sign_of} (')}"
                f" || {shown_value(f'c{j}', quote_values)} || ')'"
                f" || {lit('; a sale has positive, a return negative quantity, amount and cost')}",
            )
        )
    return whens


def validated_select(
    contract: SourceContract,
    inputs: dict[str, ColumnInput],
    mapping: Mapping,
    business_date: date,
    relation: str,
    rules: Plausibility | None = None,
    derived: dict[str, str] | None = None,
) -> str:
    """Select over ``relation`` returning ``_line``, ``_raw``, ``t0..tn`` and ``_errors``
    (list of {column, reason}).

    ``derived`` gives, for a column absent from the file, an SQL expression over the other
    columns' typed values (``t{j}``) that stands in for it before the rules are checked.

    ``relation`` has ``_line``, ``_raw``, ``_struct_error``, the inputs' columns and ``_plain``:
    true only if no value of the row contains a character of :data:`PLAIN_WHITESPACE`.
    """
    rules = rules or Plausibility.defaults()
    index = {c.name: i for i, c in enumerate(contract.columns)}
    trimmed_cols, clean_cols, typed_cols, problems = [], [], [], []
    for i, col in enumerate(contract.columns):
        source = inputs[col.name]
        trimmed_cols.append(f"{trimmed(source)} as r{i}")
        clean_cols.append(f"{cleaned(f'r{i}', source.native, mapping)} as c{i}")
        value = typed(
            col,
            f"c{i}",
            source.native,
            mapping,
            rules.time_zone,
            source.tz_aware,
            source.fractional,
        )
        typed_cols.append(f"{value} as t{i}")
        problem = column_problem(
            col,
            f"c{i}",
            f"t{i}",
            source.native,
            mapping,
            business_date,
            quote_values=not contract.has_personal_data,
            rules=rules,
            others=index,
        )
        problems.append(f"{problem} as p{i}")
    n = len(contract.columns)
    replaced = ", ".join(f"{expr} as t{index[name]}" for name, expr in (derived or {}).items())
    replace = f" replace ({replaced})" if replaced else ""
    # Most rows are clean: build the list of problems only for rows that have one.
    clean = " and ".join(f"p{i} is null" for i in range(n)) or "true"
    structs = ", ".join(
        f"{{'column_name': {lit(c.name)}, 'reason': p{i}}}" for i, c in enumerate(contract.columns)
    )
    errors = (
        "case when _struct_error is not null "
        "then [{'column_name': cast(null as varchar), 'reason': _struct_error}] "
        f"when {clean} then [] "
        f"else list_filter([{structs}], lambda e: e.reason is not null) end"
    )
    return f"""
        select _line, case when len(_errors) > 0 then _raw end as _raw,
            {", ".join(f"t{i}" for i in range(n))}, _errors
        from (
            select _line, _raw, {", ".join(f"t{i}" for i in range(n))}, {errors} as _errors
            from (
                select *, {", ".join(problems)}
                from (select *{replace} from (
                    select _line, _raw, _struct_error, {", ".join(f"c{i}" for i in range(n))},
                        {", ".join(typed_cols)}
                    from (select _line, _raw, _struct_error, _plain, {", ".join(clean_cols)}
                          from (select _line, _raw, _struct_error, _plain,
                                    {", ".join(trimmed_cols)}
                                from {relation}))
                ))
            )
        )"""
