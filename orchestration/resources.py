"""Dagster resources: where kam's files live, and the dbt CLI."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_project import dbt_project
from orchestration.settings import Settings, load_settings


class KamSettingsResource(dg.ConfigurableResource):
    """Locations of landing files, the writer warehouse, published copy and configuration.

    Unset fields fall back to the ``KAM_*`` environment variables (see ``orchestration.settings``).
    """

    home: str | None = None
    landing_dir: str | None = None
    warehouse_path: str | None = None
    publish_dir: str | None = None
    config_dir: str | None = None

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
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }


def dbt_executable() -> str:
    """The dbt next to this Python (a virtualenv need not be activated), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
