"""What a landing date folder holds: the files to load, and every other entry with the reason it
is not loaded, so that each entry of the folder gets a row in the ingestion ledger.

A file is loaded when its name matches the mapping's ``file_pattern`` ignoring case (``P.CSV``
matches ``*.csv``), also gzip-compressed (``p.csv.gz``, CSV only). Everything else is accounted
for: an entry that was meant to be loaded but cannot be (unreadable, a dangling link, another
compression) is *rejected*, so the run fails naming it; an entry that was not meant to be loaded
(another file name, a sub-folder, a hidden file) is *ignored*, with the reason. An empty file
named ``<file>.retracted`` retracts ``<file>``: its rows leave the warehouse (docs/bad-inputs.md).
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.mapping import Mapping

GZIP_SUFFIX = ".gz"
RETRACTION_SUFFIX = ".retracted"
# Compressions kam does not read: the file is rejected if its inner name matches the pattern.
OTHER_COMPRESSIONS = (".zip", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tgz", ".tar", ".z")


@dataclass(frozen=True)
class Entry:
    """A folder entry that is not loaded: ``status`` is ``ignored`` or ``rejected``."""

    name: str  # relative to the landing folder, e.g. payments/2024-03-31/sub/
    status: str
    message: str


@dataclass
class FolderListing:
    """A date folder sorted out: files to load (name → path), retractions and other entries."""

    files: dict[str, Path] = field(default_factory=dict)
    retracted: dict[str, str] = field(default_factory=dict)  # retracted file → its marker
    entries: list[Entry] = field(default_factory=list)


def is_gzip(path: Path) -> bool:
    """True if ``path`` is loaded through gzip decompression."""
    return path.name.lower().endswith(GZIP_SUFFIX)


def list_folder(landing_dir: Path, folder: Path, mapping: Mapping) -> FolderListing:
    """Every entry of ``folder`` (one source's date folder), sorted out for loading."""
    listing = FolderListing()
    prefix = folder.relative_to(landing_dir).as_posix() + "/"
    if not os.path.lexists(folder):
        return listing
    try:
        with os.scandir(folder) as scan:
            names = sorted(entry.name for entry in scan)
    except OSError as exc:
        listing.entries.append(
            Entry(
                prefix,
                "rejected",
                f"{prefix}: cannot list the folder ({exc.strerror}); give the user running kam "
                "read and execute permission on it (e.g. chmod a+rx), or move it out of the "
                "landing area",
            )
        )
        return listing
    pattern = mapping.pattern.lower()
    for entry_name in names:
        name, path = prefix + entry_name, folder / entry_name
        lower = entry_name.lower()
        wanted = _wanted(lower, pattern, mapping)
        if lower.endswith(RETRACTION_SUFFIX) and not pattern.endswith(RETRACTION_SUFFIX):
            listing.retracted[prefix + entry_name[: -len(RETRACTION_SUFFIX)]] = name
            continue
        problem = _unreadable(path, entry_name)
        if problem is None and wanted:
            listing.files[name] = path
            continue
        if problem is None:
            problem = _not_loaded_reason(path, entry_name, lower, mapping)
        status = "rejected" if wanted or _compressed_data(lower, pattern) else "ignored"
        if status == "rejected" and problem.startswith("is compressed"):
            problem += "; extract it into the date folder (kam reads gzip-compressed CSV)"
        shown = name + "/" if path.is_dir() and not path.is_symlink() else name
        listing.entries.append(Entry(shown, status, f"{shown}: {problem}"))
    return listing


def _wanted(lower: str, pattern: str, mapping: Mapping) -> bool:
    """True if a file so named is data to load: it matches the pattern (ignoring case), or is
    a gzip-compressed CSV whose inner name does."""
    if fnmatch.fnmatchcase(lower, pattern) and not lower.startswith("."):
        return True
    inner = lower[: -len(GZIP_SUFFIX)] if lower.endswith(GZIP_SUFFIX) else None
    return (
        mapping.format == "csv"
        and inner is not None
        and fnmatch.fnmatchcase(inner, pattern)
        and not lower.startswith(".")
    )


def _compressed_data(lower: str, pattern: str) -> bool:
    """True if the name is a file matching the pattern compressed in a way kam does not read."""
    for suffix in (*OTHER_COMPRESSIONS, GZIP_SUFFIX):
        if lower.endswith(suffix) and fnmatch.fnmatchcase(lower[: -len(suffix)], pattern):
            return True
    return False


def _unreadable(path: Path, entry_name: str) -> str | None:
    """Why ``path`` cannot be read as a file (None if it can, or if it is a folder)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        target = os.readlink(path) if path.is_symlink() else "?"
        return (
            f"is a symbolic link to {target}, which does not exist; land the file itself, "
            "or correct the link"
        )
    except OSError as exc:
        return f"cannot be read ({exc.strerror}); give the user running kam read permission on it"
    if stat.S_ISDIR(st.st_mode):
        return None
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a named pipe, socket or device); land a plain file"
    if entry_name.startswith("."):
        return None
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        return f"cannot be read ({exc.strerror}); give the user running kam read permission on it"
    return None


def _not_loaded_reason(path: Path, entry_name: str, lower: str, mapping: Mapping) -> str:
    if path.is_dir():
        return (
            "is a sub-folder, not read (kam reads only the files directly in the date folder); "
            "move its files up into the date folder to load them"
        )
    if entry_name.startswith("."):
        return "is a hidden file (its name starts with '.'), e.g. a copy in progress; not read"
    for suffix in OTHER_COMPRESSIONS + ((GZIP_SUFFIX,) if mapping.format != "csv" else ()):
        if lower.endswith(suffix):
            return f"is compressed ({suffix}), which kam does not read"
    return (
        f"does not match file_pattern '{mapping.pattern}' of {mapping.describe()}; not read "
        "(set file_pattern if it holds data)"
    )
