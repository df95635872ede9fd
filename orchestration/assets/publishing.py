"""Publishing: the read-only BI copy, replaced atomically after a successful run."""

import json
from datetime import UTC, date, datetime

import dagster as dg
import duckdb

from orchestration.assets.dbt import kam_dbt_models
from orchestration.assets.ingestion import ingestion_assets
from orchestration.assets.scoring import customer_scores
from orchestration.dbt_project import dbt_project
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.resources import KamSettingsResource
from warehouse import score_store
from warehouse.publish import StorageVersionError, publish
from warehouse.published_docs import published_tables
from warehouse.registry import kept_on_backfill
from warehouse.settings import connect_warehouse


@dg.asset(
    key=dg.AssetKey(["published", "warehouse"]),
    group_name="publishing",
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    # What the copy holds: the marts, the scores, and ingestion's ledger and quarantine.
    deps=[
        *(key for key in kam_dbt_models.keys if key.path[0] == "marts"),
        customer_scores,
        *ingestion_assets,
    ],
    kinds={"duckdb", "parquet"},
    pool="kam_warehouse",
)
def published_warehouse(
    context: dg.AssetExecutionContext, kam: KamSettingsResource
) -> dg.MaterializeResult:
    """Read-only DuckDB file and Parquet copy for BI, swapped in atomically."""
    settings = kam.settings()
    run_date = date.fromisoformat(context.partition_key)
    tables = published_tables(json.loads(dbt_project.manifest_path.read_text(encoding="utf-8")))
    with connect_warehouse(settings.warehouse_path, read_only=True) as con:
        newest, stale = dates_state(con, run_date, context.run.run_id)
    # A backfill (an older date than the newest scored) rewrites the dimensions as of its own
    # date in the warehouse; the published copy keeps the newest date's.
    keep = kept_on_backfill(tables) if newest > run_date else frozenset()
    if stale:
        context.log.warning(stale_notice(stale))
    try:
        result = publish(
            settings.warehouse_path,
            settings.publish_dir,
            tables,
            publication_id=context.run.run_id,
            metadata={
                "run_id": context.run.run_id,
                "business_date": newest.isoformat(),
                "run_business_date": run_date.isoformat(),
                "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
                **(
                    {"stale_business_dates": ",".join(d.isoformat() for d in stale)}
                    if stale
                    else {}
                ),
            },
            storage_version=settings.publish_storage_version,
            keep_previous=keep,
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


def dates_state(
    con: duckdb.DuckDBPyConnection, run_date: date, run_id: str
) -> tuple[date, list[date]]:
    """The newest business date scored (at least the run's) and the dates whose facts are stale:
    dates other than the run's, scored before, on or after the earliest folder date this run
    loaded late (a folder for an earlier business date than the run's). Facts of a date never
    scored (the quarter-end facts credit scoring reads, built by this run) are not published as
    a night of their own, so they are not named."""
    newest = con.execute(f"select max(as_of_date) from {score_store.HISTORY}").fetchall()[0][0]
    late = con.execute(
        "select min(business_date) from raw.ingestion_ledger where run_id = ? "
        "and business_date < ? and status in ('loaded', 'replaced')",
        [run_id, run_date],
    ).fetchall()[0][0]
    stale: list[date] = []
    if late is not None:
        stale = [
            row[0]
            for row in con.execute(
                f"select distinct as_of_date from {score_store.HISTORY} "
                "where as_of_date >= ? and as_of_date <> ? order by 1",
                [late, run_date],
            ).fetchall()
        ]
    return max(newest or run_date, run_date), stale


def stale_notice(stale: list[date]) -> str:
    """What a user reads about dates that late data made stale, with the fix."""
    return (
        f"late data: this run loaded files for earlier business dates, so the published facts "
        f"and scores of {len(stale)} date(s) run before ({stale[0]} … {stale[-1]}) were "
        f"computed without them — re-run them: kam backfill --start {stale[0]} --end {stale[-1]}"
    )
