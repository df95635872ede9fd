"""SQL text for DuckDB built from Python values: string literals, identifiers, RE2 escapes,
comparisons with a list of values, list literals, and the record of a staged row."""

from __future__ import annotations


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


def sql_list(texts: list[str]) -> str:
    """A SQL list literal of strings (indexed from 1)."""
    return "(cast([" + ", ".join(lit(t) for t in texts) + "] as varchar[]))"


def staged_record(width: int) -> str:
    """The text of a staged row (``_stage.t0`` … ``t{width - 1}``) as comma-separated values,
    for a row quarantined after staging: a valid row does not keep the text it was read from."""
    values = ", ".join(f"coalesce(cast(_stage.t{i} as varchar), '')" for i in range(width))
    return f"concat_ws(',', {values})"
