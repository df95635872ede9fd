"""The dbt project as Dagster assets; dbt tests become asset checks."""

import json
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.dbt_project import dbt_project, manifest_path_or_raise
from orchestration.engine import SPARK_KEY_PREFIX, on_spark
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.quarter_end_facts import QUARTER_END_FACTS, quarter_end_nodes
from orchestration.resources import KamSettingsResource
from orchestration.spark_steps import copy_marts
from warehouse.faults import crash_point
from warehouse.settings import Settings, environment, night_dbt_environment


class KamDbtTranslator(DagsterDbtTranslator):
    """Groups dbt models by their layer folder (staging / intermediate / marts); the models the
    quarter-end run also builds come after it (``orchestration.assets.quarter_end_facts``). In
    a graph loaded for Spark the sources are the raw tables exported to Spark."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """A dbt source is the table ingestion writes, keyed like its asset: schema and table
        (``raw/invoices``), as models are keyed by schema and name; not by the source's name."""
        if dbt_resource_props.get("resource_type") == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if unique_id.startswith("source.") and on_spark():
            return spec.replace_attributes(key=spec.key.with_prefix(SPARK_KEY_PREFIX))
        if unique_id.startswith("model.") and unique_id in self._quarter_end_nodes(manifest):
            # The quarter-end run leaves these models as of the quarter's end; the night's build
            # must follow it to make them as of the night's date again.
            return spec.merge_attributes(deps=[QUARTER_END_FACTS])
        return spec

    def _quarter_end_nodes(self, manifest: Mapping[str, Any]) -> frozenset[str]:
        cached = getattr(self, "_quarter_end_cache", None)
        if cached is None or cached[0] is not manifest:
            cached = (manifest, quarter_end_nodes(manifest))
            self._quarter_end_cache = cached
        return cached[1]


translator = KamDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
# Parsed once: the dbt assets and the quarter-end facts asset's inputs are read from it.
manifest: dict[str, Any] = json.loads(Path(manifest_path_or_raise()).read_text(encoding="utf-8"))


def quarter_end_sources() -> list[dg.AssetKey]:
    """The tables the quarter-end run reads: the dbt sources among the nodes it selects."""
    keys = {
        translator.get_asset_spec(manifest, unique_id, dbt_project).key
        for unique_id in quarter_end_nodes(manifest)
        if unique_id.startswith("source.")
    }
    return sorted(keys, key=lambda key: key.path)


def dbt_target_path(settings: Settings) -> Path:
    """dbt's target folder of kam's runs (artifacts, partial parse), one per kam home."""
    return settings.home / "dbt_target"


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
    manifest=manifest,
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
    """Build and test the dbt models as of the partition's business date; on Spark, then
    copy the marts into the DuckDB warehouse, where scoring, the checks and publishing read."""
    settings = kam.settings()
    business_date = date.fromisoformat(context.partition_key)
    # dbt reads the engine, the warehouse and the business date from its environment
    # (profiles.yml, macro as_of_date); dagster-dbt hands the subprocess a copy of this
    # process's environment.
    reported: set[str | dg.AssetCheckKey] = set()
    with environment(night_dbt_environment(settings, business_date)):
        for event in dbt.cli(
            dbt_build_args(config.full_refresh),
            context=context,
            target_path=dbt_target_path(settings),
        ).stream():
            reported.add(_reported(event))
            yield event
            crash_point("dbt")
    _require_every_result(context, reported)
    if settings.engine == "spark":
        copied = copy_marts(settings, manifest, [business_date])
        context.log.info(f"marts copied from Spark into the DuckDB warehouse: {copied}")


class DbtResultsLostError(dg.Failure):
    """dbt finished, but the results of some models or tests never reached Dagster."""


def _reported(event: object) -> str | dg.AssetCheckKey | None:
    """The output or check an event of dagster-dbt's stream reports (None: neither)."""
    if isinstance(event, dg.Output):
        return event.output_name
    if isinstance(event, dg.AssetCheckResult):
        return dg.AssetCheckKey(event.asset_key, event.check_name)
    return None


def _require_every_result(
    context: dg.AssetExecutionContext, reported: set[str | dg.AssetCheckKey]
) -> None:
    """Fail the step when a selected model or data test has no result in dbt's event stream.

    dagster-dbt reads the results from dbt's structured log; a line it cannot read (another
    process writing into the same pipe, e.g. the Java process of a local Spark session) loses
    the result. Dagster would then skip every asset after that model, publishing included,
    and call the run a success."""
    missing = sorted(
        [
            key.to_user_string()
            for key in context.selected_asset_keys
            if context.assets_def.get_output_name_for_asset_key(key) not in reported
        ]
        + [key.to_user_string() for key in context.selected_asset_check_keys if key not in reported]
    )
    if missing:
        raise DbtResultsLostError(
            description=f"dbt finished, but {len(missing)} of its results never reached "
            f"Dagster ({', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}); nothing "
            "after dbt ran. dbt's own output is in the run's log file (kam run prints its "
            "path) — fix: run the date again; if it happens again, run with --verbose and "
            "look for lines of another program mixed into dbt's"
        )
