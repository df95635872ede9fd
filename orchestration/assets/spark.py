"""The Spark engine's own steps of a night (only in a graph loaded for Spark,
``orchestration/engine.py``): the validated raw tables exported to Spark before dbt builds
there, and the scores written back to Spark after scoring. Each runs in a child process
(``warehouse/spark/child.py`` says why)."""

from collections.abc import Iterator

import dagster as dg

from ingestion.contracts import SOURCES
from orchestration.assets.ingestion import ingestion_assets
from orchestration.assets.scoring import customer_scores
from orchestration.engine import SPARK_KEY_PREFIX as PREFIX
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.resources import KamSettingsResource
from orchestration.spark_steps import run_spark_step
from warehouse.spark.raw import SCHEMA as RAW_SCHEMA
from warehouse.spark.raw import raw_tables


def spark_raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([PREFIX, RAW_SCHEMA, table])


def _written(partitions: list[str | None]) -> str:
    """A step's summary of one table (the dates written, None for the whole table) as text."""
    return ", ".join(p or "whole table" for p in partitions) or "nothing changed"


def _ingested_by(table: str) -> list[dg.AssetKey]:
    """The ingestion assets that write ``table``: its own source's, or every source's for
    ingestion's ledger and quarantine."""
    keys = [key for asset in ingestion_assets for key in asset.keys]
    return [dg.AssetKey([RAW_SCHEMA, table])] if table in SOURCES else keys


@dg.multi_asset(
    name="spark_raw_tables",
    specs=[
        dg.AssetSpec(
            spark_raw_key(table),
            deps=_ingested_by(table),
            group_name="ingestion",
            kinds={"spark", "parquet"},
            description=f"raw.{table} of the DuckDB warehouse as a Spark Parquet table.",
        )
        for table in raw_tables()
    ],
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    pool="kam_warehouse",
)
def spark_raw_tables(
    context: dg.AssetExecutionContext, kam: KamSettingsResource
) -> Iterator[dg.MaterializeResult]:
    """Export the validated raw partitions ingestion changed to Spark, where dbt reads them."""
    written = run_spark_step("export-raw", kam.settings())
    for table in raw_tables():
        partitions = written.get(f"{RAW_SCHEMA}.{table}", [])
        yield dg.MaterializeResult(
            asset_key=spark_raw_key(table),
            metadata={"partitions_written": len(partitions), "written": _written(partitions)},
        )


@dg.asset(
    key=dg.AssetKey([PREFIX, "scores"]),
    group_name="scoring",
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    deps=[customer_scores],
    kinds={"spark", "parquet"},
    pool="kam_warehouse",
)
def spark_scores(
    context: dg.AssetExecutionContext, kam: KamSettingsResource
) -> dg.MaterializeResult:
    """The score tables written back to Spark (schema ``scores``), the changed dates only."""
    written = run_spark_step("export-scores", kam.settings())
    return dg.MaterializeResult(
        metadata={table: _written(partitions) for table, partitions in written.items()}
    )


spark_assets = [spark_raw_tables, spark_scores]
