"""The select that types the text of a file's columns and says why a value breaks its contract.

Everything here builds SQL text for DuckDB, so validation is set-based over the whole file.
Each canonical column ``i`` becomes ``c{i}`` (cleaned text, or the native value of a Parquet
column), then ``t{i}`` (typed value, ``typed_values.py``) and at most one reason per column in
``_errors`` (``value_checks.py``).
"""

from __future__ import annotations

from datetime import date

from ingestion.contracts import SourceContract
from ingestion.mapping import Mapping
from ingestion.plausibility import Plausibility
from ingestion.sql import lit
from ingestion.typed_values import ColumnInput, cleaned, trimmed, typed
from ingestion.value_checks import column_problem


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
            source.sheet_text,
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
            # A key column the file lacks is derived after the validation (line numbers).
            key=contract.key if source.expr is not None else (),
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
