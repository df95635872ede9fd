"""The staging file a publication is written into: a copy (a clone where the file system can)
of the previous publication when that one opens and has the storage version asked for, else a
new file written in that DuckDB storage format.

A previous publication that cannot be read (a damaged file) is not reused: the publication is
built again from nothing and says why (:attr:`PublishResult.rebuilt`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.publish.files import remove
from warehouse.publish.reflink import clone_or_copy
from warehouse.publish.types import StorageVersionError

# Publication key naming the storage version the file was written in.
STORAGE_VERSION_KEY = "storage_version"


def open_staging(
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
            damaged = damage_notice(final_db, exc)
        else:
            if previous_publication(con).get(STORAGE_VERSION_KEY) == storage_version:
                return con, True, None
            con.close()
        remove(staging_db)
    return new_database(staging_db, storage_version), False, damaged


def damage_notice(final_db: Path, exc: duckdb.Error) -> str:
    return (
        f"the previous publication {final_db} could not be read ({_first_line(exc)}); "
        "this one was built in full from the warehouse"
    )


def new_database(path: Path, storage_version: str) -> duckdb.DuckDBPyConnection:
    """A new DuckDB file written in the format of DuckDB ``storage_version``."""
    try:
        return duckdb.connect(str(path), config={"storage_compatibility_version": storage_version})
    except duckdb.InvalidInputException as exc:
        remove(path)
        raise StorageVersionError(
            f"storage version {storage_version!r} is not a DuckDB release this DuckDB can write "
            f"for: name one such as 'v1.0.0' (read by DuckDB 1.0 and later), 'v1.4.0' or "
            f"'latest'. DuckDB says: {_first_line(exc)}"
        ) from None


def previous_publication(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Key/value rows of the previous publication (the staging file's copy of it), if any."""
    try:
        return dict(con.execute("select key, value from main.publication").fetchall())
    except duckdb.Error:
        return {}


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
