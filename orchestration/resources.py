"""Dagster resources: where kam's files live, and the dbt CLI."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.dbt_project import dbt_executable, dbt_project
from warehouse.settings import Settings, load_settings


class KamSettingsResource(dg.ConfigurableResource):
    """Locations of landing files, the writer warehouse, published copy and configuration.

    Unset fields fall back to the ``KAM_*`` environment variables (see ``warehouse.settings``).
    """

    home: str | None = None
    landing_dir: str | None = None
    warehouse_path: str | None = None
    publish_dir: str | None = None
    config_dir: str | None = None
    #: Score gates an operator accepted for this run (``kam run --accept-gate NAME``): their
    #: errors become warnings, recorded as accepted.
    accept_gates: list[str] = []

    def settings(self) -> Settings:
        overrides = {
            "KAM_HOME": self.home,
            "KAM_LANDING_DIR": self.landing_dir,
            "KAM_WAREHOUSE_PATH": self.warehouse_path,
            "KAM_PUBLISH_DIR": self.publish_dir,
            "KAM_CONFIG_DIR": self.config_dir,
        }
        environ = {**os.environ, **{k: v for k, v in overrides.items() if v}}
        return load_settings(environ)


def build_resources() -> dict[str, object]:
    """The resources every kam job uses."""
    return {
        "kam": KamSettingsResource(),
        "dbt": KamDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }


class KamDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI without two start-up costs kam never benefits from.

    Before every invocation dagster-dbt 0.29 runs ``dbt --version`` in a subprocess (once per
    run) and builds an in-process dbt adapter (loading profile, project and macros) that it only
    uses to fetch column metadata and row counts, which kam does not ask for: together about
    3.5 s of every nightly run. kam runs the dbt installed next to its own Python
    (:func:`dbt_executable`), so that package's version is the CLI's.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent != Path(sys.executable).parent:
            return super()._cli_version
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None
