"""The dbt project as Dagster assets; dbt tests become asset checks."""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.dbt_project import dbt_project, manifest_path_or_raise
from orchestration.partitions import daily_partitions
from orchestration.resources import KamSettingsResource


class KamDbtTranslator(DagsterDbtTranslator):
    """Groups dbt models by their layer folder (staging / intermediate / marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


translator = KamDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_build_args(business_date: str) -> list[str]:
    """The `dbt build` invocation for one business date."""
    return ["build", "--vars", json.dumps({"as_of_date": business_date})]


@dbt_assets(
    manifest=manifest_path_or_raise(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    partitions_def=daily_partitions,
    pool="kam_warehouse",
)
def kam_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, kam: KamSettingsResource
) -> Iterator[Any]:
    """Build and test the dbt models as of the partition's business date."""
    settings = kam.settings()
    # dbt reads the warehouse location from the environment (profiles.yml); runs are in-process and
    # sequential, so pointing it at this run's warehouse here is safe.
    os.environ["KAM_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    target = settings.home / "dbt_target"
    yield from dbt.cli(
        dbt_build_args(context.partition_key), context=context, target_path=target
    ).stream()
