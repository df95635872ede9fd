"""Dagster resources: where kam's files live, and the dbt CLI."""

from __future__ import annotations

import os
from collections.abc import Sequence

import dagster as dg

from orchestration.dagster_dbt_private import KamDbtCliResource
from orchestration.dbt_project import dbt_executable, dbt_project
from warehouse.settings import Settings, load_settings


class KamSettingsResource(dg.ConfigurableResource):
    """Locations of landing files, the writer warehouse, published copy and configuration.

    ``kam run`` gives every field as run config (:meth:`run_config`); unset fields (a run
    launched from the UI or the schedule) fall back to the ``KAM_*`` environment variables and
    their defaults (see ``warehouse.settings``).
    """

    home: str | None = None
    landing_dir: str | None = None
    warehouse_path: str | None = None
    publish_dir: str | None = None
    config_dir: str | None = None
    publish_storage_version: str | None = None
    #: The engine dbt builds on (duckdb, spark), the Spark engine's folder and its Spark
    #: Connect server (sc://host:port; unset: a local Spark session).
    engine: str | None = None
    spark_warehouse: str | None = None
    spark_remote: str | None = None
    #: How many changed landing folders of a source load at once, and how many dbt nodes run at
    #: once on DuckDB.
    ingest_threads: int | None = None
    dbt_threads: int | None = None
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
            "KAM_PUBLISH_STORAGE_VERSION": self.publish_storage_version,
            "KAM_ENGINE": self.engine,
            "KAM_SPARK_WAREHOUSE": self.spark_warehouse,
            "KAM_SPARK_REMOTE": self.spark_remote,
            "KAM_INGEST_THREADS": str(self.ingest_threads) if self.ingest_threads else None,
            "KAM_DBT_THREADS": str(self.dbt_threads) if self.dbt_threads else None,
        }
        environ = {**os.environ, **{k: v for k, v in overrides.items() if v}}
        return load_settings(environ)

    @staticmethod
    def run_config(settings: Settings, accept_gates: Sequence[str] = ()) -> dict[str, object]:
        """This resource's run config for a run on ``settings``: ``{"config": {...}}``."""
        return {
            "config": {
                "home": str(settings.home),
                "landing_dir": str(settings.landing_dir),
                "warehouse_path": str(settings.warehouse_path),
                "publish_dir": str(settings.publish_dir),
                "config_dir": str(settings.config_dir),
                "publish_storage_version": settings.publish_storage_version,
                "engine": settings.engine,
                "spark_warehouse": (
                    str(settings.spark_warehouse) if settings.spark_warehouse else None
                ),
                "spark_remote": settings.spark_remote,
                "ingest_threads": settings.ingest_threads,
                "dbt_threads": settings.dbt_threads,
                "accept_gates": list(accept_gates),
            }
        }


def build_resources() -> dict[str, object]:
    """The resources every kam job uses."""
    return {
        "kam": KamSettingsResource(),
        "dbt": KamDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }
