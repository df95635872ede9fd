"""Dagster code location of kam (see workspace.yaml)."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.dbt import kam_dbt_models
from orchestration.assets.ingestion import ingestion_assets
from orchestration.assets.publishing import published_warehouse
from orchestration.assets.quarter_end_facts import quarter_end_facts
from orchestration.assets.report import kam_report
from orchestration.assets.scoring import customer_scores
from orchestration.checks import quality_checks
from orchestration.engine import on_spark
from orchestration.jobs import nightly_job
from orchestration.resources import build_resources
from orchestration.schedules import build_nightly_schedule


def _engine_assets() -> list[dg.AssetsDefinition]:
    """The Spark engine's own steps in a graph loaded for Spark (orchestration/engine.py); a
    DuckDB graph neither imports nor builds them."""
    if not on_spark():
        return []
    from orchestration.assets.spark import spark_assets

    return spark_assets


defs = dg.Definitions(
    assets=[
        *ingestion_assets,
        quarter_end_facts,
        kam_dbt_models,
        customer_scores,
        published_warehouse,
        kam_report,
        *_engine_assets(),
    ],
    asset_checks=quality_checks,
    jobs=[nightly_job],
    schedules=[build_nightly_schedule(nightly_job)],
    resources=build_resources(),
)
