"""Writes generated rows into the landing layout ``landing/<source>/<YYYY-MM-DD>/part-NNNN.csv``.

Rows carry a helper column ``_day`` (days since 1970-01-01): rows dated on or before go-live go to
the single initial-extract folder dated go-live, split into parts of bounded size as they
arrive; later rows are kept (they are few) and written per day at the end.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from demo.calendar import to_date

DAY = "_day"
MAX_ROWS_PER_PART = 1_000_000


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write one CSV in the demo's format: UTF-8, comma, header, ISO dates, empty nulls."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(
        path,
        float_precision=2,
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%d %H:%M:%S",
        null_value="",
    )


class LandingWriter:
    """Collects rows per source and writes them to the go-live folder and the daily folders."""

    def __init__(
        self, landing_dir: Path, go_live: int, max_rows_per_part: int = MAX_ROWS_PER_PART
    ) -> None:
        self.landing_dir = landing_dir
        self.go_live = go_live
        self.max_rows_per_part = max_rows_per_part
        self.counts: dict[str, int] = {}
        self._pending: dict[str, list[pl.DataFrame]] = {}
        self._pending_rows: dict[str, int] = {}
        self._parts: dict[str, int] = {}
        self._daily: dict[str, list[pl.DataFrame]] = {}
        self._schema: dict[str, pl.Schema] = {}

    def add(self, source: str, frame: pl.DataFrame) -> None:
        """Queue rows of ``source``; history is flushed to part files once enough has piled up."""
        history = frame.filter(pl.col(DAY) <= self.go_live).drop(DAY)
        self._schema.setdefault(source, history.schema)
        self.counts[source] = self.counts.get(source, 0) + frame.height
        self._daily.setdefault(source, []).append(frame.filter(pl.col(DAY) > self.go_live))
        self._pending.setdefault(source, []).append(history)
        self._pending_rows[source] = self._pending_rows.get(source, 0) + history.height
        if self._pending_rows[source] >= self.max_rows_per_part:
            self._flush(source)

    def _flush(self, source: str) -> None:
        rows = pl.concat(self._pending[source])
        self._pending[source], self._pending_rows[source] = [], 0
        folder = self.landing_dir / source / to_date(self.go_live).isoformat()
        for start in range(0, rows.height, self.max_rows_per_part):
            self._parts[source] = self._parts.get(source, 0) + 1
            part = rows.slice(start, self.max_rows_per_part)
            write_csv(part, folder / f"part-{self._parts[source]:04d}.csv")

    def finish(self, every_day: dict[str, list[int]]) -> None:
        """Write what is left; sources in ``every_day`` get a file (maybe header-only) each day."""
        for source in self._pending:
            if self._pending_rows[source]:
                self._flush(source)
            elif source not in self._parts:  # no history at all: a header-only initial extract
                folder = self.landing_dir / source / to_date(self.go_live).isoformat()
                write_csv(pl.DataFrame(schema=self._schema[source]), folder / "part-0001.csv")
        for source, frames in self._daily.items():
            daily = pl.concat(frames)
            days = set(daily.get_column(DAY).unique().to_list()) | set(every_day.get(source, []))
            for day in sorted(days):
                rows = daily.filter(pl.col(DAY) == day).drop(DAY)
                folder = self.landing_dir / source / to_date(day).isoformat()
                write_csv(rows, folder / "part-0001.csv")
