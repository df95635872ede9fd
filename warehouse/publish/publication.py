"""Publish a read-only copy of the warehouse for BI tools, atomically.

The pipeline writes only to its own warehouse file. Publishing copies the tables BI reads into a
brand-new DuckDB file, ``versions/<publication id>.duckdb``, and then points the symbolic link
``kam.duckdb`` at it in a single ``os.replace``. A BI tool that holds the old file open keeps
reading the old snapshot (POSIX keeps the file alive while it is open) and sees the new one on its
next connection — also in a process that keeps another connection open: DuckDB shares one
database instance per file path in a process, and it is the link's target, a new path for each
publication, that names the file. (Renaming a new file over the same path would give a pooled
reader the old, cached snapshot for as long as any connection stays open.) The previous version is
kept until the next publication, so a reader that resolved the link just before the swap still
opens a whole file. Parquet copies go to a new folder per publication and a ``current`` symbolic
link is swapped the same way (:mod:`warehouse.publish.parquet_versions`).

The file is written in a DuckDB storage format older readers understand (``storage_version``,
default ``v1.0.0``: DuckDB 1.0 and every later release, as bundled by BI tools, read it). Every
table and column carries the description the caller gives it (``COMMENT ON``), which BI tools show
next to the names.

The new file starts as a copy of the previous publication (:mod:`warehouse.publish.staging`), and
each table is brought up to date by rewriting only what changed
(:mod:`warehouse.publish.table_sync`). So a night that adds one date no longer rewrites every
earlier date. Where the file system has copy-on-write clones (XFS, Btrfs), the starting copy is a
clone: it takes no time and no space whatever the file's size, and only the blocks the
publication writes are copied.

History tables (``by_date``: the facts and the score history, which grow by every customer each
night) would still cost what all history costs: hashing every date on both sides and rewriting
one ever larger Parquet file. Their writers therefore record each date they write in the
warehouse's partition-write log (``main.kam_partition_writes``); a publication replaces the
dates written since the previous one (and any date whose row count differs), and publishes such
a table as a folder of one Parquet file per date, hard-linking the dates it did not replace.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from warehouse.faults import crash_point
from warehouse.publish.comments import comment
from warehouse.publish.files import (
    DATABASE_NAME,
    DATABASE_VERSIONS,
    STAGING_PREFIX,
    SUCCESS_MARKER,
    prune_databases,
    remove,
    remove_leftovers,
    sql_path,
    swap_symlink,
)
from warehouse.publish.parquet_versions import (
    KEEP_PARQUET_VERSIONS,
    link_parquet,
    previous_parquet_dir,
    prune_versions,
    write_parquet_by_date,
)
from warehouse.publish.staging import (
    STORAGE_VERSION_KEY,
    damage_notice,
    new_database,
    open_staging,
    previous_publication,
)
from warehouse.publish.table_sync import drop_unpublished, has_table, source_query, sync_table
from warehouse.publish.types import PublishedTable, PublishResult
from warehouse.publish.write_log import write_log_token, written_since
from warehouse.settings import DEFAULT_PUBLISH_STORAGE_VERSION

_PUBLICATION_ID = re.compile(r"^[A-Za-z0-9_-]+$")
# Keys of the publication table that the next publication reads back.
PARQUET_VERSION_KEY = "parquet_version"
WRITES_SEEN_KEY = "partition_writes_seen"
PUBLICATION_COMMENT = (
    "Which run and business date this copy holds: run_id, business_date, published_at, the row "
    "count of every table (rows.<table>) and kam's own bookkeeping for the next publication."
)
PUBLICATION_COLUMN_COMMENTS = (
    (
        "key",
        "Name of the fact (run_id, business_date, run_business_date, published_at, "
        "rows.<table>, ...).",
    ),
    ("value", "Its value, as text."),
)
# Errors of the statements themselves (a table or column that is not there), which building the
# copy again from nothing would only repeat; any other error from a copy of the previous
# publication is taken for damage in that copy.
NOT_DAMAGE = (
    duckdb.CatalogException,
    duckdb.BinderException,
    duckdb.ParserException,
    duckdb.ConversionException,
)


def publish(
    warehouse_path: Path,
    publish_dir: Path,
    tables: Sequence[PublishedTable],
    publication_id: str,
    *,
    metadata: dict[str, str] | None = None,
    storage_version: str = DEFAULT_PUBLISH_STORAGE_VERSION,
    keep_previous: frozenset[str] = frozenset(),
) -> PublishResult:
    """Copy ``tables`` from the writer warehouse into a fresh published DuckDB file and Parquet.

    ``publication_id`` names the database file and Parquet folder of this publication (use the
    run id). ``metadata`` is written to a one-row-per-key ``publication`` table (run id,
    business date, …). ``storage_version`` is the oldest DuckDB release that must read the file.
    ``keep_previous`` names tables (not by date) published as the previous publication has them,
    when it has them: a backfill of an older date keeps the newer date's dimensions.
    """
    if not _PUBLICATION_ID.match(publication_id):
        raise ValueError(f"publication id {publication_id!r} must be letters, digits, - or _")
    publish_dir.mkdir(parents=True, exist_ok=True)
    final_db = publish_dir / DATABASE_NAME
    staging_db = publish_dir / f"{STAGING_PREFIX}{publication_id}.tmp"
    versions = publish_dir / DATABASE_VERSIONS
    parquet_root = publish_dir / "parquet"
    version_dir = parquet_root / publication_id
    remove_leftovers(publish_dir)
    versions.mkdir(exist_ok=True)

    previous_parquet = previous_parquet_dir(parquet_root)
    metadata = {**(metadata or {}), STORAGE_VERSION_KEY: storage_version}
    rebuilt = None
    con = None
    try:
        con, from_previous, rebuilt = open_staging(final_db, staging_db, storage_version)
        try:
            version_dir.mkdir(parents=True)
            counts = _fill(
                con, warehouse_path, tables, version_dir, previous_parquet, metadata, keep_previous
            )
        except duckdb.Error as exc:
            if not from_previous or isinstance(exc, NOT_DAMAGE):
                raise
            # Part of the previous copy reads as damaged (or something else failed: then the same
            # error comes again from the fresh attempt, and is raised).
            rebuilt = damage_notice(final_db, exc)
            con.close()
            remove(staging_db)
            remove(version_dir)
            con = new_database(staging_db, storage_version)
            version_dir.mkdir(parents=True)
            counts = _fill(con, warehouse_path, tables, version_dir, None, metadata, keep_previous)
        con.execute("checkpoint")
        con.close()
    except BaseException:
        if con is not None:
            con.close()
        remove(staging_db)
        remove(version_dir)
        raise
    (version_dir / SUCCESS_MARKER).touch()

    crash_point("publishing")
    version_db = versions / f"{publication_id}.duckdb"
    previous_db = final_db.resolve() if final_db.is_symlink() else None
    os.replace(staging_db, version_db)
    swap_symlink(final_db, f"{DATABASE_VERSIONS}/{version_db.name}", directory=False)
    swap_symlink(parquet_root / "current", version_dir.name)
    prune_databases(versions, keep={version_db, previous_db})
    prune_versions(parquet_root, keep=KEEP_PARQUET_VERSIONS)
    return PublishResult(
        database_path=final_db,
        parquet_dir=parquet_root / "current",
        row_counts=counts,
        rebuilt=rebuilt,
    )


def _fill(
    con: duckdb.DuckDBPyConnection,
    warehouse_path: Path,
    tables: Sequence[PublishedTable],
    version_dir: Path,
    previous_parquet: Path | None,
    metadata: dict[str, str],
    keep_previous: frozenset[str] = frozenset(),
) -> dict[str, int]:
    """Make the staging database hold exactly ``tables`` (and ``publication``), and write the
    Parquet version; returns every table's row count. Tables in ``keep_previous`` that the
    staging copy already holds (from the previous publication) keep their rows."""
    counts: dict[str, int] = {}
    con.execute(f"attach '{sql_path(warehouse_path)}' as warehouse (read_only)")
    previous = previous_publication(con)
    if previous_parquet is not None and previous.get(PARQUET_VERSION_KEY) != previous_parquet.name:
        # The Parquet folder is not the one published with this database copy (a crash between
        # the two swaps): its per-date files cannot be reused unchecked.
        previous_parquet_by_date = None
    else:
        previous_parquet_by_date = previous_parquet
    writes_token = write_log_token(con)
    dates_written = written_since(con, writes_token, previous.get(WRITES_SEEN_KEY))
    drop_unpublished(con, {t.published_name for t in tables})
    for table in tables:
        name = table.published_name
        source = source_query(table)
        if table.by_date:
            dates = dates_written(f"{table.source_schema}.{table.source_table}")
            changed = sync_table(con, name, source, written=dates)
            write_parquet_by_date(con, name, previous_parquet_by_date, version_dir / name, changed)
        else:
            kept = name in keep_previous and has_table(con, name)
            changed = set() if kept else sync_table(con, name, source)
            parquet = version_dir / f"{name}.parquet"
            if not (changed == set() and link_parquet(con, name, previous_parquet, parquet)):
                con.execute(
                    f"copy main.{name} to '{sql_path(parquet)}' (format parquet, compression zstd)"
                )
        comment(con, name, table.comment, dict(table.column_comments))
        counts[name] = con.execute(f"select count(*) from main.{name}").fetchall()[0][0]
    bookkeeping = {PARQUET_VERSION_KEY: version_dir.name}
    if writes_token is not None:
        bookkeeping[WRITES_SEEN_KEY] = writes_token
    _write_publication_table(con, {**metadata, **bookkeeping}, counts)
    # Parquet-only readers (Excel, Power BI) learn which run and date the folder holds too.
    publication = version_dir / "publication.parquet"
    con.execute(f"copy main.publication to '{sql_path(publication)}' (format parquet)")
    con.execute("detach warehouse")
    return counts


def _write_publication_table(
    con: duckdb.DuckDBPyConnection, metadata: dict[str, str], counts: dict[str, int]
) -> None:
    # No primary key: DuckDB 2.0 writes index constraints in a form DuckDB 1.0 cannot read, even
    # in 1.0's storage format (the keys are unique by construction).
    con.execute("create table main.publication (key varchar not null, value varchar)")
    comment(con, "publication", PUBLICATION_COMMENT, dict(PUBLICATION_COLUMN_COMMENTS))
    rows = [*sorted(metadata.items()), *((f"rows.{k}", str(v)) for k, v in sorted(counts.items()))]
    if rows:
        con.executemany("insert into main.publication values (?, ?)", rows)
