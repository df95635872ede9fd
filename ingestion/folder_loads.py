"""Changed landing folders loaded into the warehouse, each in one transaction; several at once on
connections of the same DuckDB database when asked.

A folder's load validates its files into a temporary table of its own connection
(``stage.py``), then swaps its partition of ``raw.<source>`` and ``raw.quarantine`` and writes
its ledger rows in one transaction (``partition_swap.py``, ``ledger.py``). It reads and writes
only its own business date's rows, so two folders' transactions never touch the same row: DuckDB
runs them side by side within one process (what it does not allow is a second process writing
the file, which kam's Dagster pool prevents), and the result does not depend on which folder
finishes first.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from ingestion import ledger
from ingestion.contracts import load_contracts
from ingestion.mapping import Mapping
from ingestion.partition_swap import replace_partition
from ingestion.plausibility import Plausibility
from ingestion.results import FileResult, PartitionResult
from ingestion.stage import stage_files
from warehouse.faults import crash_point


@dataclass
class FolderLoad:
    """A landing folder that changed since its last load, and what loading it takes."""

    source: str
    business_date: date
    status: str  # loaded | replaced
    #: name → (path, sha256, size) of the files to load
    files: dict[str, tuple[Path, str, int]]
    #: name → (sha256, size) of files gone from the folder whose rows the partition keeps
    kept: dict[str, tuple[str, int | None]]
    #: results of entries not loaded (ignored, retracted)
    others: list[FileResult]
    mapping: Mapping


def load_folders(
    con: duckdb.DuckDBPyConnection,
    planned: Sequence[PartitionResult | FolderLoad],
    run_id: str,
    rules: Plausibility,
    threads: int = 1,
) -> list[PartitionResult]:
    """The results of ``planned``, in its order: a folder that needs nothing as it is, each load
    as done on ``con`` one after another, or, with ``threads`` > 1, on up to that many cursors
    of ``con`` at once.

    When a load fails, loads not yet started are not started, those under way finish (each
    commits or rolls back as a whole), and the error of the earliest folder that failed is
    raised: a run again loads what did not commit, as after a crash.
    """
    loads = [p for p in planned if isinstance(p, FolderLoad)]
    if min(threads, len(loads)) <= 1:
        done = [load_folder(con, load, run_id, rules) for load in loads]
    else:
        done = _load_side_by_side(con, loads, run_id, rules, threads)
    results = iter(done)
    return [next(results) if isinstance(p, FolderLoad) else p for p in planned]


def load_folder(
    con: duckdb.DuckDBPyConnection, load: FolderLoad, run_id: str, rules: Plausibility
) -> PartitionResult:
    """Validate the folder's files and swap its partition in one transaction."""
    loaded_at = datetime.now()
    contract = load_contracts()[load.source]
    kept = list(load.kept)
    # Files are validated into a temporary table first (a file DuckDB cannot read then only
    # rejects that file); the partition itself is swapped in one transaction.
    results = stage_files(
        con, contract, load.business_date, load.files, load.mapping, load.status, kept, rules
    )
    results += ledger.kept_results(con, load.source, load.business_date, load.kept)
    results += load.others
    con.execute("begin transaction")
    try:
        replace_partition(
            con, contract, load.business_date, list(load.files.items()), kept, loaded_at, run_id
        )
        ledger.write_ledger(con, load.source, load.business_date, results, loaded_at, run_id)
        crash_point("ingestion")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _stage")
    return PartitionResult(load.source, load.business_date, load.status, results)


def _load_side_by_side(
    con: duckdb.DuckDBPyConnection,
    loads: list[FolderLoad],
    run_id: str,
    rules: Plausibility,
    threads: int,
) -> list[PartitionResult]:
    """``loads`` on a pool of threads, each with its own cursor of ``con`` (a connection to the
    same database, with its own temporary tables and transaction)."""
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []
    opened = threading.Lock()

    def run(load: FolderLoad) -> PartitionResult:
        cursor = getattr(local, "cursor", None)
        if cursor is None:
            cursor = local.cursor = con.cursor()
            cursor.execute("set enable_progress_bar = false")
            with opened:
                cursors.append(cursor)
        return load_folder(cursor, load, run_id, rules)

    pool = ThreadPoolExecutor(min(threads, len(loads)), thread_name_prefix="kam-ingest")
    futures: list[Future[PartitionResult]] = []
    try:
        futures = [pool.submit(run, load) for load in loads]
        wait(futures, return_when=FIRST_EXCEPTION)
    finally:
        # After a failure (or Ctrl-C) no further folder starts; those under way finish.
        pool.shutdown(wait=True, cancel_futures=True)
        for cursor in cursors:
            cursor.close()
    for future in futures:
        if not future.cancelled() and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]
    return [future.result() for future in futures]
