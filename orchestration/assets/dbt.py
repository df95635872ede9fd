"""The dbt project as Dagster assets; dbt tests become asset checks."""

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.dbt_project import dbt_project, manifest_path_or_raise
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.resources import KamSettingsResource
from scoring.credit import quarter_for
from warehouse.faults import crash_point
from warehouse.score_store import has_facts
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
    (tests/test_dbt_*.py), not every night.
    """
    return [
        "build",
        "--exclude-resource-type",
        "unit_test",
        *(["--full-refresh"] if full_refresh else []),
    ]


def quarter_end_facts_args() -> list[str]:
    """Build only the customer facts (as of a quarter's last day, for credit grades)."""
    return ["run", "--select", "+fct_customer_facts"]


def facts_missing(warehouse_path: Path, as_of: date) -> bool:
    """True when facts as of ``as_of`` could exist (customers had landed) but were never built."""
    if not warehouse_path.exists():
        return False
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        landed = (
            con.execute(
                "select count(*) from duckdb_tables() where schema_name = 'raw' "
                "and table_name = 'customers'"
            ).fetchall()[0][0]
            and con.execute(
                "select count(*) from raw.customers where _business_date <= ?", [as_of]
            ).fetchall()[0][0]
        )
        return bool(landed) and not has_facts(con, as_of)


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
    quarter = quarter_for(business_date)
    if quarter.end < business_date and facts_missing(settings.warehouse_path, quarter.end):
        # Credit grades are evaluated on the facts as of the last full quarter's end; build them
        # once if the nightly run of that day never happened (first run, or a gap).
        context.log.info(f"building customer facts as of {quarter.end} for {quarter.label} credit")
        with environment(dbt_environment(settings.warehouse_path, quarter.end)):
            dbt.cli(quarter_end_facts_args(), target_path=target).wait()
    # dbt reads the warehouse and the business date from its environment (profiles.yml, macro
    # as_of_date); dagster-dbt hands the subprocess a copy of this process's environment.
    with environment(dbt_environment(settings.warehouse_path, business_date)):
        for event in dbt.cli(
            dbt_build_args(config.full_refresh), context=context, target_path=target
        ).stream():
            yield event
            crash_point("dbt")
