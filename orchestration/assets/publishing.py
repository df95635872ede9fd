"""Publishing: the read-only BI copy, replaced atomically after a successful run."""

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration import score_store
from orchestration.assets.dbt import kam_dbt_models
from orchestration.assets.scoring import customer_scores
from orchestration.dbt_project import dbt_project
from orchestration.partition_writes import HISTORY_TABLES
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.publish import PublishedTable, StorageVersionError, publish
from orchestration.published_docs import DOCS_DIR, load_descriptions
from orchestration.resources import KamSettingsResource

# Audit tables written by ingestion that BI reads too.
# A quarantined line of the customer master may hold key persons' names, phones and emails, so
# BI sees the reason and position but not the line itself (the writer warehouse keeps it).
WITHHELD_CUSTOMER_LINE = (
    "case when source = 'customers' then '[withheld: customer master lines may hold personal "
    "data; see raw.quarantine in the writer warehouse]' else raw_record end"
)
RAW_TABLES_PUBLISHED = (
    PublishedTable("raw", "ingestion_ledger", "ingestion_ledger"),
    PublishedTable(
        "raw", "quarantine", "quarantine", replace=(("raw_record", WITHHELD_CUSTOMER_LINE),)
    ),
)


def mart_tables(manifest: dict) -> list[PublishedTable]:
    """Every dbt model in the marts layer, published under its model name."""
    tables = []
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]:
            schema, table = node["schema"], node["alias"] or node["name"]
            tables.append(
                PublishedTable(
                    schema, table, node["name"], by_date=f"{schema}.{table}" in HISTORY_TABLES
                )
            )
    return sorted(tables, key=lambda t: t.published_name)


@dg.asset(
    key=dg.AssetKey(["published", "warehouse"]),
    group_name="publishing",
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    deps=[kam_dbt_models, customer_scores],
    kinds={"duckdb", "parquet"},
    pool="kam_warehouse",
)
def published_warehouse(
    context: dg.AssetExecutionContext, kam: KamSettingsResource
) -> dg.MaterializeResult:
    """Read-only DuckDB file and Parquet copy for BI, swapped in atomically."""
    settings = kam.settings()
    try:
        result = publish(
            settings.warehouse_path,
            settings.publish_dir,
            published_tables(json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))),
            publication_id=context.run.run_id,
            metadata={
                "run_id": context.run.run_id,
                "business_date": context.partition_key,
                "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            storage_version=settings.publish_storage_version,
        )
    except StorageVersionError as exc:
        raise dg.Failure(
            description=f"KAM_PUBLISH_STORAGE_VERSION={settings.publish_storage_version!r}: "
            f"{exc}; set it to such a version, or unset it for the default"
        ) from None
    if result.rebuilt:
        context.log.warning(f"publishing: {result.rebuilt}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.database_path)),
            "parquet": dg.MetadataValue.path(str(result.parquet_dir)),
            "storage_version": settings.publish_storage_version,
            **({"rebuilt": result.rebuilt} if result.rebuilt else {}),
            "row_counts": dg.MetadataValue.table(
                [dg.TableRecord({"table": k, "rows": v}) for k, v in result.row_counts.items()],
                schema=dg.TableSchema(
                    columns=[dg.TableColumn("table", "string"), dg.TableColumn("rows", "int")]
                ),
            ),
        }
    )


def published_tables(manifest: dict, docs_dir: Path = DOCS_DIR) -> list[PublishedTable]:
    """Every table BI reads, with its descriptions from the dbt docs and kam's docs."""
    tables = [
        *mart_tables(manifest),
        *RAW_TABLES_PUBLISHED,
        *(
            PublishedTable(*name.split("."), name.split(".")[1], by_date=name in HISTORY_TABLES)
            for name in score_store.PUBLISHED_TABLES
        ),
    ]
    descriptions = load_descriptions(manifest, docs_dir)
    return [descriptions.describe(table) for table in tables]
