"""Columns an export may lack, derived from the others (contracts.yaml ``when_absent``): line
numbers by order, the line amount from quantity, unit price and discount (also where a line leaves
it empty); and the check of given line amounts against that formula."""

from __future__ import annotations

import duckdb

from ingestion.contracts import SourceContract
from ingestion.sql import lit, staged_record
from ingestion.typed_values import ColumnInput

# Derivations of optional columns an export may lack (contracts.yaml `when_absent`).
LINE_NUMBER = "line_number"
AMOUNT, QUANTITY, PRICE, DISCOUNT = "line_amount", "quantity", "unit_price", "discount_amount"
AMOUNT_TOLERANCE = "0.01"


def _formula(q: str, p: str, d: str) -> str:
    """Quantity × unit price − discount, multiplied in 38 digits: two amounts of kam's 18
    would overflow DuckDB's multiplication before the result could be checked."""
    return f"(cast({q} as decimal(38, 4)) * {p} - coalesce({d}, 0))"


def _worked_out(q: str, p: str, d: str) -> str:
    """:func:`_formula` rounded to the 4 decimals kam stores; NULL if it is too large to store."""
    return f"try_cast(round({_formula(q, p, d)}, 4) as decimal(18, 4))"


def derived_amount(contract: SourceContract, inputs: dict[str, ColumnInput]) -> dict[str, str]:
    """The line amount as quantity × unit price − discount when the file has no amount column
    (a product too large to store is quarantined by :func:`amount_check`)."""
    names = contract.column_names
    if AMOUNT not in names or inputs[AMOUNT].expr is not None:
        return {}
    q, p, d = (f"t{names.index(c)}" for c in (QUANTITY, PRICE, DISCOUNT))
    return {AMOUNT: _worked_out(q, p, d)}


def amount_check(
    con: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    inputs: dict[str, ColumnInput],
    ordinal: int,
) -> list[str]:
    """Line amounts of the staged file ``ordinal`` after validation, with notes for the ledger.

    A line whose amount is empty in a file that has the column gets quantity × unit price −
    discount, as a file without the column does (noted with the count); a worked-out amount too
    large to store, or with the sign opposite to the quantity (a discount above the line's
    value), quarantines its line. Given amounts that differ from the formula by more than a
    cent are noted and loaded as exported (a price list may round differently)."""
    names = contract.column_names
    if AMOUNT not in names:
        return []
    a, q, p, d = (f"t{names.index(c)}" for c in (AMOUNT, QUANTITY, PRICE, DISCOUNT))
    valid = "_file_ord = ? and len(_errors) = 0"
    given = inputs[AMOUNT].expr is not None
    differs = f"abs({a} - {_formula(q, p, d)}) > {AMOUNT_TOLERANCE}" if given else "false"
    empty, first_empty, differing, first_differing = con.execute(
        f"""
        select count(*) filter (where {a} is null), min(_line) filter (where {a} is null),
            count(*) filter (where {differs}), min(_line) filter (where {differs})
        from _stage where {valid}""",
        [ordinal],
    ).fetchall()[0]
    notes = []
    if given and empty:
        con.execute(
            f"update _stage set {a} = {_worked_out(q, p, d)} where {valid} and {a} is null",
            [ordinal],
        )
        notes.append(
            f"line_amount empty on {empty} line(s) (first: line {first_empty}): worked out as "
            "quantity × unit_price − discount_amount"
        )
    if empty:
        _quarantine_worked_out(con, contract, a, q, ordinal)
    if differing:
        notes.append(
            f"line_amount differs from quantity × unit_price − discount_amount by more than "
            f"{AMOUNT_TOLERANCE} on {differing} line(s) (first: line {first_differing}); loaded "
            "as exported: check the export if amounts should follow the prices"
        )
    return notes


def _quarantine_worked_out(
    con: duckdb.DuckDBPyConnection, contract: SourceContract, a: str, q: str, ordinal: int
) -> None:
    """Quarantine the valid lines of file ``ordinal`` whose worked-out amount is too large to
    store (NULL) or has the sign opposite to the quantity; a given amount with the wrong sign
    was quarantined by the validation already."""
    con.execute(
        f"""
        update _stage set _raw = {staged_record(len(contract.columns))}, _errors = [{{
            'column_name': {lit(AMOUNT)},
            'reason': case when {a} is null
                then {lit(f"{AMOUNT}: quantity × unit_price is too large to store (at most ")}
                     || {lit("14 digits before the decimal point); fix the line")}
                else {lit(f"{AMOUNT}: worked out as quantity × unit_price − discount_amount = ")}
                     || cast({a} as varchar) || {lit(", the opposite sign of quantity (")}
                     || cast({q} as varchar)
                     || {lit("): the discount exceeds the line's value; fix the line")} end}}]
        where _file_ord = ? and len(_errors) = 0 and ({a} is null or sign({a}) * sign({q}) < 0)""",
        [ordinal],
    )


def number_lines(
    con: duckdb.DuckDBPyConnection, contract: SourceContract, ordinals: list[int]
) -> None:
    """Give the lines of files without line numbers their place within their order: 1, 2, …
    by file, then line, over the folder's files (a line quarantined for another reason keeps
    its place, so fixing it does not renumber the lines after it)."""
    names = contract.column_names
    number, order = f"t{names.index(LINE_NUMBER)}", f"t{names.index('order_id')}"
    con.execute(
        f"""
        update _stage set {number} = n._number
        from (
            select _file_ord, _line,
                   row_number() over (partition by {order} order by _file_ord, _line) as _number
            from _stage where {order} is not null and _file_ord in (select unnest(?))
        ) n
        where n._file_ord = _stage._file_ord and n._line = _stage._line""",
        [ordinals],
    )
