"""Load landing folders into ``raw.<source>``: one business date of one source per transaction.

A folder is reloaded as a whole when its set of (file, checksum) differs from what the ledger
last recorded; otherwise it is left alone. A file is read for its checksum only when it may have
changed since it was last read (``checksums.py``). Rows breaking the contract go to
``raw.quarantine``.

Each step has its own module: the date folders (``discovery.py``), what a folder holds
(``landing.py``), the ledger (``ledger.py``), validating the files into a temporary stage
(``stage.py``, reading each through ``csv_reader.py``, ``parquet_input.py`` or
``excel_input.py``) and swapping the partition (``partition_swap.py``). docs/bad-inputs.md lists
every bad input and what kam does with it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from ingestion import checksums, ledger
from ingestion.contracts import SOURCES, load_contracts
from ingestion.discovery import check_landing, date_folders, folder_date
from ingestion.landing import list_folder
from ingestion.mapping import Mapping
from ingestion.partition_swap import replace_partition
from ingestion.plausibility import Plausibility
from ingestion.results import FileResult, PartitionResult
from ingestion.schema import ensure_raw_schema
from ingestion.stage import stage_files
from warehouse.faults import crash_point


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
    results = stage_files(con, contract, business_date, files, mapping, status, list(kept), rules)
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
