"""A partition's staged rows swapped into ``raw.<source>`` and ``raw.quarantine`` (valid rows to
the source's table, the others with their reasons to quarantine), inside the caller's
transaction."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from ingestion.contracts import SourceContract
from ingestion.sql import ident, sql_list


def replace_partition(
    con: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    business_date: date,
    files: list[tuple[str, tuple[Path, str, int]]],
    kept: list[str],
    loaded_at: datetime,
    run_id: str,
) -> None:
    """Swap the partition's rows in raw.<source> and raw.quarantine for the staged ones,
    keeping the rows of the ``kept`` files (archived from the folder, not retracted).

    ``files`` are the staged files (name, (path, checksum, size)) by ``_file_ord``.
    """
    con.execute(
        f"""delete from raw.{contract.name}
            where _business_date = ? and _source_file not in (select unnest(?))""",
        [business_date, kept],
    )
    con.execute(
        """delete from raw.quarantine where source = ? and business_date = ?
            and source_file not in (select unnest(?))""",
        [contract.name, business_date, kept],
    )
    columns = ", ".join(ident(c.name) for c in contract.columns)
    values = ", ".join(f"t{i}" for i in range(len(contract.columns)))
    source_file = f"{sql_list([name for name, _ in files])}[_file_ord + 1]"
    checksum = f"{sql_list([checksum for _, (_, checksum, _) in files])}[_file_ord + 1]"
    # Sorting a 10M-row partition costs more than validating it, and _stage is normally
    # already in file and line order; sort only if it is not.
    order = "" if _valid_rows_in_order(con) else "order by _file_ord, _line"
    con.execute(
        f"""insert into raw.{contract.name} ({columns}, _business_date, _source_file,
            _source_line, _file_checksum, _loaded_at)
        select {values}, ?, {source_file}, _line, {checksum}, ?
        from _stage where len(_errors) = 0 {order}""",
        [business_date, loaded_at],
    )
    con.execute(
        f"""insert into raw.quarantine select ?, ?, {source_file}, {checksum}, _line,
            nullif(array_to_string(list_filter(
                list_transform(_errors, lambda e: e.column_name),
                lambda c: c is not null), ', '), ''),
            array_to_string(list_transform(_errors, lambda e: e.reason), '; '),
            _raw, ?, ?
        from _stage where len(_errors) > 0 order by _file_ord, _line""",
        [contract.name, business_date, loaded_at, run_id],
    )


def _valid_rows_in_order(con: duckdb.DuckDBPyConnection) -> bool:
    """True if an unordered insert of the valid staged rows keeps file and line order.

    Needs preserve_insertion_order (DuckDB's default); then a scan of _stage, ``where`` and
    a window with an empty ``over ()`` keep the table's order, and it is checked.
    """
    if not con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]:
        return False
    descents = con.execute("""
        select count(*) from (
            select _file_ord, _line, lag(_file_ord) over () as _prev_ord,
                   lag(_line) over () as _prev_line
            from _stage where len(_errors) = 0)
        where _file_ord < _prev_ord or (_file_ord = _prev_ord and _line < _prev_line)""")
    return descents.fetchall()[0][0] == 0
