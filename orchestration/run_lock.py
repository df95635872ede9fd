"""The warehouse's run lock: one kam run writes a warehouse at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path


class RunLockedError(RuntimeError):
    """Another kam run holds the warehouse (DuckDB allows one writing process per file)."""


@contextlib.contextmanager
def warehouse_run_lock(warehouse_path: Path) -> Iterator[None]:
    """Hold the warehouse's run lock for a run, or raise :class:`RunLockedError` naming the run
    that holds it. An advisory lock on a file beside the warehouse: released when the run ends,
    also when its process dies."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse_path.with_name(f".{warehouse_path.name}.run-lock")
    with lock_path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLockedError(
                f"another kam run is using the warehouse {warehouse_path} ({holder}); DuckDB "
                "allows one writer per file — fix: wait for that run to finish (or stop it), "
                "then run this date again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
