"""A warehouse an earlier kam built loses the relations and bookkeeping rows of the models kam
renamed at the next run (on-run-start hook drop_former_relations), and keeps everything else.

The former models, as they were left: the staging views stg_raw__customers,
stg_raw__transactions, stg_raw__transaction_versions, stg_raw__customer_financials and
stg_exports__transaction_versions; stg_raw__invoices, stg_raw__payments and
stg_raw__interactions were incremental tables (rows in kam_incremental_state and
kam_tests_passed). Beside them, a user's own view whose name starts like a former one and a
user's own table, in the same schema, and the bookkeeping rows of current models.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_helpers import failed_nodes, raw_warehouse, run_dbt

pytestmark = pytest.mark.slow

D = "2024-06-30"
FORMER_VIEWS = {
    "stg_exports__transaction_versions": "transactions",
    "stg_raw__customer_financials": "customer_financials",
    "stg_raw__customers": "customers",
    "stg_raw__transaction_versions": "transactions",
    "stg_raw__transactions": "transactions",
}
FORMER_TABLES = {
    "stg_raw__interactions": "interactions",
    "stg_raw__invoices": "invoices",
    "stg_raw__payments": "payments",
}
FORMER_RELATIONS = {
    *(("staging", name, "VIEW") for name in FORMER_VIEWS),
    *(("staging", name, "BASE TABLE") for name in FORMER_TABLES),
}
# Bookkeeping rows as the earlier kam left them: model name, date.
TESTS_PASSED = [
    ("fct_customer_facts", "2024-06-29"),
    ("int_invoices_deduplicated", "2024-06-29"),
    ("stg_exports__transaction_versions", "2024-06-29"),
    ("stg_raw__interactions", "2024-06-20"),
    ("stg_raw__invoices", "2024-06-20"),
    ("stg_raw__payments", "2024-06-20"),
    ("stg_raw__transaction_versions", "2024-06-20"),
]
INCREMENTAL_STATE = [
    ("int_invoices_deduplicated", "2024-06-29"),
    ("stg_raw__interactions", "2024-06-20"),
    ("stg_raw__invoices", "2024-06-20"),
    ("stg_raw__payments", "2024-06-20"),
]
RELATIONS = (
    "select table_schema, table_name, table_type from information_schema.tables"
    " where table_schema not in ('raw', 'main') order by all"
)


def leave_former_relations(con: duckdb.DuckDBPyConnection) -> None:
    """Create the former models' relations and a user's own two in schema staging."""
    con.execute("create schema if not exists staging")
    for name, source in FORMER_VIEWS.items():
        con.execute(f"create or replace view staging.{name} as select * from raw.{source}")
    for name, source in FORMER_TABLES.items():
        con.execute(f"create or replace table staging.{name} as select * from raw.{source}")
    con.execute(
        "create or replace view staging.stg_raw__invoices_checked as"
        " select * from raw.invoices where amount > 0"
    )
    con.execute("create or replace table staging.account_plan as select 'C1' as customer_id")


def leave_bookkeeping(con: duckdb.DuckDBPyConnection) -> None:
    """kam_tests_passed and kam_incremental_state as the earlier kam created and filled them."""
    con.execute(
        "create table main.kam_tests_passed (model_name varchar primary key,"
        " passed_through date not null, recorded_at timestamp not null, passed_run bigint)"
    )
    con.executemany(
        "insert into main.kam_tests_passed values (?, ?, timestamp '2024-06-29 23:30:00', 7)",
        TESTS_PASSED,
    )
    con.execute(
        "create table main.kam_incremental_state (model_name varchar primary key,"
        " as_of_date date not null, ledger_high_water timestamp, built_at timestamp not null)"
    )
    con.executemany(
        "insert into main.kam_incremental_state values"
        " (?, ?, timestamp '2024-06-29 23:00:00', timestamp '2024-06-29 23:30:00')",
        INCREMENTAL_STATE,
    )


def warehouse_state(path: Path) -> dict[str, Any]:
    with duckdb.connect(str(path)) as con:
        return {
            "relations": set(con.execute(RELATIONS).fetchall()),
            "tests_passed": con.execute(
                "select model_name, strftime(passed_through, '%Y-%m-%d')"
                " from main.kam_tests_passed order by all"
            ).fetchall(),
            "incremental_state": con.execute(
                "select model_name, strftime(as_of_date, '%Y-%m-%d')"
                " from main.kam_incremental_state order by all"
            ).fetchall(),
            "account_plan": con.execute("select * from staging.account_plan").fetchall(),
        }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work_dir = tmp_path_factory.mktemp("dbt_former_relations")
    with raw_warehouse(work_dir) as path:
        with duckdb.connect(str(path)) as con:
            leave_former_relations(con)
            leave_bookkeeping(con)
        out: dict[str, Any] = {"before": warehouse_state(path)}
        # Two staging views without data tests: the bookkeeping rows of the current models
        # stay as they were.
        build = run_dbt(
            ["build", "--select", "stg_exports__customers", "stg_exports__customer_financials"],
            work_dir,
            D,
        )
        assert build.success, failed_nodes(build)
        out["after_build"] = warehouse_state(path)
        out["log"] = (work_dir / "logs" / "dbt.log").read_text(encoding="utf-8")

        # Again, with dbt caching only the selected models' schema: the hook then looks the
        # staging schema up itself, and its drops must still outlast the run.
        with duckdb.connect(str(path)) as con:
            leave_former_relations(con)
        run = run_dbt(
            ["run", "--cache-selected-only", "--select", "int_customer_financials_deduplicated"],
            work_dir,
            D,
        )
        assert run.success, failed_nodes(run)
        out["after_uncached_run"] = warehouse_state(path)
        yield out


def test_the_earlier_kams_warehouse_holds_the_former_relations(runs: dict[str, Any]) -> None:
    assert runs["before"]["relations"] >= FORMER_RELATIONS


def test_a_build_drops_exactly_the_former_relations(runs: dict[str, Any]) -> None:
    before, after = runs["before"]["relations"], runs["after_build"]["relations"]
    assert before - after == FORMER_RELATIONS
    # What the build added: its two views; the user's view and table stay.
    assert after - before == {
        ("staging", "stg_exports__customers", "VIEW"),
        ("staging", "stg_exports__customer_financials", "VIEW"),
    }
    assert {
        ("staging", "stg_raw__invoices_checked", "VIEW"),
        ("staging", "account_plan", "BASE TABLE"),
    } <= after
    assert runs["after_build"]["account_plan"] == [("C1",)]
    for name in FORMER_VIEWS:
        assert f"kam: dropping view staging.{name}" in runs["log"]
    for name in FORMER_TABLES:
        assert f"kam: dropping table staging.{name}" in runs["log"]


def test_a_build_deletes_the_former_models_bookkeeping_rows(runs: dict[str, Any]) -> None:
    # The current models' rows are kept as they were.
    assert runs["after_build"]["tests_passed"] == [
        ("fct_customer_facts", "2024-06-29"),
        ("int_invoices_deduplicated", "2024-06-29"),
    ]
    assert runs["after_build"]["incremental_state"] == [("int_invoices_deduplicated", "2024-06-29")]


def test_the_drops_last_when_the_hook_looks_the_schema_up(runs: dict[str, Any]) -> None:
    before, after = runs["after_build"]["relations"], runs["after_uncached_run"]["relations"]
    assert not FORMER_RELATIONS & after
    assert after - before == {
        ("intermediate", "int_customer_financials_deduplicated", "BASE TABLE")
    }
    assert before - after == set()
