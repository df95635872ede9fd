"""Ingestion assets: one per source, loading its landing folders into ``raw.<source>``."""

from datetime import date

import dagster as dg

from ingestion import sync_landing
from ingestion.contracts import SOURCES, load_contracts
from ingestion.mapping import load_source_mapping
from ingestion.plausibility import load_plausibility
from orchestration.asset_metadata import table_metadata
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.resources import KamSettingsResource
from warehouse.settings import connect_warehouse

# Statuses of files read in this run (kept and unchanged files were read in an earlier one).
READ = ("loaded", "replaced", "rejected")


class IngestionRejectedError(dg.Failure):
    """A whole file could not be loaded; its rows were kept out of the warehouse."""


def build_ingestion_asset(source: str) -> dg.AssetsDefinition:
    """Asset that loads every landed ``source`` folder dated on or before the partition date."""

    @dg.asset(
        key=dg.AssetKey(["raw", source]),
        group_name="ingestion",
        partitions_def=daily_partitions,
        backfill_policy=ONE_DATE_PER_RUN,
        kinds={"duckdb"},
        pool="kam_warehouse",
        description=f"Landing files of `{source}` loaded into raw.{source} (bad rows quarantined).",
    )
    def _ingest(
        context: dg.AssetExecutionContext, kam: KamSettingsResource
    ) -> dg.MaterializeResult:
        settings = kam.settings()
        up_to = date.fromisoformat(context.partition_key)
        # Only this source's mapping: a mistake in another is reported once, under its source.
        mappings = {source: load_source_mapping(settings.mappings_dir, source)}
        rules = load_plausibility(settings.config_dir)
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        with connect_warehouse(settings.warehouse_path) as con:
            results = sync_landing(
                con,
                settings.landing_dir,
                mappings,
                up_to=up_to,
                run_id=context.run.run_id,
                sources=[source],
                rules=rules,
                threads=settings.ingest_threads,
            )
            contract = load_contracts()[source]
            table = table_metadata(
                con, "raw", source, {c.name: f"{c.meaning} ({c.zh})" for c in contract.columns}
            )
        summary = summarise(results)
        if summary["rejected_files"]:
            raise IngestionRejectedError(
                description=f"{len(summary['rejected_files'])} {source} file(s) rejected: "
                + "; ".join(summary["rejected_files"]),
                metadata={k: v for k, v in summary.items() if k != "rejected_files"},
            )
        return dg.MaterializeResult(metadata={**summary, **table})

    return _ingest


def summarise(results: list) -> dict:
    """Counts across partition results, for asset metadata and the run summary."""
    files = [f for r in results for f in r.files]
    return {
        "partitions_seen": len(results),
        "files_loaded": sum(f.status in ("loaded", "replaced") for f in files),
        "files_unchanged": sum(f.status == "unchanged" for f in files),
        "files_kept": sum(f.status == "kept" for f in files),
        "files_retracted": sum(f.status == "retracted" for f in files),
        "rows_read": sum(f.rows_read for f in files if f.status in READ),
        "rows_loaded": sum(f.rows_loaded for f in files if f.status in READ),
        "rows_quarantined": sum(f.rows_quarantined for f in files if f.status in READ),
        "files_ignored": sum(f.status == "ignored" for f in files),
        "ignored_entries": "\n".join(f.message for f in files if f.status == "ignored"),
        "rejected_files": [
            # The message names the file already.
            f.message
            for f in files
            if f.status == "rejected"
        ],
    }


ingestion_assets = [build_ingestion_asset(source) for source in SOURCES]
