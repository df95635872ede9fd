"""The raw asset check runs the plausibility mirrors on the business date's partition, under the
installation's config/ingestion.yaml, and blocks on an implausible line."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.schema import ensure_raw_schema
from orchestration.checks import build_raw_check
from orchestration.partitions import daily_partitions
from orchestration.resources import KamSettingsResource

NIGHT = "2024-06-30"
LINEAGE = f"date '{NIGHT}', 'invoices.csv', 2, 'ab12', timestamp '2024-07-01 02:00'"


def run_raw_check(home: Path, *rows: str) -> dg.AssetCheckEvaluation:
    """raw.invoices holding ``rows`` (values of the contract columns) on NIGHT, and the
    evaluation of its asset check in a Dagster run of that partition."""
    warehouse = home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        for row in rows:
            con.execute(f"insert into raw.invoices values ({row}, {LINEAGE})")

    @dg.asset(key=["raw", "invoices"], partitions_def=daily_partitions)
    def loaded() -> None:
        """Stands for ingestion: the raw partition is already written."""

    check = build_raw_check("invoices")
    kam = KamSettingsResource(
        home=str(home), warehouse_path=str(warehouse), config_dir=str(home / "config")
    )
    job = dg.define_asset_job("raw_check", selection=dg.AssetSelection.assets(loaded))
    defs = dg.Definitions(assets=[loaded], asset_checks=[check], jobs=[job], resources={"kam": kam})
    result = defs.resolve_job_def("raw_check").execute_in_process(
        partition_key=NIGHT, raise_on_error=False, instance=dg.DagsterInstance.ephemeral()
    )
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    return tmp_path


def test_a_clean_partition_passes(home: Path) -> None:
    evaluation = run_raw_check(home, "'I1', 'C1', date '2024-03-10', date '2024-04-09', 10, 'CNY'")
    assert evaluation.passed
    assert evaluation.description == "raw_invoices: all 19 checks passed"


def test_a_due_date_before_the_invoice_date_blocks_with_table_rule_count_and_fix(home) -> None:
    evaluation = run_raw_check(
        home,
        "'I1', 'C1', date '2024-03-10', date '2024-04-09', 10, 'CNY'",
        "'I2', 'C1', date '2024-03-10', date '2024-03-01', 10, 'CNY'",
    )
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["errors"].value == [
        "due_date_not_before_invoice_date: 1 of 2 rows (50.0 %) break it; "
        "e.g. (2024-03-01, 2024-03-10) ×1"
    ]
    assert (
        "[ERROR] due_date_not_before_invoice_date: raw.invoices.due_date is not before "
        "invoice_date (plausibility rule not_before: ingestion quarantines a date before the "
        "other column's date). To fix: fix whichever of the two dates is wrong in the export; "
        "land the corrected file in the date's folder and run `kam run --date <date>` again"
    ) in evaluation.description


def test_the_rules_are_those_of_the_installations_config(home: Path) -> None:
    (home / "config" / "ingestion.yaml").write_text("reporting_currency: HKD\n", encoding="utf-8")
    evaluation = run_raw_check(home, "'I1', 'C1', date '2024-03-10', date '2024-04-09', 10, 'CNY'")
    assert evaluation.metadata["errors"].value == [
        "currency_reporting_currency: 1 of 1 rows (100.0 %) break it; e.g. 'CNY' ×1"
    ]
