"""``kam prepare``: parse the dbt project and give the Dagster home its dagster.yaml."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from orchestration.cli.common import UserError, settings_of
from warehouse.settings import DBT_PROJECT_DIR, Settings, dbt_environment, environment


def cmd_prepare(args: argparse.Namespace) -> int:
    from orchestration.instance import DagsterHomeError, dagster_home_of, ensure_instance_config

    settings = settings_of(args)
    prepare_dbt(settings)
    print(f"dbt manifest ready in {DBT_PROJECT_DIR / 'target'}")
    # Before any run, so that `make ui` (dagster dev) and the runs it launches use it too.
    dagster_home = dagster_home_of(settings.home)
    try:
        written = ensure_instance_config(dagster_home)
    except DagsterHomeError as exc:
        raise UserError(str(exc)) from None
    print(f"Dagster home {dagster_home}: dagster.yaml {'written' if written else 'kept as it is'}")
    return 0


#: How long a kam process waits for another one's parse of the same target folder.
PARSE_LOCK_TIMEOUT_S = 600


def prepare_dbt(settings: Settings, target_path: Path | None = None) -> None:
    """Parse the dbt project once so the Dagster definitions can load its manifest.

    dbt keeps its partial-parse state keyed on the profile, which holds the warehouse path: the
    parse uses the path the runs of ``settings`` will use, so their first night partial-parses
    too. ``target_path`` (default: the project's ``target``) is where the state is written; the
    first run in a home copies the project's state into its own ``dbt_target`` if it has none.

    Two kam processes can parse at once (two homes' runs after a `git pull`): one waits for the
    other, and the manifest and the parse state are replaced whole, never written in place, so
    a process loading them meanwhile reads the old files or the new ones, not half of one.
    """
    target = Path(target_path) if target_path is not None else DBT_PROJECT_DIR / "target"
    with parse_lock(target):
        _parse_into(settings, target)


@contextlib.contextmanager
def parse_lock(target: Path) -> Iterator[None]:
    """Hold ``target``'s parse lock: one kam process parses into a target folder at a time.

    The operating system releases it when its process ends, however it ends. Re-entrant in a
    process (``prepare_if_changed`` holds it around ``prepare_dbt``)."""
    target.mkdir(parents=True, exist_ok=True)
    path = (target / ".kam-parse.lock").resolve()  # one lock object per file in a process
    lock = FileLock(path, timeout=PARSE_LOCK_TIMEOUT_S, is_singleton=True)
    try:
        lock.acquire()
    except Timeout:
        raise UserError(
            f"another kam process has been parsing the dbt project into {target} for "
            f"{PARSE_LOCK_TIMEOUT_S // 60} minutes (it holds {lock.lock_file}): wait for it to "
            "finish, or stop it, then run again"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _parse_into(settings: Settings, target: Path) -> None:
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory(prefix=".parse-", dir=target) as scratch_dir:
        scratch = Path(scratch_dir)
        state = target / "partial_parse.msgpack"
        if state.exists():  # dbt then parses only what changed since
            shutil.copy2(state, scratch / state.name)
        with environment(dbt_environment(settings.warehouse_path)):
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
            raise UserError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")
        # The manifest last: a process that sees the new manifest finds the parse state that
        # goes with it (the first run in a home copies that state).
        written = sorted(
            (path for path in scratch.iterdir() if path.is_file()),
            key=lambda path: path.name == "manifest.json",
        )
        for path in written:
            os.replace(path, target / path.name)


def prepare_if_changed(settings: Settings) -> bool:
    """Parse the dbt project again when a file dbt parses changed after the manifest was written
    (a pull or an edit since the last ``kam prepare``), saying so; returns whether it did.

    The Dagster definitions refuse an outdated manifest; ``kam run`` and ``kam backfill`` parse
    before they load them. A missing manifest is left to the definitions' own message."""
    from orchestration.dbt_project import changed_since_parse, dbt_project

    manifest = Path(dbt_project.manifest_path)
    if not manifest.exists():
        return False
    if not changed_since_parse(Path(dbt_project.project_dir), manifest):
        return False
    with parse_lock(manifest.parent):
        # Another kam process may have parsed it while this one waited for the lock.
        changed = changed_since_parse(Path(dbt_project.project_dir), manifest)
        if not changed:
            return False
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        print(
            f"the dbt project changed since it was parsed ({changed[0]}{more}): parsing it again",
            flush=True,
        )
        prepare_dbt(settings)
    return True
