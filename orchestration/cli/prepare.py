"""``kam prepare``: parse the dbt project and give the Dagster home its dagster.yaml."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from orchestration.cli.common import UserError, settings_of
from orchestration.dbt_parse import DbtParseError, parse_lock, parse_project
from warehouse.settings import DBT_PROJECT_DIR, Settings, dbt_environment


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


def prepare_dbt(settings: Settings, target_path: Path | None = None) -> None:
    """Parse the dbt project once so the Dagster definitions can load its manifest.

    dbt keeps its partial-parse state keyed on the profile, which holds the warehouse path: the
    parse uses the path the runs of ``settings`` will use, so their first night partial-parses
    too. ``target_path`` (default: the project's ``target``) is where the state is written; the
    first run in a home copies the project's state into its own ``dbt_target`` if it has none.
    Processes parsing at once take turns, and the files are replaced whole
    (``orchestration/dbt_parse.py``).
    """
    target = Path(target_path) if target_path is not None else DBT_PROJECT_DIR / "target"
    with _as_user_error():
        parse_project(target, dbt_environment(settings.warehouse_path))


@contextlib.contextmanager
def _as_user_error() -> Iterator[None]:
    try:
        yield
    except DbtParseError as exc:
        raise UserError(str(exc)) from None


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
    with _as_user_error(), parse_lock(manifest.parent):
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
