"""Load landing folders into ``raw.<source>``: one business date of one source per transaction.

A folder is reloaded as a whole when its set of (file, checksum) differs from what the ledger
last recorded; otherwise it is left alone. A file is read for its checksum only when it may have
changed since it was last read (``checksums.py``). Rows breaking the contract go to
``raw.quarantine``.
CSV files are read one physical line per row (a quoted field must not contain a line break;
if one does, both halves are quarantined as broken quoting). Blank lines are skipped.
A file that is binary, UTF-16, or in another encoding than the mapping declares is rejected
as a whole with the fix; docs/bad-inputs.md lists every case.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import duckdb

from ingestion import checksums, ledger
from ingestion.contracts import SourceContract, load_contracts
from ingestion.csv_reader import csv_relation
from ingestion.derived_columns import LINE_NUMBER, amount_check, derived_amount, number_lines
from ingestion.discovery import check_landing, date_folders, folder_date
from ingestion.duplicates import flag_duplicates, flag_duplicates_of_kept, flag_repeated_lines
from ingestion.excel_input import EXCEL_VIEW, excel_relation
from ingestion.header import match_header
from ingestion.landing import list_folder
from ingestion.mapping import Mapping
from ingestion.parquet_input import parquet_relation
from ingestion.partition_swap import replace_partition
from ingestion.plausibility import Plausibility
from ingestion.results import (
    FileRejected,
    FileResult,
    PartitionResult,
    first_line,
)
from ingestion.schema import ensure_raw_schema
from ingestion.typed_values import ColumnInput, has_zone
from ingestion.validate import validated_select
from warehouse.faults import crash_point
from warehouse.settings import SOURCES

ERRORS_TYPE = "struct(column_name varchar, reason varchar)[]"


def sync_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    mappings: dict[str, Mapping],
    up_to: date,
    run_id: str,
    sources: tuple[str, ...] | list[str] = SOURCES,
    rules: Plausibility | None = None,
) -> list[PartitionResult]:
    """Ingest every landed folder dated on or before ``up_to``, oldest first, source by source.

    What was loaded before is looked up once per source, not once per folder: a night checks
    every folder landed since go-live, and per-folder queries would make it cost what the
    number of folders kept costs (11 s a night after a year of daily folders).
    """
    landing_dir = Path(landing_dir)
    # Every folder name of every source is checked before anything loads (each source's asset
    # loads only its own source, but a misnamed folder must stop all of them).
    check_landing(landing_dir)
    rules = rules or Plausibility.defaults()
    days = {
        source: sorted(
            d for d in map(folder_date, date_folders(landing_dir / source)) if d <= up_to
        )
        for source in sources
    }
    _prepare(con)
    results = []
    for source in (s for s in sources if days[s]):
        history = ledger.last_attempts(con, source)
        known = checksums.recorded(con, f"{source}/")
        mapping = mappings.get(source) or Mapping(source)
        results += [
            _ingest_folder(
                con, source, day, landing_dir, mapping, run_id, history.get(day), known, rules
            )
            for day in days[source]
        ]
    return results


def ingest_partition(
    con: duckdb.DuckDBPyConnection,
    source: str,
    business_date: date,
    landing_dir: Path,
    mapping: Mapping,
    run_id: str,
    rules: Plausibility | None = None,
) -> PartitionResult:
    """Load ``<landing_dir>/<source>/<business_date>/`` unless it is unchanged since last time."""
    _prepare(con)
    landing_dir = Path(landing_dir)
    return _ingest_folder(
        con,
        source,
        business_date,
        landing_dir,
        mapping,
        run_id,
        ledger.last_attempts(con, source, business_date).get(business_date),
        checksums.recorded(con, f"{source}/{business_date.isoformat()}/"),
        rules or Plausibility.defaults(),
    )


def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    ensure_raw_schema(con)
    checksums.ensure_table(con)
    con.execute("set enable_progress_bar = false")


def _ingest_folder(
    con: duckdb.DuckDBPyConnection,
    source: str,
    business_date: date,
    landing_dir: Path,
    mapping: Mapping,
    run_id: str,
    previous: ledger.LastAttempt | None,
    known: dict[str, tuple[checksums.FileIdentity, str]],
    rules: Plausibility,
) -> PartitionResult:
    folder = landing_dir / source / business_date.isoformat()
    listing = list_folder(landing_dir, folder, mapping)
    retracted = {n.lower() for n in listing.retracted}
    named = {n: p for n, p in listing.files.items() if n.lower() not in retracted}
    sums = checksums.landed_checksums(con, named, known)
    files = {name: (named[name], *sums[name]) for name in named}
    # A file loaded before and gone from the folder (archived) keeps its rows unless retracted.
    kept = {
        name: held
        for name, held in (previous.holding if previous is not None else {}).items()
        if name not in named and name.lower() not in retracted
    }
    others = [FileResult(e.name, None, None, e.status, message=e.message) for e in listing.entries]
    others += [
        FileResult(name, None, None, "retracted", message=f"retracted by {marker}; not loaded")
        for name, marker in sorted(listing.retracted.items())
    ]
    current = {(name, checksum) for name, (_, checksum, _) in files.items()}
    # A file leaving the folder is recorded (as kept) once: then the folder is unchanged again.
    entries = frozenset((f.source_file, f.status) for f in others) | {(n, "kept") for n in kept}
    loaded_before = previous is not None and previous.loaded_before
    loaded_at = datetime.now()
    if (
        previous is not None
        and previous.files == current
        and previous.entries == entries
        and not previous.rejected_a_file
    ):
        results = [
            FileResult(
                name,
                checksum,
                size,
                "unchanged",
                message=f"unchanged since {previous.at:%Y-%m-%d %H:%M:%S}",
            )
            for name, (_, checksum, size) in files.items()
        ]
        # A no-op writes nothing, so re-running a date leaves the ledger (and BI) identical.
        return PartitionResult(source, business_date, "unchanged", results)
    if not files and not kept and not others and not loaded_before:
        return PartitionResult(source, business_date, "empty")
    status = "replaced" if loaded_before else "loaded"
    contract = load_contracts()[source]
    # Files are validated into a temporary table first (a file DuckDB cannot read then only
    # rejects that file); the partition itself is swapped in one transaction.
    results = _stage_files(con, contract, business_date, files, mapping, status, list(kept), rules)
    results += ledger.kept_results(con, source, business_date, kept)
    results += others
    con.execute("begin transaction")
    try:
        replace_partition(
            con, contract, business_date, list(files.items()), list(kept), loaded_at, run_id
        )
        ledger.write_ledger(con, source, business_date, results, loaded_at, run_id)
        crash_point("ingestion")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _stage")
    return PartitionResult(source, business_date, status, results)


def _stage_files(
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
        inputs, notes = match_header(contract, mapping, header, name, native)
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
        if not derived:
            notes += amount_check(con, contract, inputs, ordinal)
    numbers_lines = LINE_NUMBER in contract.column_names and inputs[LINE_NUMBER].expr is None
    return notes, numbers_lines


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








