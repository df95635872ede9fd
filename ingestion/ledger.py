"""The ingestion ledger (``raw.ingestion_ledger``): a row per file of every attempt at a partition.

The latest attempt tells whether a folder changed since (and which archived files' rows the
partition keeps); an attempt's own rows are written in the transaction that swaps the partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from ingestion.landing import RETRACTION_SUFFIX
from ingestion.results import FileResult


@dataclass(frozen=True)
class LastAttempt:
    """The latest ledger attempt of one partition."""

    files: frozenset[tuple[str, str]]  # (file, checksum) of the files it read
    entries: frozenset[tuple[str, str]]  # (entry, status) of what it did not read (kept too)
    holding: dict[str, tuple[str, int | None]]  # file → (checksum, bytes) of files whose rows
    # the partition holds (loaded, replaced or kept)
    at: datetime
    rejected_a_file: bool
    loaded_before: bool  # any attempt ever loaded the partition


KEPT_MESSAGE = (
    "no longer in the landing folder (archived?); its rows are kept. To remove them, retract "
    "the file: put an empty file named '{marker}' in the date folder"
)


def kept_results(
    con: duckdb.DuckDBPyConnection,
    source: str,
    business_date: date,
    kept: dict[str, tuple[str, int | None]],
) -> list[FileResult]:
    """Ledger rows of files gone from the folder whose rows stay, with the rows they hold."""
    results = []
    for name, (checksum, size) in sorted(kept.items()):
        loaded = con.execute(
            f"select count(*) from raw.{source} where _business_date = ? and _source_file = ?",
            [business_date, name],
        ).fetchall()[0][0]
        quarantined = con.execute(
            "select count(*) from raw.quarantine where source = ? and business_date = ? "
            "and source_file = ?",
            [source, business_date, name],
        ).fetchall()[0][0]
        marker = name.rsplit("/", 1)[-1] + RETRACTION_SUFFIX
        results.append(
            FileResult(
                name,
                checksum,
                size,
                "kept",
                rows_read=loaded + quarantined,
                rows_loaded=loaded,
                rows_quarantined=quarantined,
                message=KEPT_MESSAGE.format(marker=marker),
            )
        )
    return results


def last_attempts(
    con: duckdb.DuckDBPyConnection, source: str, business_date: date | None = None
) -> dict[date, LastAttempt]:
    """The latest ledger attempt of each of ``source``'s partitions (or of one)."""
    rows = con.execute(
        f"""select business_date, source_file, file_checksum, status, loaded_at,
                bool_or(status in ('loaded', 'replaced')) over (partition by business_date),
                file_bytes
            from raw.ingestion_ledger
            where source = ? {"and business_date = ?" if business_date is not None else ""}
            qualify loaded_at = max(loaded_at) over (partition by business_date)""",
        [source, business_date] if business_date is not None else [source],
    ).fetchall()
    by_date: dict[date, list[tuple]] = {}
    for row in rows:
        by_date.setdefault(row[0], []).append(row)
    return {
        day: LastAttempt(
            files=frozenset((r[1], r[2]) for r in attempt if r[2] is not None and r[3] != "kept"),
            entries=frozenset((r[1], r[3]) for r in attempt if r[2] is None or r[3] == "kept"),
            holding={
                r[1]: (r[2], r[6])
                for r in attempt
                if r[2] is not None and r[3] in ("loaded", "replaced", "kept")
            },
            at=attempt[0][4],
            rejected_a_file=any(r[3] == "rejected" for r in attempt),
            loaded_before=attempt[0][5],
        )
        for day, attempt in by_date.items()
    }


def write_ledger(
    con: duckdb.DuckDBPyConnection,
    source: str,
    business_date: date,
    results: list[FileResult],
    loaded_at: datetime,
    run_id: str,
) -> None:
    """Insert this attempt's ledger rows, one per file result, all stamped ``loaded_at``."""
    con.executemany(
        "insert into raw.ingestion_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                source,
                business_date,
                r.source_file,
                r.file_checksum,
                r.file_bytes,
                r.rows_read,
                r.rows_loaded,
                r.rows_quarantined,
                r.status,
                r.message or None,
                loaded_at,
                run_id,
            ]
            for r in results
        ],
    )
