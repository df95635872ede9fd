"""Scoring assets: tier, key account and churn daily; credit grade per quarter."""

from datetime import date

import dagster as dg

from orchestration import score_store
from orchestration.assets.dbt import kam_dbt_models
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.resources import KamSettingsResource
from orchestration.settings import connect_warehouse
from scoring.config import ScoringConfigError, load_scoring_config
from scoring.credit import quarter_for
from scoring.labels import label_table
from scoring.pipeline import score_credit_quarter, score_customers


class ScoringConfigurationError(dg.Failure):
    """config/scoring.yaml is invalid; nothing was scored."""


def load_config(path):
    """The validated scoring configuration, or a Dagster failure that names every problem."""
    try:
        return load_scoring_config(path)
    except ScoringConfigError as exc:
        raise ScoringConfigurationError(description=str(exc)) from None


@dg.asset(
    key=dg.AssetKey(["scores", "customer_scores"]),
    group_name="scoring",
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    deps=[kam_dbt_models],
    kinds={"polars", "duckdb"},
    pool="kam_warehouse",
)
def customer_scores(
    context: dg.AssetExecutionContext, kam: KamSettingsResource
) -> dg.MaterializeResult:
    """Tier, key account and churn per customer, with history, migrations and credit grades."""
    settings = kam.settings()
    config = load_config(settings.scoring_config_path)
    as_of = date.fromisoformat(context.partition_key)
    run_id = context.run.run_id
    labels = label_table(config)
    levels = score_store.scheme_levels(labels)
    with connect_warehouse(settings.warehouse_path) as con:
        facts = score_store.read_facts(con, as_of)
        scores = score_customers(facts, config)
        # Credit is graded per quarter on the facts as of the quarter's last day (built by the
        # dbt step when missing); with no customers then, the quarter simply has no grades.
        quarter = quarter_for(as_of)
        quarter_facts = facts if quarter.end == as_of else score_store.read_facts(con, quarter.end)
        grades = score_credit_quarter(quarter_facts, config, quarter)
        score_store.write_scores(con, scores, as_of, grades, quarter.label, run_id, levels, labels)
    return dg.MaterializeResult(
        metadata={
            "customers_scored": scores.height,
            "config_version": config.version,
            "credit_quarter": quarter.label,
            "credit_grades_written": grades.height,
            "key_accounts": int(scores["is_key_account"].sum()),
            "churn_flagged": int(scores["is_churn_risk"].sum()),
        }
    )
