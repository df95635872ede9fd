"""A failed quality gate reads as text in the Dagster UI: which expectation, what was observed."""

from __future__ import annotations

import dagster as dg

from expectations.outcome import CheckOutcome, SuiteOutcome
from ingestion.contracts import SOURCES
from orchestration.checks import check_result, quality_checks
from orchestration.partitions import daily_partitions

OUTCOME = SuiteOutcome(
    "raw.payments",
    [
        CheckOutcome("payment_id_unique", "error", True, "payment_id is unique", "0 duplicates"),
        CheckOutcome(
            "amount_positive", "error", False, "amount > 0", "2 of 40 rows ≤ 0 (e.g. -5 | 0)"
        ),
        CheckOutcome("paid_at_recent", "warn", False, "paid_at within\n30 days", "max 41 days"),
    ],
)


def test_failed_expectations_are_a_markdown_table_and_the_description_names_them() -> None:
    result = check_result(OUTCOME, 40)
    assert result.passed is False
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.description == (
        "raw.payments: 1 error(s), 1 warning(s) in 3 checks — blocks publishing\n"
        "  [ERROR] amount_positive: amount > 0 — 2 of 40 rows ≤ 0 (e.g. -5 | 0)\n"
        "  [WARN] paid_at_recent: paid_at within\n30 days — max 41 days"
    )
    failed = result.metadata["failed"]
    assert isinstance(failed, dg.MarkdownMetadataValue)
    assert failed.value == (
        "| severity | expectation | expects | observed |\n"
        "|---|---|---|---|\n"
        "| ERROR | `amount_positive` | amount > 0 | 2 of 40 rows ≤ 0 (e.g. -5 \\| 0) |\n"
        "| WARN | `paid_at_recent` | paid_at within 30 days | max 41 days |"
    )


def test_a_suite_that_passed_says_so_in_the_table_slot() -> None:
    passed = SuiteOutcome("raw.payments", OUTCOME.outcomes[:1])
    result = check_result(passed, 40)
    assert result.passed is True
    assert result.metadata["failed"].value == "All 1 expectations of raw.payments passed."


def test_every_quality_gate_is_a_blocking_daily_check_in_the_warehouse_pool() -> None:
    """Raw sources, facts and scores: each gate is the `expectations` check of its asset, blocks
    what is downstream, runs per business date and waits for the warehouse pool."""
    gates = {
        spec.asset_key.to_user_string(): (spec.name, spec.blocking, d.partitions_def, d.node_def)
        for d in quality_checks
        for spec in d.check_specs
    }
    assert set(gates) == {
        *(f"raw/{source}" for source in SOURCES),
        "marts/fct_customer_facts",
        "scores/customer_scores",
    }
    for name, blocking, partitions, node in gates.values():
        assert (name, blocking, node.pool) == ("expectations", True, "kam_warehouse")
        assert partitions == daily_partitions
