"""Staged rows that repeat another: a key seen before in the partition (also in rows kept from
an archived file), and, in files without line numbers, a line exported twice. Each later row is
quarantined naming where the first was seen."""

from __future__ import annotations

from datetime import date

import duckdb

from ingestion.contracts import SourceContract
from ingestion.derived_columns import LINE_NUMBER
from ingestion.sql import ident, lit, sql_list, staged_record


def flag_duplicates(
    con: duckdb.DuckDBPyConnection, contract: SourceContract, names: list[str]
) -> None:
    """Quarantine every later row whose key repeats an earlier valid row of the partition.

    ``names`` are the staged files' names by ``_file_ord``.
    """
    keys = [f"t{contract.column_names.index(k)}" for k in contract.key]
    if not _may_have_duplicates(con, keys):
        return
    raw = staged_record(len(contract.columns))
    shown = " || ', ' || ".join(
        f"{lit(k + '=')} || cast({t} as varchar)" for k, t in zip(contract.key, keys, strict=True)
    )
    con.execute(f"""
        update _stage set _errors = list_append(_errors, {{
            'column_name': {lit(", ".join(contract.key))},
            'reason': 'duplicate key (' || d._shown || '): first seen in '
                      || case when d._first_ord = _stage._file_ord then ''
                              else {sql_list(names)}[d._first_ord + 1] || ' ' end
                      || 'line ' || d._first_line}}),
            _raw = {raw}
        from (
            select _file_ord, _line, {shown} as _shown,
                   row_number() over w as _rank,
                   first_value(_file_ord) over w as _first_ord,
                   first_value(_line) over w as _first_line
            from _stage where len(_errors) = 0
            window w as (partition by {", ".join(keys)} order by _file_ord, _line)
        ) d
        where d._rank > 1 and d._file_ord = _stage._file_ord and d._line = _stage._line""")


def flag_duplicates_of_kept(
    con: duckdb.DuckDBPyConnection, contract: SourceContract, business_date: date, kept: list[str]
) -> None:
    """Quarantine every valid staged row whose key a row kept from an archived file holds."""
    keys = [f"t{contract.column_names.index(k)}" for k in contract.key]
    joined = " and ".join(
        f"k.{ident(k)} = _stage.{t}" for k, t in zip(contract.key, keys, strict=True)
    )
    shown = " || ', ' || ".join(
        f"{lit(k + '=')} || cast(_stage.{t} as varchar)"
        for k, t in zip(contract.key, keys, strict=True)
    )
    raw = staged_record(len(contract.columns))
    con.execute(
        f"""
        update _stage set _errors = list_append(_errors, {{
            'column_name': {lit(", ".join(contract.key))},
            'reason': 'duplicate key (' || {shown} || '): first seen in ' || k._source_file
                      || ' line ' || k._source_line
                      || ' (kept after the file left the landing folder)'}}),
            _raw = {raw}
        from raw.{contract.name} k
        where k._business_date = ? and k._source_file in (select unnest(?))
          and len(_stage._errors) = 0 and {joined}""",
        [business_date, kept],
    )


def flag_repeated_lines(
    con: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    ordinals: list[int],
    names: list[str],
) -> dict[int, int]:
    """Quarantine every later valid line, of files without line numbers, whose order and
    content equal an earlier valid line's: the export repeated the line. Returns the count per
    file."""
    columns = [f"t{i}" for i, c in enumerate(contract.columns) if c.name != LINE_NUMBER]
    raw = staged_record(len(contract.columns))
    order = f"t{contract.column_names.index('order_id')}"
    con.execute(
        f"""
        update _stage set _errors = list_append(_errors, {{
            'column_name': cast(null as varchar),
            'reason': 'exact duplicate of ' || case when d._first_ord = _stage._file_ord then ''
                          else {sql_list(names)}[d._first_ord + 1] || ' ' end
                      || 'line ' || d._first_line || ' (same order ' || d._order
                      || ' and content); the export has no line numbers, so kam takes it for a '
                      || 'line exported twice and keeps the first. If the order really has two '
                      || 'equal lines, export line numbers'}}),
            _raw = {raw}
        from (
            select _file_ord, _line, cast({order} as varchar) as _order,
                   row_number() over w as _rank,
                   first_value(_file_ord) over w as _first_ord,
                   first_value(_line) over w as _first_line
            from _stage where len(_errors) = 0 and _file_ord in (select unnest(?))
            window w as (partition by {", ".join(columns)} order by _file_ord, _line)
        ) d
        where d._rank > 1 and d._file_ord = _stage._file_ord and d._line = _stage._line""",
        [ordinals],
    )
    rows = con.execute(
        """select _file_ord, count(*) from _stage
           where len(_errors) > 0 and list_contains(
               list_transform(_errors, lambda e: starts_with(e.reason, 'exact duplicate of ')),
               true)
           group by _file_ord"""
    ).fetchall()
    return dict(rows)


def _may_have_duplicates(con: duckdb.DuckDBPyConnection, keys: list[str]) -> bool:
    """False if the valid staged rows' keys are certainly distinct.

    Their hashes are counted (cheaper than sorting the keys): all distinct means all keys are
    distinct; a repeat is a duplicate key or, rarely, a hash collision, which the caller's
    exact check then sorts out.
    """
    rows, hashes = con.execute(
        f"select count(*), count(distinct hash({', '.join(keys)})) from _stage "
        "where len(_errors) = 0"
    ).fetchall()[0]
    return rows != hashes
