"""The one handle on the dbt project, shared by the dbt assets, resources and the CLI."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from warehouse.settings import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """The dbt next to this Python (a virtualenv need not be activated), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def prepare_if_dev(project: DbtProject) -> None:
    """Under ``dagster dev``, parse the project again so model edits show up without a step.

    dagster-dbt's ``DbtProject.prepare_if_dev`` runs the ``dbt`` found on PATH, which neither
    ``make ui`` nor ``.venv/bin/dagster dev`` puts there (the virtualenv need not be activated):
    this runs the dbt installed next to the code location's own Python.
    """
    if not project.preparer.using_dagster_dev():
        return
    dbt = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
    dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()


# The manifest is prepared ahead of time (`kam prepare`, run by `make prepare`), never parsed at
# import outside `dagster dev`, which re-parses on start so model edits show up.
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
prepare_if_dev(dbt_project)


class ManifestMissingError(RuntimeError):
    """The dbt manifest has not been built yet."""


def manifest_path_or_raise() -> str:
    """Path of the prepared manifest, or a clear error telling the user how to build it."""
    path = dbt_project.manifest_path
    if not path.exists():
        raise ManifestMissingError(
            f"dbt manifest not found at {path}. Build it once with `kam prepare` "
            "(`make prepare` does this), then load the Dagster definitions again."
        )
    return str(path)
