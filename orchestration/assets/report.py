"""The nightly report: the published copy as one self-contained HTML page (docs/report.md)."""

from datetime import date

import dagster as dg

from orchestration.assets.publishing import published_warehouse
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.resources import KamSettingsResource
from report import Gate, ReportDataError, build_report

# Folder, inside the publish folder, of the report files.
REPORT_SUBDIR = "report"


def run_gates(instance: dg.DagsterInstance, run_id: str) -> list[Gate] | None:
    """The quality checks a run evaluated (Great Expectations suites and dbt tests), for the
    report's headline; None if the run is not in this Dagster instance."""
    if instance.get_run_by_id(run_id) is None:
        return None
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    gates = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        gates.append(
            Gate(
                name=f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}",
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                description=evaluation.description or "",
            )
        )
    return gates


@dg.asset(
    key=dg.AssetKey(["published", "report"]),
    group_name="publishing",
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    deps=[published_warehouse],
    kinds={"html", "plotly"},
)
def kam_report(context: dg.AssetExecutionContext, kam: KamSettingsResource) -> dg.MaterializeResult:
    """Self-contained HTML report of the business date, built from the published copy."""
    settings = kam.settings()
    day = context.partition_key
    try:
        result = build_report(
            settings.published_path,
            settings.publish_dir / REPORT_SUBDIR,
            date.fromisoformat(day),
            gates_of_run=lambda run_id: run_gates(context.instance, run_id),
        )
    except ReportDataError as exc:
        raise dg.Failure(description=f"{exc} (the report of {day} was not built)") from None
    except Exception as exc:
        # Publishing has already succeeded: say that only the report is missing.
        raise dg.Failure(
            description=f"the warehouse of {day} was published, but its report could not be "
            f"built ({type(exc).__name__}: {exc}); once fixed, build it with "
            f"`kam report --date {day}`"
        ) from exc
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "latest": dg.MetadataValue.path(str(result.latest_path or "")),
            "bytes": result.size_bytes,
            "seconds": round(result.seconds, 2),
            "charts": result.charts,
            "customers": result.customers,
        }
    )
