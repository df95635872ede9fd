"""The customer facts as of the last full quarter's end, which credit grades are evaluated on."""

from datetime import date

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import dbt_target_path, manifest, quarter_end_sources
from orchestration.engine import graph_engine
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.quarter_end_facts import (
    FACTS_MODEL,
    QUARTER_END_FACTS,
    build_missing_quarter_end_facts,
)
from orchestration.resources import KamSettingsResource
from orchestration.spark_steps import copy_marts
from scoring.credit import quarter_for


@dg.asset(
    key=QUARTER_END_FACTS,
    group_name="marts",
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    # The quarter-end run rebuilds the facts model and its ancestors from these tables.
    deps=quarter_end_sources(),
    kinds={"dbt", graph_engine()},
    pool="kam_warehouse",
)
def quarter_end_facts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, kam: KamSettingsResource
) -> dg.MaterializeResult:
    """Customer facts as of the last full quarter's end, built once if its own night never ran."""
    settings = kam.settings()
    business_date = date.fromisoformat(context.partition_key)
    quarter = quarter_for(business_date)
    built = build_missing_quarter_end_facts(
        dbt, settings, business_date, dbt_target_path(settings), context.log
    )
    if built is not None and settings.engine == "spark":
        # Built on Spark: scoring reads them in the DuckDB warehouse.
        copy_marts(settings, manifest, [built], FACTS_MODEL)
    return dg.MaterializeResult(
        metadata={
            "credit_quarter": quarter.label,
            "quarter_end_date": quarter.end.isoformat(),
            # Built by this run, else by the quarter's own night (or no customer had landed).
            "built_now": built is not None,
        }
    )
