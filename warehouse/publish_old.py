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
link is swapped the same way.

The file is written in a DuckDB storage format older readers understand (``storage_version``,
default ``v1.0.0``: DuckDB 1.0 and every later release, as bundled by BI tools, read it). Every
table and column carries the description the caller gives it (``COMMENT ON``), which BI tools show
next to the names.

A previous publication that cannot be read (a damaged file) is not reused: the publication is
built again from nothing and says so in :attr:`PublishResult.rebuilt`.

The new file starts as a copy of the previous publication: a table whose rows (count and sum of
row hashes, per ``as_of_date`` where it has one) and columns are unchanged is kept as it is, a
table with changed dates has only those dates replaced, any other is copied again in full. An
unchanged table's Parquet file is hard-linked from the previous version when it holds the same
rows. So a night that adds one date no longer rewrites every earlier date. Where the file system
has copy-on-write clones (XFS, Btrfs), the starting copy is a clone: it takes no time and no space
whatever the file's size, and only the blocks the publication writes are copied.

History tables (``by_date``: the facts and the score history, which grow by every customer each
night) would still cost what all history costs: hashing every date on both sides and rewriting
one ever larger Parquet file. Their writers therefore record each date they write in the
warehouse's partition-write log (``main.kam_partition_writes``); a publication replaces the
dates written since the previous one (and any date whose row count differs), and publishes such
a table as a folder of one Parquet file per date, hard-linking the dates it did not replace.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

try:
    import fcntl
except ImportError:  # Windows: no ioctl, files are always copied
    fcntl = None  # type: ignore[assignment]

from warehouse.faults import crash_point
from warehouse.partition_writes import TABLE as PARTITION_WRITES
from warehouse.settings import DEFAULT_PUBLISH_STORAGE_VERSION

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PUBLICATION_ID = re.compile(r"^[A-Za-z0-9_-]+$")
KEEP_PARQUET_VERSIONS = 3
# Column by which large, growing tables are compared and replaced date by date.
PARTITION_COLUMN = "as_of_date"
# Keys of the publication table that the next publication reads back.
PARQUET_VERSION_KEY = "parquet_version"
WRITES_SEEN_KEY = "partition_writes_seen"
# File name, in a by-date table's Parquet folder, of the rows without a date (normally none).
UNDATED_FILE = "undated.parquet"
# Publication key naming the storage version the file was written in.
STORAGE_VERSION_KEY = "storage_version"
DATABASE_NAME = "kam.duckdb"
# Folder, beside the ``kam.duckdb`` link, of the published database files (one per publication).
DATABASE_VERSIONS = "versions"
# Name prefix of everything a publication leaves beside the link while it is being written.
STAGING_PREFIX = f".{DATABASE_NAME}."
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
# Linux's FICLONE ioctl (linux/fs.h): make a file share another file's blocks, copy-on-write.
FICLONE = 0x40049409


@dataclass(frozen=True)
class PublishedTable:
    """A warehouse relation to publish and the name BI sees it under."""

    source_schema: str
    source_table: str
    published_name: str
    # Replacements applied while copying, e.g. {"raw_record": "<masking expression>"}; fixed SQL
    # written in kam's code, never taken from configuration.
    replace: tuple[tuple[str, str], ...] = ()
    # A history table keyed by ``as_of_date`` whose writer records every date it writes in the
    # partition-write log: compared through the log, published as one Parquet file per date.
    by_date: bool = False
    # Descriptions BI tools show (``COMMENT ON``): the table's, and (column, text) pairs, where
    # the column may be a pattern (``credit_ind_*``: the first that matches a column wins after
    # the column's own name). A column named by none gets no comment.
    comment: str | None = None
    column_comments: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for part in (
            self.source_schema,
            self.source_table,
            self.published_name,
            *(column for column, _ in self.replace),
        ):
            if not _IDENTIFIER.match(part):
                raise ValueError(
                    f"refusing to publish {part!r}: table and schema names must be plain "
                    "identifiers (letters, digits, underscore)"
                )


@dataclass
class PublishResult:
    """What a publication wrote."""

    database_path: Path
    parquet_dir: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    # Why the previous publication could not be reused (it was damaged), if it could not.
    rebuilt: str | None = None


class StorageVersionError(ValueError):
    """The storage version asked for is not one DuckDB knows."""


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
    _remove_leftovers(publish_dir)
    versions.mkdir(exist_ok=True)

    previous_parquet = _previous_parquet_dir(parquet_root)
    metadata = {**(metadata or {}), STORAGE_VERSION_KEY: storage_version}
    rebuilt = None
    con = None
    try:
        con, from_previous, rebuilt = _open_staging(final_db, staging_db, storage_version)
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
            rebuilt = _damaged(final_db, exc)
            con.close()
            _remove(staging_db)
            _remove(version_dir)
            con = _new_database(staging_db, storage_version)
            version_dir.mkdir(parents=True)
            counts = _fill(con, warehouse_path, tables, version_dir, None, metadata, keep_previous)
        con.execute("checkpoint")
        con.close()
    except BaseException:
        if con is not None:
            con.close()
        _remove(staging_db)
        _remove(version_dir)
        raise
    (version_dir / "_SUCCESS").touch()

    crash_point("publishing")
    version_db = versions / f"{publication_id}.duckdb"
    previous_db = final_db.resolve() if final_db.is_symlink() else None
    os.replace(staging_db, version_db)
    _swap_symlink(final_db, f"{DATABASE_VERSIONS}/{version_db.name}", directory=False)
    _swap_symlink(parquet_root / "current", version_dir.name)
    _prune_databases(versions, keep={version_db, previous_db})
    _prune_versions(parquet_root, keep=KEEP_PARQUET_VERSIONS)
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
    con.execute(f"attach '{_sql_path(warehouse_path)}' as warehouse (read_only)")
    previous = _previous_publication(con)
    if previous_parquet is not None and previous.get(PARQUET_VERSION_KEY) != previous_parquet.name:
        # The Parquet folder is not the one published with this database copy (a crash between
        # the two swaps): its per-date files cannot be reused unchecked.
        previous_parquet_by_date = None
    else:
        previous_parquet_by_date = previous_parquet
    writes_token = _write_log_token(con)
    written_since = _written_since(con, writes_token, previous.get(WRITES_SEEN_KEY))
    _drop_unpublished(con, {t.published_name for t in tables})
    for table in tables:
        name = table.published_name
        source = _source_query(table)
        if table.by_date:
            dates = written_since(f"{table.source_schema}.{table.source_table}")
            changed = _sync_table(con, name, source, written=dates)
            _write_parquet_by_date(con, name, previous_parquet_by_date, version_dir / name, changed)
        else:
            kept = name in keep_previous and _has_table(con, name)
            changed = set() if kept else _sync_table(con, name, source)
            parquet = version_dir / f"{name}.parquet"
            if not (changed == set() and _link_parquet(con, name, previous_parquet, parquet)):
                con.execute(
                    f"copy main.{name} to '{_sql_path(parquet)}' (format parquet, compression zstd)"
                )
        _comment(con, name, table.comment, dict(table.column_comments))
        counts[name] = con.execute(f"select count(*) from main.{name}").fetchall()[0][0]
    bookkeeping = {PARQUET_VERSION_KEY: version_dir.name}
    if writes_token is not None:
        bookkeeping[WRITES_SEEN_KEY] = writes_token
    _write_publication_table(con, {**metadata, **bookkeeping}, counts)
    con.execute("detach warehouse")
    return counts


def _comment(
    con: duckdb.DuckDBPyConnection, name: str, table: str | None, columns: dict[str, str]
) -> None:
    """Give ``main.<name>`` and its columns these descriptions (none for a column not named);
    only what differs from the copy is written, so an unchanged night changes nothing."""
    current = con.execute(
        "select comment from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main' and table_name = ?",
        [name],
    ).fetchall()[0][0]
    if current != table:
        con.execute(f"comment on table main.{name} is {_literal(table)}")
    patterns = [(p, text) for p, text in columns.items() if "*" in p]
    for column, old in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = "
        "current_database() and schema_name = 'main' and table_name = ? order by column_index",
        [name],
    ).fetchall():
        new = columns.get(column)
        if new is None:
            new = next((t for p, t in patterns if fnmatch.fnmatchcase(column, p)), None)
        if new != old:
            con.execute(f"comment on column main.{name}.{_identifier(column)} is {_literal(new)}")


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _source_query(table: PublishedTable) -> str:
    replace = ", ".join(f"{expr} as {column}" for column, expr in table.replace)
    columns = f"* replace ({replace})" if replace else "*"
    return f"select {columns} from warehouse.{table.source_schema}.{table.source_table}"


def _open_staging(
    final_db: Path, staging_db: Path, storage_version: str
) -> tuple[duckdb.DuckDBPyConnection, bool, str | None]:
    """The staging file; whether it started as a copy of the previous publication (it does when
    that copy opens and was written in ``storage_version``: DuckDB keeps a file's format); and
    why the previous copy could not be read, if it could not."""
    damaged = None
    if final_db.is_file():
        clone_or_copy(final_db, staging_db)
        try:
            con = duckdb.connect(str(staging_db))
        except duckdb.Error as exc:
            damaged = _damaged(final_db, exc)
        else:
            if _previous_publication(con).get(STORAGE_VERSION_KEY) == storage_version:
                return con, True, None
            con.close()
        _remove(staging_db)
    return _new_database(staging_db, storage_version), False, damaged


def _damaged(final_db: Path, exc: duckdb.Error) -> str:
    return (
        f"the previous publication {final_db} could not be read ({_first_line(exc)}); "
        "this one was built in full from the warehouse"
    )


def _new_database(path: Path, storage_version: str) -> duckdb.DuckDBPyConnection:
    """A new DuckDB file written in the format of DuckDB ``storage_version``."""
    try:
        return duckdb.connect(str(path), config={"storage_compatibility_version": storage_version})
    except duckdb.InvalidInputException as exc:
        _remove(path)
        raise StorageVersionError(
            f"storage version {storage_version!r} is not a DuckDB release this DuckDB can write "
            f"for: name one such as 'v1.0.0' (read by DuckDB 1.0 and later), 'v1.4.0' or "
            f"'latest'. DuckDB says: {_first_line(exc)}"
        ) from None


def clone_or_copy(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` as a copy-on-write clone if the file system can, else byte by
    byte; True if cloned.

    A clone (Linux FICLONE: XFS, Btrfs, and other file systems with reflinks) shares the source's
    blocks until either file writes them, so it takes no time and no space whatever the size.
    Any refusal (ext4, tmpfs, another system, different file systems) falls back to a copy, which
    reports its own errors.
    """
    if fcntl is not None:
        try:
            with open(source, "rb") as src, open(target, "wb") as dst:
                fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
            return True
        except OSError:
            pass
    shutil.copyfile(source, target)
    return False


def _drop_unpublished(con: duckdb.DuckDBPyConnection, names: set[str]) -> None:
    """Tables of the previous publication that this one does not publish (and ``publication``)."""
    for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database()"
    ).fetchall():
        if name not in names:
            con.execute(f"drop table main.{name}")
    for (name,) in con.execute(
        "select view_name from duckdb_views() where database_name = current_database() "
        "and not internal"
    ).fetchall():
        con.execute(f"drop view main.{name}")


def _sync_table(
    con: duckdb.DuckDBPyConnection, name: str, source: str, written: set | None = None
) -> set | None:
    """Make ``main.<name>`` hold exactly the rows of ``source``.

    Returns the ``as_of_date`` values whose rows were replaced (empty: the table already held
    them all), or None when the table was copied in full. ``written`` (a by-date table's dates
    written since the previous publication, from the log) replaces hashing every date.
    """
    columns = _columns(con, source)
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and table_name = ?",
        [name],
    ).fetchall()[0][0]
    if not exists or _columns(con, f"main.{name}") != columns:
        con.execute(f"create or replace table main.{name} as {source}")
        return None
    key = PARTITION_COLUMN if any(c[0] == PARTITION_COLUMN for c in columns) else None
    if key is not None and written is not None:
        found = _find_written_changes(con, f"main.{name}", source, key, written)
    else:
        found = _find_changes(con, f"main.{name}", source, key)
    if not found:
        return set()
    if key is None:
        con.execute(f"create or replace table main.{name} as {source}")
        return None
    changed = {row[0] for row in con.execute("select k from _changes").fetchall()}
    # The dates as constants: the filter then reaches the scans, which read only those dates'
    # row groups (a filter on a subquery would read every column of all history).
    values = sorted(v for v in changed if v is not None)
    where = " or ".join(
        ([f"{key} in ({', '.join('?' for _ in values)})"] if values else [])
        + ([f"{key} is null"] if None in changed else [])
    )
    con.execute(f"delete from main.{name} where {where}", values)
    con.execute(f"insert into main.{name} select * from ({source}) where {where}", values)
    return changed


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """Names and types of a table or query, in order (constraints are not copied, so ignored)."""
    return [(row[0], row[1]) for row in con.execute(f"describe {relation}").fetchall()]


def _find_changes(con: duckdb.DuckDBPyConnection, table: str, source: str, key: str | None) -> int:
    """Fill temp table ``_changes`` with the ``key`` values (null for a whole table without one)
    whose rows differ between ``table`` and ``source`` (row count or sum of row hashes)."""
    group = key or "null"
    fingerprint = "select {g} as k, count(*) as n, sum(hash(t)::hugeint) as h from ({q}) as t"
    new = fingerprint.format(g=group, q=source) + " group by all"
    old = fingerprint.format(g=group, q=f"select * from {table}") + " group by all"
    con.execute(
        f"""
        create or replace temp table _changes as
        select coalesce(new.k, old.k) as k
        from ({new}) as new full join ({old}) as old on new.k is not distinct from old.k
        where new.n is distinct from old.n or new.h is distinct from old.h
        """
    )
    return con.execute("select count(*) from _changes").fetchall()[0][0]


def _find_written_changes(
    con: duckdb.DuckDBPyConnection, table: str, source: str, key: str, written: set
) -> int:
    """:func:`_find_changes` for a history table: the ``written`` dates, and every date whose
    row count differs (a date deleted or added outside the log). Reads only the key column."""
    count = "select {k} as k, count(*) as n from ({q}) group by all"
    new, old = count.format(k=key, q=source), count.format(k=key, q=f"select * from {table}")
    con.execute(
        f"""
        create or replace temp table _changes as
        select unnest(cast(? as date[])) as k
        union
        select coalesce(new.k, old.k)
        from ({new}) as new full join ({old}) as old on new.k is not distinct from old.k
        where new.n is distinct from old.n
        """,
        [sorted(written)],
    )
    return con.execute("select count(*) from _changes").fetchall()[0][0]


def _write_parquet_by_date(
    con: duckdb.DuckDBPyConnection,
    name: str,
    previous: Path | None,
    folder: Path,
    changed: set | None,
) -> None:
    """One Parquet file per date in ``folder``; a date not in ``changed`` (None: all changed)
    is hard-linked from the previous version's folder when it has the file."""
    folder.mkdir()
    dates = [
        row[0]
        for row in con.execute(f"select distinct {PARTITION_COLUMN} from main.{name}").fetchall()
    ]
    for value in dates:
        file_name = UNDATED_FILE if value is None else f"{value.isoformat()}.parquet"
        old = previous / name / file_name if previous is not None else None
        if changed is not None and value not in changed and old is not None and old.is_file():
            try:
                os.link(old, folder / file_name)
                continue
            except OSError:
                pass  # another file system or no hard links: write it again
        where = f"{PARTITION_COLUMN} is null" if value is None else f"{PARTITION_COLUMN} = ?"
        con.execute(
            f"copy (select * from main.{name} where {where}) to "
            f"'{_sql_path(folder / file_name)}' (format parquet, compression zstd)",
            [] if value is None else [value],
        )


def _previous_publication(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Key/value rows of the previous publication (the staging file's copy of it), if any."""
    try:
        return dict(con.execute("select key, value from main.publication").fetchall())
    except duckdb.Error:
        return {}


def _write_log_token(con: duckdb.DuckDBPyConnection) -> str | None:
    """The state of the warehouse's partition-write log: its highest write id and first write
    time (so the log of another, re-created warehouse is never taken for this one's); None
    without a log."""
    try:
        high, first = con.execute(
            f"select max(write_id), min(written_at) from warehouse.{PARTITION_WRITES}"
        ).fetchall()[0]
    except duckdb.CatalogException:
        return None
    return None if high is None else f"{high}@{first.isoformat()}"


def _written_since(
    con: duckdb.DuckDBPyConnection, token: str | None, seen: str | None
) -> Callable[[str], set | None]:
    """A function giving a warehouse table's dates written after ``seen`` (the previous
    publication's token), or None (compare every date) when the log cannot tell."""
    high, _, first = (token or "").partition("@")
    seen_id, _, seen_first = (seen or "").partition("@")
    if token is None or seen is None or seen_first != first or not seen_id.isdigit():
        return lambda _table: None
    if int(seen_id) > int(high):
        return lambda _table: None

    def dates(table: str) -> set | None:
        rows = con.execute(
            f"select distinct as_of_date from warehouse.{PARTITION_WRITES} "
            "where table_name = ? and write_id > ?",
            [table, int(seen_id)],
        ).fetchall()
        return {row[0] for row in rows}

    return dates


def _previous_parquet_dir(parquet_root: Path) -> Path | None:
    current = parquet_root / "current"
    return current.resolve() if current.is_symlink() and current.resolve().is_dir() else None


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'main' and table_name = ?",
            [name],
        ).fetchall()[0][0]
    )


def _link_parquet(
    con: duckdb.DuckDBPyConnection, name: str, previous: Path | None, target: Path
) -> bool:
    """Hard-link the previous version's file when it holds exactly the table's rows."""
    old = previous / f"{name}.parquet" if previous else None
    if old is None or not old.is_file():
        return False
    parquet = f"select * from read_parquet('{_sql_path(old)}')"
    try:
        same_columns = _columns(con, parquet) == _columns(con, f"main.{name}")
        if not same_columns or _find_changes(con, f"main.{name}", parquet, None):
            return False
        os.link(old, target)
    except (duckdb.Error, OSError):
        return False
    return True


def _write_publication_table(
    con: duckdb.DuckDBPyConnection, metadata: dict[str, str], counts: dict[str, int]
) -> None:
    # No primary key: DuckDB 2.0 writes index constraints in a form DuckDB 1.0 cannot read, even
    # in 1.0's storage format (the keys are unique by construction).
    con.execute("create table main.publication (key varchar not null, value varchar)")
    _comment(con, "publication", PUBLICATION_COMMENT, dict(PUBLICATION_COLUMN_COMMENTS))
    rows = [*sorted(metadata.items()), *((f"rows.{k}", str(v)) for k, v in sorted(counts.items()))]
    if rows:
        con.executemany("insert into main.publication values (?, ?)", rows)


def _remove_leftovers(publish_dir: Path) -> None:
    """Staging files (with their write-ahead logs and spill folders) and unfinished Parquet
    folders of publications that died half-way."""
    for stale in publish_dir.glob(f"{STAGING_PREFIX}*"):
        _remove(stale)
    parquet_root = publish_dir / "parquet"
    if parquet_root.is_dir():
        for version in parquet_root.iterdir():
            finished = (version / "_SUCCESS").exists()
            if version.is_dir() and not version.is_symlink() and not finished:
                _remove(version)


def _swap_symlink(link: Path, target_name: str, *, directory: bool = True) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    _remove(tmp)
    tmp.symlink_to(target_name, target_is_directory=directory)
    os.replace(tmp, link)


def _prune_databases(versions: Path, keep: set[Path | None]) -> None:
    """Database files of older publications: all but the current one and the one it replaced
    (a reader that resolved the link just before the swap opens that one)."""
    kept = {path.resolve() for path in keep if path is not None}
    for old in versions.glob("*.duckdb"):
        if old.resolve() not in kept:
            _remove(old)


def _prune_versions(parquet_root: Path, keep: int) -> None:
    current = (parquet_root / "current").resolve()
    versions = sorted(
        (p for p in parquet_root.iterdir() if p.is_dir() and not p.is_symlink()),
        key=lambda p: p.stat().st_mtime,
    )
    for old in versions[:-keep]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)


def _remove(path: Path) -> None:
    """Remove a file, link or folder; for a database file also its write-ahead log."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    wal = path.with_name(f"{path.name}.wal")
    if wal.is_file():
        wal.unlink()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
