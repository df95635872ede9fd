"""Scoring assets: tier, key account and churn daily; credit grade per quarter."""

from datetime import date

import dagster as dg
import duckdb
import polars as pl
from dagster_dbt import get_asset_key_for_model

from orchestration.asset_metadata import table_metadata
from orchestration.assets.dbt import kam_dbt_models
from orchestration.assets.quarter_end_facts import quarter_end_facts
from orchestration.partitions import ONE_DATE_PER_RUN, daily_partitions
from orchestration.resources import KamSettingsResource
from scoring.churn import Calibration
from scoring.churn_calibration import CalibrationError, calibration_dates, fit_calibration
from scoring.config import ScoringConfig, ScoringConfigError, load_scoring_config
from scoring.credit import quarter_for
from scoring.labels import label_table
from scoring.pipeline import score_credit_quarter, score_customers
from warehouse import churn_quality, score_store
from warehouse.settings import connect_warehouse


class ScoringConfigurationError(dg.Failure):
    """config/scoring.yaml is invalid; nothing was scored."""


def load_config(path):
    """The validated scoring configuration, or a Dagster failure that names every problem."""
    try:
        return load_scoring_config(path)
    except ScoringConfigError as exc:
        raise ScoringConfigurationError(description=str(exc)) from None


def churn_calibration(
    con: duckdb.DuckDBPyConnection, config: ScoringConfig, as_of: date
) -> tuple[Calibration | None, str]:
    """The churn calibration learnt from the warehouse's past business dates (facts as of D and
    D + horizon), or None and why not (a first run, a short history)."""
    available = [
        row[0]
        for row in con.execute(
            "select distinct as_of_date from marts.fct_customer_facts"
        ).fetchall()
    ]
    dates = calibration_dates(available, as_of, config.churn.prediction_horizon_days)
    if not dates:
        return None, "no past business date with its outcome in the history"
    history = pl.concat([score_store.read_facts(con, d) for d in dates], how="diagonal_relaxed")
    try:
        calibration = fit_calibration(history, config.churn)
    except CalibrationError as error:
        return None, str(error)
    return calibration, calibration.describe()


@dg.asset(
    key=dg.AssetKey(["scores", "customer_scores"]),
    group_name="scoring",
    partitions_def=daily_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    # Scores read only the customer facts: the night's, and those as of a quarter's end (credit).
    deps=[get_asset_key_for_model([kam_dbt_models], "fct_customer_facts"), quarter_end_facts],
    kinds={"polars", "duckdb"},
    pool="kam_warehouse",
)
def customer_scores(
    context: dg.AssetExecutionContext, kam: KamSettingsResource
) -> dg.MaterializeResult:
    """Tier, key account and churn per customer, with history, migrations and credit grades."""
    as_of = date.fromisoformat(context.partition_key)
    settings = kam.settings()
    config = load_config(settings.scoring_config_path)
    run_id = context.run.run_id
    labels = label_table(config)
    levels = score_store.scheme_levels(labels)
    with connect_warehouse(settings.warehouse_path) as con:
        facts = score_store.read_facts(con, as_of)
        calibration, calibration_note = churn_calibration(con, config, as_of)
        context.log.info(f"churn probability: {calibration_note}")
        scores = score_customers(facts, config, churn_calibration=calibration)
        # Credit is graded per quarter on the facts as of the quarter's last day (built by the
        # quarter_end_facts asset when missing); with no customers then, the quarter simply has
        # no grades.
        quarter = quarter_for(as_of)
        # Statements for the quarter that landed since it ended come from today's facts.
        quarter_facts = facts if quarter.end == as_of else score_store.read_facts(con, quarter.end)
        grades = score_credit_quarter(quarter_facts, config, quarter, facts_on_date=facts)
        score_store.write_scores(con, scores, as_of, grades, quarter.label, run_id, levels, labels)
        # How well the churn probability did on the newest past date whose outcome is known.
        quality = churn_quality.measure_newest(con, config, as_of, run_id)
        table = table_metadata(con, *score_store.CURRENT.split("."))
    return dg.MaterializeResult(
        metadata={
            **table,
            "customers_scored": scores.height,
            "config_version": config.version,
            "credit_quarter": quarter.label,
            "credit_grades_written": grades.height,
            "key_accounts": int(scores["is_key_account"].sum()),
            "churn_flagged": int(scores["is_churn_risk"].sum()),
            "churn_calibration": calibration_note,
            "churn_quality_measured_for": (
                str(quality["as_of_date"].max()) if quality.height else "none yet"
            ),
        }
    )
