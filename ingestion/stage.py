"""A partition's files validated into the temporary table ``_stage``: each file read as a
relation (CSV, Parquet or Excel), its header matched, every value typed and checked, derived
columns filled in, duplicates flagged, and rows counted per file.

A file that cannot be read is rejected alone; the others are staged. ``_stage`` holds a row per
line, its typed values ``t0..tn`` and the reasons it breaks the contract (``_errors``).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import duckdb

from ingestion.contracts import SourceContract
from ingestion.csv_reader import csv_relation
from ingestion.derived_columns import LINE_NUMBER, amount_check, derived_amount, number_lines
from ingestion.duplicates import flag_duplicates, flag_duplicates_of_kept, flag_repeated_lines
from ingestion.excel_input import EXCEL_VIEW, ROW_COLUMN, excel_relation
from ingestion.header import HEADER_SEARCH_LINES, match_header
from ingestion.mapping import Mapping
from ingestion.parquet_input import parquet_relation
from ingestion.plausibility import Plausibility
from ingestion.results import FileRejected, FileResult, first_line
from ingestion.textfile import split_header
from ingestion.typed_values import ColumnInput, has_zone
from ingestion.validate import validated_select

ERRORS_TYPE = "struct(column_name varchar, reason varchar)[]"


def stage_files(
    con: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    business_date: date,
    files: dict[str, tuple[Path, str, int]],
    mapping: Mapping,
    status: str,
    kept: list[str],
    rules: Plausibility,
) -> list[FileResult]:
    """Validate every file into ``_stage``, flag duplicate keys (also of rows the partition
    keeps from the ``kept`` files), and count rows per file."""
    typed_cols = ", ".join(f"t{i} {c.sql_type}" for i, c in enumerate(contract.columns))
    # A file's name and checksum are not repeated on each staged row (that would double the
    # stage of a large partition, which then spills to disk); _file_ord points to them.
    con.execute(f"""create or replace temp table _stage (_file_ord integer, _line bigint,
        _raw varchar, {typed_cols}, _errors {ERRORS_TYPE})""")
    results, numbered = [], []
    for ordinal, (name, (path, checksum, size)) in enumerate(files.items()):
        result = FileResult(name, checksum, size, status)
        try:
            notes, numbers_lines = _stage_file(
                con, contract, mapping, business_date, path, name, ordinal, rules
            )
            result.message = "; ".join(notes)
            if numbers_lines:
                numbered.append(ordinal)
        except FileRejected as exc:
            result.status, result.message = "rejected", str(exc)
        results.append(result)
    if numbered:
        number_lines(con, contract, numbered)
        repeated = flag_repeated_lines(con, contract, numbered, list(files))
        for ordinal, count in repeated.items():
            note = (
                f"{count} exact duplicate line(s) quarantined (same order and content as an "
                "earlier line; without line numbers kam takes them for lines exported twice)"
            )
            results[ordinal].message = "; ".join(m for m in (results[ordinal].message, note) if m)
    flag_duplicates(con, contract, list(files))
    if kept:
        flag_duplicates_of_kept(con, contract, business_date, kept)
    counts = {
        row[0]: row[1:]
        for row in con.execute(
            """select _file_ord, count(*), count(*) filter (where len(_errors) = 0)
           from _stage group by _file_ord"""
        ).fetchall()
    }
    for ordinal, result in enumerate(results):
        read, loaded = counts.get(ordinal, (0, 0))
        result.rows_read, result.rows_loaded, result.rows_quarantined = read, loaded, read - loaded
    return results


def _stage_file(
    con: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    mapping: Mapping,
    business_date: date,
    path: Path,
    name: str,
    ordinal: int,
    rules: Plausibility,
) -> tuple[list[str], bool]:
    """Validate one file into ``_stage``; returns notes for the ledger message and whether its
    line numbers are to be derived (the file has none)."""
    if mapping.format == "parquet":
        relation, header, native = parquet_relation(con, path, name)
    elif mapping.format == "excel":
        relation, header, native = excel_relation(con, path, name, mapping)
    else:
        relation, header, native = None, None, {}
    file_notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kam-ingest-") as tmp:
        if mapping.format == "csv":
            relation, header, file_notes = csv_relation(
                con, path, name, mapping, Path(tmp) / "utf8.csv"
            )
        inputs, notes = match_header(
            contract, mapping, header, name, native, lambda: _following(con, mapping)
        )
        notes += file_notes
        notes += _zone_notes(contract, mapping, inputs, rules)
        derived = derived_amount(contract, inputs)
        select = validated_select(
            contract, inputs, mapping, business_date, relation, rules, derived
        )
        n = len(contract.columns)
        try:
            con.execute(f"""insert into _stage
                select {ordinal}, _line, _raw,
                {", ".join(f"t{i}" for i in range(n))}, _errors from ({select})""")
        except duckdb.Error as exc:
            raise FileRejected(
                f"{name}: cannot be read ({first_line(exc)}); check that the file "
                f"is a complete {mapping.format} export"
            ) from exc
        finally:
            con.execute("drop table if exists _lines")
            if mapping.format == "excel":
                con.unregister(EXCEL_VIEW)
        notes += amount_check(con, contract, inputs, ordinal)
    numbers_lines = LINE_NUMBER in contract.column_names and inputs[LINE_NUMBER].expr is None
    return notes, numbers_lines


def _following(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> list[list[str]]:
    """The fields of the first lines after the header of the file just read (its ``_lines``,
    or its sheet), for the header's hint when it names no expected column."""
    if mapping.format == "excel":
        rows = con.execute(
            f"select * exclude ({ROW_COLUMN}) from {EXCEL_VIEW} limit {HEADER_SEARCH_LINES}"
        ).fetchall()
        return [[str(v).strip() for v in row if v is not None] for row in rows]
    if mapping.format != "csv":
        return []
    lines = con.execute(
        f"select line from _lines where _line > ? order by _line limit {HEADER_SEARCH_LINES}",
        [mapping.header_row],
    ).fetchall()
    return [split_header(line or "", mapping.delimiter, mapping.quote) or [] for (line,) in lines]


def _zone_notes(
    contract: SourceContract,
    mapping: Mapping,
    inputs: dict[str, ColumnInput],
    rules: Plausibility,
) -> list[str]:
    """A ledger note naming the columns whose time-zone-aware values are converted."""
    zoned = [
        c.name
        for c in contract.columns
        if inputs[c.name].expr is not None
        and (
            inputs[c.name].tz_aware
            or (
                not inputs[c.name].native
                and c.type == "timestamp"
                and has_zone(mapping.timestamp_format)
            )
            or (
                not inputs[c.name].native
                and c.type in ("date", "timestamp")
                and has_zone(mapping.date_format)
            )
        )
    ]
    if not zoned:
        return []
    return [
        f"time-zone-aware values of {', '.join(zoned)} converted to local time in {rules.time_zone}"
    ]
