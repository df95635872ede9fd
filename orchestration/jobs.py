"""The nightly job: ingest → dbt → score → publish, in one in-process run."""

from __future__ import annotations

import dagster as dg

# In-process: DuckDB allows one writing process per file, and one run avoids per-step launch cost.
nightly_job = dg.define_asset_job(
    name="nightly_job",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest, build facts, score customers and publish for one business date.",
)
