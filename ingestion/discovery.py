"""Which business dates a source has landed: its landing folder holds one folder per date,
named YYYY-MM-DD, and nothing else (a stray file or a misnamed folder stops the run)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ingestion.contracts import SOURCES
from ingestion.results import LandingError

FOLDER_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def folder_date(folder: Path) -> date:
    """The business date a landing folder is named after."""
    try:
        if FOLDER_DATE.fullmatch(folder.name):
            return date.fromisoformat(folder.name)
    except ValueError:
        pass
    raise LandingError(
        f"landing folder {folder} is not named after a business date; rename it to YYYY-MM-DD "
        "(e.g. 2024-03-31) or move it out of the landing area"
    )


def date_folders(root: Path) -> list[Path]:
    """The entries of a source's landing folder ``root``, sorted, hidden ones skipped (none if
    it does not exist); raise :class:`LandingError` if one is not a folder or ``root`` cannot be
    read."""
    if not root.is_dir():
        return []
    try:
        entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise LandingError(
            f"cannot list the landing folder {root} ({exc.strerror}); give the user running kam "
            "read and execute permission on it (e.g. chmod a+rx)"
        ) from exc
    stray = [p for p in entries if not p.is_dir()]
    if stray:
        what = "a symbolic link to nothing" if stray[0].is_symlink() else "a file"
        if stray[0].is_symlink() and stray[0].exists():
            what = "a link to a file"
        raise LandingError(
            f"{stray[0]} ({what}) lies directly in {root}; move it into a folder named after its "
            f"business date, e.g. {root / '2024-03-31'}/"
        )
    return entries


def check_landing(landing_dir: Path, sources: tuple[str, ...] | list[str] = SOURCES) -> None:
    """Raise :class:`LandingError` if any source's landing folder is laid out so that kam
    cannot read it (a folder not named after a date, a stray file), before anything loads."""
    for source in sources:
        for folder in date_folders(Path(landing_dir) / source):
            folder_date(folder)
