"""What a publication is asked to copy and what it reports back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
