"""Columns an export may lack, derived from the others (contracts.yaml ``when_absent``): line
numbers by order, the line amount from quantity, unit price and discount; and the check of given
line amounts against that formula."""

from __future__ import annotations

import duckdb

from ingestion.contracts import SourceContract
from ingestion.sql import lit
from ingestion.typed_values import ColumnInput

# Derivations of optional columns an export may lack (contracts.yaml `when_absent`).
LINE_NUMBER = "line_number"
AMOUNT, QUANTITY, PRICE, DISCOUNT = "line_amount", "quantity", "unit_price", "discount_amount"
AMOUNT_TOLERANCE = "0.01"


def derived_amount(contract: SourceContract, inputs: dict[str, ColumnInput]) -> dict[str, str]:
    """The line amount as quantity × unit price − discount when the file has no amount column,
    rounded to the 4 decimals kam stores (a product too large to store is quarantined by
    :func:`amount_check`)."""
    names = contract.column_names
    if AMOUNT not in names or inputs[AMOUNT].expr is not None:
        return {}
    q, p, d = (f"t{names.index(c)}" for c in (QUANTITY, PRICE, DISCOUNT))
    return {AMOUNT: f"try_cast(round({q} * {p} - coalesce({d}, 0), 4) as decimal(18, 4))"}


def amount_check(
    con: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    inputs: dict[str, ColumnInput],
    ordinal: int,
) -> list[str]:
    """A ledger note when given line amounts differ from quantity × unit price − discount by
    more than a cent on valid lines (loaded as exported: a price list may round differently)."""
    names = contract.column_names
    if AMOUNT not in names:
        return []
    a, q, p, d = (f"t{names.index(c)}" for c in (AMOUNT, QUANTITY, PRICE, DISCOUNT))
    if inputs[AMOUNT].expr is None:
        con.execute(
            f"""
            update _stage set _errors = [{{'column_name': {lit(AMOUNT)},
                'reason': {lit(f"{AMOUNT}: quantity × unit_price is too large to store (at most ")}
                          || {lit("14 digits before the decimal point); fix the line")}}}]
            where _file_ord = ? and len(_errors) = 0 and {a} is null""",
            [ordinal],
        )
        return []
    count, first = con.execute(
        f"""
        select count(*), min(_line) from _stage
        where _file_ord = ? and len(_errors) = 0
          and abs({a} - ({q} * {p} - coalesce({d}, 0))) > {AMOUNT_TOLERANCE}""",
        [ordinal],
    ).fetchall()[0]
    if not count:
        return []
    return [
        f"line_amount differs from quantity × unit_price − discount_amount by more than "
        f"{AMOUNT_TOLERANCE} on {count} line(s) (first: line {first}); loaded as exported: "
        "check the export if amounts should follow the prices"
    ]


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
