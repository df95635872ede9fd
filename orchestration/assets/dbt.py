"""The dbt project as Dagster assets; dbt tests become asset checks."""

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.dbt_project import dbt_project, manifest_path_or_raise
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.quarter_end_facts import build_missing_quarter_end_facts
from orchestration.resources import KamSettingsResource
from warehouse.faults import crash_point
from warehouse.settings import dbt_environment, environment


class KamDbtTranslator(DagsterDbtTranslator):
    """Groups dbt models by their layer folder (staging / intermediate / marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


translator = KamDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtRunConfig(dg.Config):
    """Run configuration of the dbt step."""

    # Rebuild every incremental model from all landed history (`kam run --full-refresh`).
    full_refresh: bool = False


def dbt_build_args(full_refresh: bool = False) -> list[str]:
    """The nightly `dbt build` invocation (the business date is in KAM_AS_OF_DATE: see
    ``warehouse.settings.dbt_environment``).

    dbt unit tests check the SQL logic, not the night's data, so they run in the test suite
    (tests/dbt_project/), not every night.
    """
    return [
        "build",
        "--exclude-resource-type",
        "unit_test",
        *(["--full-refresh"] if full_refresh else []),
    ]


@dbt_assets(
    manifest=manifest_path_or_raise(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    pool="kam_warehouse",
)
def kam_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    kam: KamSettingsResource,
    config: DbtRunConfig,
) -> Iterator[Any]:
    """Build and test the dbt models as of the partition's business date."""
    settings = kam.settings()
    target = settings.home / "dbt_target"
    business_date = date.fromisoformat(context.partition_key)
    build_missing_quarter_end_facts(dbt, settings, business_date, target, context.log)
    # dbt reads the warehouse and the business date from its environment (profiles.yml, macro
    # as_of_date); dagster-dbt hands the subprocess a copy of this process's environment.
    with environment(dbt_environment(settings.warehouse_path, business_date)):
        for event in dbt.cli(
            dbt_build_args(config.full_refresh), context=context, target_path=target
        ).stream():
            yield event
            crash_point("dbt")
