"""Quality gates: Great Expectations suites as blocking Dagster asset checks.

Each check validates the business date's data only (a raw partition, the facts or the scores of
that date). An error-level failure blocks everything downstream — publishing included — so a bad
night never reaches the BI copy; warnings are recorded and do not block.
"""

from collections.abc import Callable
from datetime import date

import dagster as dg
import duckdb
import pandas as pd

from expectations import (
    SuiteOutcome,
    validate_customer_facts,
    validate_raw_partition,
    validate_scores,
)
from expectations.facts import COLUMN_TYPES as FACT_TYPES
from expectations.raw import raw_column_types
from expectations.schema import frame_from_arrow
from ingestion.contracts import SOURCES
from ingestion.plausibility import load_plausibility
from orchestration.partitions import daily_partitions
from orchestration.resources import KamSettingsResource
from scoring.config import load_scoring_config
from warehouse import score_store
from warehouse.settings import connect_warehouse

# Largest raw partition validated row by row with GE; bigger ones are sampled.
RAW_SAMPLE_ROWS = 200_000


def check_result(outcome: SuiteOutcome, rows: int, **extra: object) -> dg.AssetCheckResult:
    """Map a suite outcome to a Dagster check result: errors block, warnings only warn."""
    failed = bool(outcome.blocking_failures or outcome.warnings)
    severity = (
        dg.AssetCheckSeverity.ERROR if outcome.blocking_failures else dg.AssetCheckSeverity.WARN
    )
    return dg.AssetCheckResult(
        passed=not failed,
        severity=severity,
        description=outcome.summary(),
        metadata={
            "rows": rows,
            "checks": len(outcome.outcomes),
            "failed": dg.MetadataValue.md(failures_markdown(outcome)),
            "errors": [f"{o.name}: {o.details}" for o in outcome.blocking_failures],
            "warnings": [f"{o.name}: {o.details}" for o in outcome.warnings],
            **extra,
        },
    )


def failures_markdown(outcome: SuiteOutcome) -> str:
    """The failed expectations as a Markdown table the UI renders: severity, expectation, what
    it expects, and what was observed."""
    failed = outcome.blocking_failures + outcome.warnings
    if not failed:
        return f"All {len(outcome.outcomes)} expectations of {outcome.suite} passed."

    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = ["| severity | expectation | expects | observed |", "|---|---|---|---|"]
    lines += [
        f"| {o.severity.upper()} | `{o.name}` | {cell(o.description)} | {cell(o.details)} |"
        for o in failed
    ]
    return "\n".join(lines)


def _frame(
    con: duckdb.DuckDBPyConnection, query: str, params: dict, types: dict[str, str]
) -> pd.DataFrame:
    """The query's rows as pandas; ``types`` (the suite's column types) say which decimals may
    arrive as floats (see :func:`expectations.schema.frame_from_arrow`)."""
    return frame_from_arrow(con.sql(query, params=params).to_arrow_table(), types)


def raw_partition_query(source: str, rows: int) -> tuple[str, bool]:
    """The query (parameter ``$d``: the business date) of the raw rows a check validates, and
    whether they are a sample.

    A daily partition is small; an initial extract can hold all history. Above
    ``RAW_SAMPLE_ROWS`` rows GE checks a fixed, repeatable sample of the partition (dbt tests
    and ingestion still check every row's keys), so memory stays bounded whatever its size.
    DuckDB samples right after FROM, before WHERE: the partition is filtered in a subquery
    first (sampling the table would keep only the partition's share of a sample of all
    history), and only row ids are sampled, so just the sampled rows are read in full.
    """
    partition = f"select * from raw.{source} where _business_date = $d"
    if rows <= RAW_SAMPLE_ROWS:
        return partition, False
    sampled_ids = (
        f"select rowid from (select rowid from raw.{source} where _business_date = $d) "
        f"using sample reservoir({RAW_SAMPLE_ROWS} rows) repeatable (42)"
    )
    return f"select * from raw.{source} where rowid in ({sampled_ids})", True


def _gate(asset: dg.AssetKey, description: str) -> Callable[..., dg.AssetChecksDefinition]:
    """The decorator of a quality gate on ``asset``: the check named ``expectations``, blocking,
    of the business date's partition, in the warehouse pool (it reads the warehouse)."""
    return dg.asset_check(
        asset=asset,
        name="expectations",
        blocking=True,
        partitions_def=daily_partitions,
        pool="kam_warehouse",
        description=description,
    )


def build_raw_check(source: str) -> dg.AssetChecksDefinition:
    @_gate(
        dg.AssetKey(["raw", source]),
        f"Great Expectations suite for the business date's raw.{source} partition.",
    )
    def _check(context: dg.AssetCheckExecutionContext, kam: KamSettingsResource):
        settings = kam.settings()
        business_date = date.fromisoformat(context.partition_key)
        with connect_warehouse(settings.warehouse_path, read_only=True) as con:
            rows = con.execute(
                f"select count(*) from raw.{source} where _business_date = ?", [business_date]
            ).fetchall()[0][0]
            query, sampled = raw_partition_query(source, rows)
            frame = _frame(con, query, {"d": business_date}, raw_column_types(source))
        return check_result(
            validate_raw_partition(source, frame, load_plausibility(settings.config_dir)),
            len(frame),
            partition_rows=rows,
            sampled=sampled,
        )

    return _check


@_gate(
    dg.AssetKey(["marts", "fct_customer_facts"]),
    "Great Expectations suite for the business date's customer facts.",
)
def facts_expectations(context: dg.AssetCheckExecutionContext, kam: KamSettingsResource):
    settings = kam.settings()
    with connect_warehouse(settings.warehouse_path, read_only=True) as con:
        frame = _frame(
            con,
            "select * from marts.fct_customer_facts where as_of_date = $d",
            {"d": date.fromisoformat(context.partition_key)},
            FACT_TYPES,
        )
    return check_result(validate_customer_facts(frame), len(frame))


@_gate(
    dg.AssetKey(["scores", "customer_scores"]),
    "Scores of the business date, and their drift from the previous business date.",
)
def scores_expectations(context: dg.AssetCheckExecutionContext, kam: KamSettingsResource):
    settings = kam.settings()
    as_of = date.fromisoformat(context.partition_key)
    with connect_warehouse(settings.warehouse_path, read_only=True) as con:
        frame = score_store.scores_as_of(con, as_of).to_pandas()
        # Drift is measured within the history (the previous business date scored), never
        # against the BI copy: a backfill of older dates compares them with each other.
        previous_date = score_store.previous_business_date(con, as_of)
        previous = (
            score_store.scores_as_of(con, previous_date).to_pandas()
            if previous_date is not None
            else None
        )
    config = load_scoring_config(settings.scoring_config_path)
    outcome = validate_scores(frame, previous, thresholds=config.gates, config=config)
    accepted = list(kam.accept_gates)
    if accepted:
        try:
            outcome = outcome.accepting(accepted)
        except KeyError as exc:
            raise dg.Failure(
                description=f"--accept-gate: {exc.args[0]} — fix: name one of them"
            ) from None
        context.log.warning(f"gates accepted for this run by the operator: {', '.join(accepted)}")
    return check_result(
        outcome,
        len(frame),
        previous_business_date=str(previous_date) if previous_date else "none",
        accepted_gates=accepted,
    )


quality_checks = [
    *(build_raw_check(source) for source in SOURCES),
    facts_expectations,
    scores_expectations,
]
