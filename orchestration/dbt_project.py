"""The one handle on the dbt project, shared by the dbt assets, resources and the CLI."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR

# The manifest is prepared ahead of time (`kam prepare`, run by `make setup`), never parsed at
# import; `dagster dev` re-parses on start so model edits show up without a manual step.
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class ManifestMissingError(RuntimeError):
    """The dbt manifest has not been built yet."""


def manifest_path_or_raise() -> str:
    """Path of the prepared manifest, or a clear error telling the user how to build it."""
    path = dbt_project.manifest_path
    if not path.exists():
        raise ManifestMissingError(
            f"dbt manifest not found at {path}. Build it once with `kam prepare` "
            "(`make setup` does this), then load the Dagster definitions again."
        )
    return str(path)
