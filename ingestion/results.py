"""What ingestion reports, and the errors that stop it.

A partition's result and its files' results (one ledger row each), the error for a landing area
kam cannot read, and the error that rejects a whole file with a message naming the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


class LandingError(ValueError):
    """The landing area is laid out in a way kam cannot read."""


class FileRejected(Exception):
    """A whole file cannot be loaded; the message names the file, the problem and the fix."""


@dataclass
class FileResult:
    """What happened to one file of a partition."""

    source_file: str | None
    file_checksum: str | None
    file_bytes: int | None
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""


@dataclass
class PartitionResult:
    """What happened to one landing folder (one source, one business date)."""

    source: str
    business_date: date
    status: str  # loaded | replaced | unchanged | empty
    files: list[FileResult] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Messages of rejected files: orchestration fails the run on these after loading."""
        return [f.message for f in self.files if f.status == "rejected"]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name if it has none), for a rejection."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
