"""Load landing folders into ``raw.<source>``: one business date of one source per transaction.

A folder is reloaded as a whole when its set of (file, checksum) differs from what the ledger
last recorded; otherwise it is left alone. A file is read for its checksum only when it may have
changed since it was last read (``checksums.py``). Rows breaking the contract go to
``raw.quarantine``.

Each step has its own module: the date folders (``discovery.py``), what a folder holds
(``landing.py``), the ledger (``ledger.py``), validating the files into a temporary stage
(``stage.py``, reading each through ``csv_reader.py``, ``parquet_input.py`` or
``excel_input.py``) and swapping the partition (``partition_swap.py``), both per changed folder in
``folder_loads.py``. docs/bad-inputs.md lists every bad input and what kam does with it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from ingestion import checksums, ledger
from ingestion.contracts import SOURCES
from ingestion.discovery import check_landing, date_folders, folder_date
from ingestion.folder_loads import FolderLoad, load_folders
from ingestion.landing import list_folder
from ingestion.mapping import Mapping
from ingestion.plausibility import Plausibility
from ingestion.results import FileResult, PartitionResult
from ingestion.schema import ensure_raw_schema


def sync_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    mappings: dict[str, Mapping],
    up_to: date,
    run_id: str,
    sources: tuple[str, ...] | list[str] = SOURCES,
    rules: Plausibility | None = None,
    threads: int = 1,
) -> list[PartitionResult]:
    """Ingest every landed folder dated on or before ``up_to``, oldest first, source by source.

    What was loaded before is looked up once per source, not once per folder: a night checks
    every folder landed since go-live, and per-folder queries would make it cost what the
    number of folders kept costs (11 s a night after a year of daily folders).

    Which folders changed is worked out folder by folder on ``con``; with ``threads`` > 1 the
    changed folders of a source then load on up to that many connections of the same database
    at once (``folder_loads.py``).
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
        planned = [
            _plan_folder(con, source, day, landing_dir, mapping, history.get(day), known)
            for day in days[source]
        ]
        results += load_folders(con, planned, run_id, rules, threads)
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
    planned = _plan_folder(
        con,
        source,
        business_date,
        Path(landing_dir),
        mapping,
        ledger.last_attempts(con, source, business_date).get(business_date),
        checksums.recorded(con, f"{source}/{business_date.isoformat()}/"),
    )
    return load_folders(con, [planned], run_id, rules or Plausibility.defaults())[0]


def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    ensure_raw_schema(con)
    checksums.ensure_table(con)
    con.execute("set enable_progress_bar = false")


def _plan_folder(
    con: duckdb.DuckDBPyConnection,
    source: str,
    business_date: date,
    landing_dir: Path,
    mapping: Mapping,
    previous: ledger.LastAttempt | None,
    known: dict[str, tuple[checksums.FileIdentity, str]],
) -> PartitionResult | FolderLoad:
    """What one folder needs: nothing (its result: unchanged or empty), or a load."""
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
    return FolderLoad(
        source,
        business_date,
        "replaced" if loaded_before else "loaded",
        files,
        kept,
        others,
        mapping,
    )
