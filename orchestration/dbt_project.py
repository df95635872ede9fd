"""The one handle on the dbt project, shared by the dbt assets, resources and the CLI."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.dbt_parse import parse_project
from warehouse.settings import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """The dbt next to this Python (a virtualenv need not be activated), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def prepare_if_dev(project: DbtProject) -> None:
    """Under ``dagster dev``, parse the project again so model edits show up without a step.

    dagster-dbt's ``DbtProject.prepare_if_dev`` runs the ``dbt`` found on PATH, which neither
    ``make ui`` nor ``.venv/bin/dagster dev`` puts there (the virtualenv need not be activated),
    and writes the manifest in place, where a run started meanwhile (each one under `dagster
    dev` parses too) or a `kam run` could read half of it. This parses with the dbt package of
    the code location's own Python, taking turns with the others (``orchestration/dbt_parse.py``).
    """
    if not project.preparer.using_dagster_dev():
        return
    # target_path is relative to the project ("target"); the manifest's path is not.
    parse_project(Path(project.manifest_path).parent)


# The manifest is prepared ahead of time (`kam prepare`, run by `make prepare`), never parsed at
# import outside `dagster dev`, which re-parses on start so model edits show up.
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
prepare_if_dev(dbt_project)


class ManifestMissingError(RuntimeError):
    """The dbt manifest has not been built yet, or was built from an older project."""


# What dbt parses into the manifest: the project file and these folders (vendored packages
# included). profiles.yml and dbt's own target and logs folders are not parsed into it.
PARSED_FOLDERS = ("models", "macros", "tests", "seeds", "snapshots", "analyses", "vendor")


def changed_since_parse(project_dir: Path, manifest: Path) -> list[Path]:
    """The project's files modified after ``manifest`` was written (a `git pull` or an edit since
    the last `kam prepare`), relative to ``project_dir``."""
    parsed_at = manifest.stat().st_mtime_ns
    candidates = [project_dir / "dbt_project.yml"]
    for folder in PARSED_FOLDERS:
        candidates += (path for path in (project_dir / folder).rglob("*") if path.is_file())
    return sorted(
        path.relative_to(project_dir)
        for path in candidates
        if path.exists() and path.stat().st_mtime_ns > parsed_at
    )


def manifest_path_or_raise() -> str:
    """Path of the prepared manifest, or a clear error telling the user how to build it.

    A manifest older than the project's files would name models and tests that dbt no longer
    builds, and the run would fail deep inside dagster-dbt; it is refused here instead."""
    path = dbt_project.manifest_path
    if not path.exists():
        raise ManifestMissingError(
            f"dbt manifest not found at {path}. Build it once with `kam prepare` "
            "(`make prepare` does this), then load the Dagster definitions again."
        )
    changed = changed_since_parse(Path(dbt_project.project_dir), path)
    if changed:
        shown = ", ".join(str(name) for name in changed[:3])
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        raise ManifestMissingError(
            f"the dbt project changed after its manifest {path} was built ({shown}{more}): "
            "parse it again with `kam prepare` (`make prepare` does this), then run again."
        )
    return str(path)
