"""Parsing the dbt project into a target folder: one process at a time, its files replaced whole.

`kam prepare`, `kam run` / `kam backfill` after a pull, and every process under `dagster dev`
parse the project into the same target folder. Two of them at once, or one loading the manifest
while another writes it, read half a file. Here a parse holds the folder's lock file, runs dbt
into a scratch folder beside the target, and moves the files into place with ``os.replace``, the
manifest last: a process loading them reads the old files or the new ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from filelock import FileLock, Timeout

from warehouse.settings import DBT_PROJECT_DIR, environment

#: How long a process waits for another one's parse of the same target folder.
PARSE_LOCK_TIMEOUT_S = 600
#: A parse's scratch folder in the target folder: this prefix and a random name.
SCRATCH_PREFIX = ".parse-"


class DbtParseError(RuntimeError):
    """dbt could not parse the project, or another process held the parse lock too long."""


def parse_project(target: Path, environ: Mapping[str, str] | None = None) -> None:
    """Parse the project into ``target`` under its lock, with ``environ`` set for dbt (the
    profile reads the warehouse path and the target from it; none: the process's own)."""
    with parse_lock(target):
        _parse_into(target, environ or {})


@contextlib.contextmanager
def parse_lock(target: Path) -> Iterator[None]:
    """Hold ``target``'s parse lock: one process parses into a target folder at a time.

    The operating system releases it when its process ends, however it ends. Re-entrant in a
    process (``kam run`` holds it while it checks whether to parse, then parses)."""
    target.mkdir(parents=True, exist_ok=True)
    path = (target / ".kam-parse.lock").resolve()  # one lock object per file in a process
    lock = FileLock(path, timeout=PARSE_LOCK_TIMEOUT_S, is_singleton=True)
    try:
        lock.acquire()
    except Timeout:
        raise DbtParseError(
            f"another process has been parsing the dbt project into {target} for "
            f"{PARSE_LOCK_TIMEOUT_S // 60} minutes (it holds {lock.lock_file}): wait for it to "
            "finish, or stop it, then run again"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _parse_into(target: Path, environ: Mapping[str, str]) -> None:
    from dbt.cli.main import dbtRunner

    # Scratch folders of parses whose process was killed (only the lock's holder has a live one).
    for stale in target.glob(f"{SCRATCH_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=target) as scratch_dir:
        scratch = Path(scratch_dir)
        state = target / "partial_parse.msgpack"
        if state.exists():  # dbt then parses only what changed since
            shutil.copy2(state, scratch / state.name)
        with environment(environ):
            result = dbtRunner().invoke(
                [
                    "parse",
                    "--quiet",
                    "--project-dir",
                    str(DBT_PROJECT_DIR),
                    "--profiles-dir",
                    str(DBT_PROJECT_DIR),
                    "--target-path",
                    str(scratch),
                ]
            )
        if not result.success:
            raise DbtParseError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")
        # The manifest last: a process that sees the new manifest finds the parse state that
        # goes with it (the first run in a home copies that state).
        written = sorted(
            (path for path in scratch.iterdir() if path.is_file()),
            key=lambda path: path.name == "manifest.json",
        )
        for path in written:
            os.replace(path, target / path.name)
