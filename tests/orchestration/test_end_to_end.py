"""The whole nightly job on a hand-made landing folder, checked against answers worked out by hand.

The data (tests/e2e_landing) is a tiny company: customer C1 with two orders, a return, two invoices
paid once on time and once late and partially, three interactions and one financial statement;
C2 with one order; C3 with nothing. One transaction line has an unparsable quantity.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest
from kam_env import clear_home_paths

from orchestration.runner import RunOutcome, execute_nightly
from warehouse.partition_writes import HISTORY_TABLES
from warehouse.settings import Settings, load_settings

LANDING = Path(__file__).parents[1] / "e2e_landing"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("kam_home")
    shutil.copytree(LANDING, home / "landing")
    # Three dbt threads: not a default on any machine (its cores, at most four).
    settings = load_settings({"KAM_HOME": str(home), "KAM_DBT_THREADS": "3"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        (home / "dagster").mkdir()
        clear_home_paths(mp)
        first = execute_nightly(settings, date(2025, 3, 20))
        facts_0320_first = _table(settings, "fct_customer_facts", "as_of_date = date '2025-03-20'")
        main = execute_nightly(settings, date(2025, 3, 31))
        published_after_main = _all_tables(settings)
        again = execute_nightly(settings, date(2025, 3, 31))
        published_after_again = _all_tables(settings)
        backfill = execute_nightly(settings, date(2025, 3, 20))
        facts_0320_backfill = _table(
            settings, "fct_customer_facts", "as_of_date = date '2025-03-20'"
        )
        refreshed = execute_nightly(settings, date(2025, 3, 31), full_refresh=True)
        published_after_full_refresh = _all_tables(settings)
        run_results = json.loads(
            (home / "dbt_target" / "run_results.json").read_text(encoding="utf-8")
        )
        # dbt's debug log, rotated at 10 MB (dbt.log, dbt.log.1, …).
        dbt_log = [
            line
            for log in (home / "dbt_target").glob("dbt.log*")
            for line in log.read_text(encoding="utf-8").splitlines()
        ]
        dagster_files_open = [
            f.path
            for f in psutil.Process().open_files()
            if Path(f.path).is_relative_to(home / "dagster")
        ]
    return {
        "settings": settings,
        "outcomes": [first, main, again, backfill, refreshed],
        "published_after_full_refresh": published_after_full_refresh,
        "dbt_args_full_refresh": run_results["args"],
        "dagster_files_open": dagster_files_open,
        # How many threads each dbt command of the runs said it ran with.
        "dbt_threads": [
            json.loads(line)["data"]["num_threads"]
            for line in dbt_log
            if '"ConcurrencyLine"' in line
        ],
        "dbt_tests_full_refresh": [
            r["unique_id"].split(".")[2]
            for r in run_results["results"]
            if r["unique_id"].startswith("test.")
        ],
        "facts_0320_first": facts_0320_first,
        "facts_0320_backfill": facts_0320_backfill,
        "published_after_main": published_after_main,
        "published_after_again": published_after_again,
    }


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(settings.published_path), read_only=True)


def _table(settings: Settings, name: str, where: str = "true") -> list[tuple]:
    with _connect(settings) as con:
        return con.execute(f"select * from {name} where {where} order by all").fetchall()


def _all_tables(settings: Settings) -> dict[str, list[tuple]]:
    """Every published table, without `run_id` (which run wrote a row is audit, not content)."""
    with _connect(settings) as con:
        names = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {
            name: con.execute(
                f"select * exclude (run_id) from {name} order by all"
                if "run_id" in [c[0] for c in con.execute(f"describe {name}").fetchall()]
                else f"select * from {name} order by all"
            ).fetchall()
            for name in names
            if name != "publication"
        }


def _fact(settings: Settings, customer_id: str, as_of: str = "2025-03-31") -> dict[str, object]:
    with _connect(settings) as con:
        cursor = con.execute(
            "select * from fct_customer_facts where customer_id = ? and as_of_date = ?",
            [customer_id, as_of],
        )
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    assert len(rows) == 1, f"expected one fact row for {customer_id} as of {as_of}"
    return dict(zip(columns, rows[0], strict=True))


def test_every_run_succeeds(runs) -> None:
    for outcome in runs["outcomes"]:
        assert isinstance(outcome, RunOutcome)
        assert outcome.success, outcome.report()


def test_dbt_runs_with_the_settings_number_of_threads(runs) -> None:
    # Each dbt command logs its threads once; older ones may have rotated out of the log.
    assert runs["dbt_threads"]
    assert set(runs["dbt_threads"]) == {3}


def test_the_dagster_instance_records_every_dbt_test_of_a_run(
    runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The home's Dagster instance, opened as the webserver opens it, holds each of the
    full-refresh run's dbt tests (from dbt's run_results.json) as a check evaluation."""
    monkeypatch.setenv("DAGSTER_HOME", str(runs["settings"].home / "dagster"))
    refreshed = runs["outcomes"][-1]
    with dg.DagsterInstance.get() as instance:
        records = instance.get_records_for_run(
            refreshed.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    checks = [
        record.event_log_entry.dagster_event.event_specific_data.check_name for record in records
    ]
    dbt_tests = runs["dbt_tests_full_refresh"]
    assert len(dbt_tests) > 100
    assert sorted(c for c in checks if c != "expectations") == sorted(dbt_tests)


def test_no_dagster_database_stays_open_after_the_runs(runs) -> None:
    """Five nights ran in this process, as a backfill runs them: each closed its instance."""
    assert runs["dagster_files_open"] == []


def test_summary_reports_rows_customers_and_published_path(runs) -> None:
    first = runs["outcomes"][0]
    # Folders dated on or before 2025-03-20: 3 customers + 5 + 1 transaction lines + 3 invoices
    # + 1 payment + 3 interactions + 1 statement = 17 rows read, one quarantined.
    assert (first.rows_read, first.rows_loaded, first.rows_quarantined) == (17, 16, 1)
    assert first.customers == 3
    assert first.published_path == runs["settings"].published_path
    assert "published warehouse" in first.report()


def test_bad_row_is_quarantined_with_file_line_and_reason(runs) -> None:
    rows = _table(runs["settings"], "quarantine")
    assert len(rows) == 1
    with _connect(runs["settings"]) as con:
        source, file, line, column, reason = con.execute(
            "select source, source_file, line_number, column_name, reason from quarantine"
        ).fetchone()
    assert (source, file, line, column) == (
        "transactions",
        "transactions/2025-03-01/transactions.csv",
        6,
        "quantity",
    )
    assert "abc" in reason


def test_ledger_reconciles_for_every_file(runs) -> None:
    with _connect(runs["settings"]) as con:
        bad = con.execute(
            "select source_file from ingestion_ledger "
            "where rows_read <> rows_loaded + rows_quarantined"
        ).fetchall()
    assert bad == []


def test_transaction_facts_match_hand_computation(runs) -> None:
    c1 = _fact(runs["settings"], "C1")
    # Orders O1 (1000 + 900) and O2 (2000); R1 is a return of 200 and not an order.
    assert c1["order_count_lifetime"] == 2
    assert float(c1["revenue_lifetime"]) == pytest.approx(3700)
    # (1000-600) + (900-500) + (2000-1300) + (-200+120) = 1420
    assert float(c1["gross_profit_lifetime"]) == pytest.approx(1420)
    assert float(c1["gross_margin_rate_lifetime"]) == pytest.approx(1420 / 3700)
    assert float(c1["average_order_value_lifetime"]) == pytest.approx(3900 / 2)
    assert float(c1["largest_order_amount_lifetime"]) == pytest.approx(2000)
    assert float(c1["return_amount_lifetime"]) == pytest.approx(200)
    assert c1["return_count_lifetime"] == 1
    assert c1["first_order_date"] == date(2025, 1, 10)
    assert c1["last_order_date"] == date(2025, 2, 15)
    assert c1["days_since_last_order"] == 44  # 13 days left in February + 31
    assert c1["tenure_days"] == 80  # 21 + 28 + 31
    assert float(c1["mean_days_between_orders"]) == pytest.approx(36)
    assert c1["distinct_categories_lifetime"] == 2
    # Company revenue 3700 + 500 (C2)
    assert float(c1["revenue_share_lifetime"]) == pytest.approx(3700 / 4200)


def test_finance_facts_match_hand_computation(runs) -> None:
    c1 = _fact(runs["settings"], "C1")
    assert float(c1["invoiced_amount_lifetime"]) == pytest.approx(3900)
    assert float(c1["paid_amount_lifetime"]) == pytest.approx(2900)
    assert float(c1["largest_payment_amount_lifetime"]) == pytest.approx(1900)
    assert float(c1["average_payment_amount_lifetime"]) == pytest.approx(1450)
    # P1 pays INV1 after 22 days; P2 (no invoice id) goes FIFO to INV2, 40 days after issue.
    assert float(c1["average_collection_days_lifetime"]) == pytest.approx(
        (1900 * 22 + 1000 * 40) / 2900
    )
    assert float(c1["outstanding_balance"]) == pytest.approx(1000)
    assert float(c1["overdue_amount"]) == pytest.approx(1000)
    assert c1["days_past_due"] == 14  # INV2 due 2025-03-17
    # P2 was 10 days late: (1900 * 0 + 1000 * 10) / 2900
    assert float(c1["average_days_past_due_trailing"]) == pytest.approx(10000 / 2900)
    assert float(c1["on_time_payment_rate_trailing"]) == pytest.approx(1900 / 2900)


def test_contact_and_cost_to_serve_facts_match_hand_computation(runs) -> None:
    c1 = _fact(runs["settings"], "C1")
    assert c1["interaction_count_lifetime"] == 3
    assert c1["complaint_count_lifetime"] == 1
    assert float(c1["complaint_share_lifetime"]) == pytest.approx(1 / 3)
    assert c1["open_complaint_count"] == 1
    assert c1["days_since_last_contact"] == 19  # last contact 2025-03-12
    # visit 800 + call 50 + email 20
    assert float(c1["cost_to_serve_trailing"]) == pytest.approx(870)
    assert float(c1["contribution_trailing"]) == pytest.approx(1420 - 870)


def test_financial_statement_ratios_match_hand_computation(runs) -> None:
    c1 = _fact(runs["settings"], "C1")
    assert c1["has_financial_statement"] is True
    assert float(c1["current_ratio"]) == pytest.approx(2.0)
    assert float(c1["quick_ratio"]) == pytest.approx(1.6)
    assert float(c1["debt_to_asset_ratio"]) == pytest.approx(0.4)
    assert float(c1["net_profit_margin"]) == pytest.approx(0.1)
    assert float(c1["return_on_assets"]) == pytest.approx(0.12)
    assert float(c1["receivable_days"]) == pytest.approx(60 / 300 * 365 / 4)
    assert float(c1["inventory_days"]) == pytest.approx(100 / 200 * 365 / 4)
    assert _fact(runs["settings"], "C2")["has_financial_statement"] is False


def test_customer_without_activity_has_zero_counts_and_null_ratios(runs) -> None:
    c3 = _fact(runs["settings"], "C3")
    assert c3["order_count_lifetime"] == 0
    assert float(c3["revenue_lifetime"]) == 0
    assert c3["gross_margin_rate_lifetime"] is None
    assert c3["last_order_date"] is None


def test_point_in_time_facts_ignore_later_landings(runs) -> None:
    c1 = _fact(runs["settings"], "C1", as_of="2025-03-20")
    # P2 landed on 2025-03-31, so as of 2025-03-20 INV2 is wholly open and 3 days overdue.
    assert float(c1["outstanding_balance"]) == pytest.approx(2000)
    assert c1["days_past_due"] == 3


def test_backfill_reproduces_the_nightly_result(runs) -> None:
    assert runs["facts_0320_first"], "no facts as of 2025-03-20"
    assert runs["facts_0320_backfill"] == runs["facts_0320_first"]


def test_rerunning_a_date_leaves_identical_published_tables(runs) -> None:
    assert runs["published_after_again"] == runs["published_after_main"]


def test_full_refresh_rebuilds_and_publishes_what_the_nightly_run_did(runs) -> None:
    # After a backfill of 2025-03-20, `kam run --full-refresh` of 2025-03-31 rebuilds every
    # incremental model from all history and publishes the same tables as the nightly run.
    assert runs["dbt_args_full_refresh"]["full_refresh"] is True
    assert runs["published_after_full_refresh"] == runs["published_after_main"]


def test_published_copy_holds_no_personal_data(runs) -> None:
    with _connect(runs["settings"]) as con:
        columns = {r[0] for r in con.execute("select column_name from duckdb_columns()").fetchall()}
    assert not {"key_person_name", "key_person_phone", "key_person_email"} & columns
    # No key person's name, phone or email from the landed master appears in any text column.
    personal = r"李雷|13800000001|lilei@example\.com|韩梅梅|13800000002|hmm@example\.com"
    with _connect(runs["settings"]) as con:
        text_columns = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'main' and not internal and data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in text_columns:
            hits = con.execute(
                f'select count(*) from {table} where regexp_matches("{column}", ?)', [personal]
            ).fetchall()[0][0]
            assert hits == 0, f"personal data in {table}.{column}"


def _score(settings: Settings, customer_id: str) -> dict[str, object]:
    with _connect(settings) as con:
        cursor = con.execute("select * from customer_scores where customer_id = ?", [customer_id])
        columns = [d[0] for d in cursor.description]
        return dict(zip(columns, cursor.fetchall()[0], strict=True))


def test_scores_match_hand_worked_tiers(runs) -> None:
    settings = runs["settings"]
    c1, c2, c3 = (_score(settings, c) for c in ("C1", "C2", "C3"))
    # Pyramid of 3 customers by largest remainder: 3 x (.01, .04, .15, .80) = .03/.12/.45/2.4
    # -> floors 0/0/0/2, the one left goes to the largest remainder (regular, .45).
    assert (c1["pyramid_tier"], c2["pyramid_tier"], c3["pyramid_tier"]) == (
        "regular",
        "small",
        "small",
    )
    assert c1["pyramid_tier_zh"] == "普通客户"
    # ABC: C1 starts at 0 % of 4,200 (A); C2 starts at 3,700 / 4,200 = 88 % (B); C3 has no revenue.
    assert (c1["abc_class"], c2["abc_class"], c3["abc_class"]) == ("A", "B", "C")
    # C1 holds 88 % of revenue (>= 5 %) and is strategic in the master.
    assert c1["is_key_account"] is True
    assert "revenue_share" in c1["key_account_reasons"]
    assert "strategic" in c1["key_account_reasons"]
    for score in (c1, c2, c3):
        assert score["as_of_date"] == date(2025, 3, 31)
        assert len(score["config_version"]) == 12
        # The last run of 2025-03-31 (the full refresh) wrote the current scores.
        assert score["run_id"] == runs["outcomes"][4].run_id


def test_credit_grades_are_per_quarter_with_breakdown(runs) -> None:
    with _connect(runs["settings"]) as con:
        rows = con.execute(
            "select credit_quarter, credit_quarter_end_date, count(*) "
            "from credit_grades group by all"
        ).fetchall()
        points = con.execute(
            "select credit_score, credit_points_character + credit_points_payment_record "
            "+ coalesce(credit_points_solvency, 0) + coalesce(credit_points_operations, 0) "
            "+ coalesce(credit_points_profitability, 0) from credit_grades"
        ).fetchall()
    # The 2025-03-20 runs evaluate 2024Q4, when no customer had landed yet (the master landed on
    # 2025-03-01), so that quarter has no grades; 2025-03-31 ends 2025Q1: three customers.
    assert rows == [("2025Q1", date(2025, 3, 31), 3)]
    for score, summed in points:
        assert float(score) == pytest.approx(float(summed), abs=0.01)


def test_score_history_keeps_one_row_per_customer_and_date(runs) -> None:
    with _connect(runs["settings"]) as con:
        rows = con.execute(
            "select as_of_date, count(*), count(distinct customer_id) from customer_score_history "
            "group by all order by 1"
        ).fetchall()
    assert rows == [(date(2025, 3, 20), 3, 3), (date(2025, 3, 31), 3, 3)]


def test_published_parquet_holds_what_the_published_database_does(runs) -> None:
    # Same columns with the same types (a HUGEINT, which Parquet cannot hold, once made every
    # night rewrite the whole facts file), and the same rows; history tables are a folder of one
    # file per date.
    settings = runs["settings"]
    current = settings.publish_dir / "parquet" / "current"
    with _connect(settings) as con:
        names = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        for name in names:
            if name == "publication":
                continue
            folder = current / name
            if name in {table.split(".")[1] for table in HISTORY_TABLES}:
                dates = con.execute(f"select distinct as_of_date from {name}").fetchall()
                files = sorted(p.name for p in folder.iterdir())
                assert files == sorted(f"{d.isoformat()}.parquet" for (d,) in dates), name
                parquet = f"read_parquet('{folder}/*.parquet')"
            else:
                parquet = f"read_parquet('{current / (name + '.parquet')}')"
            described = [r[:2] for r in con.execute(f"describe {name}").fetchall()]
            assert [r[:2] for r in con.execute(f"describe select * from {parquet}").fetchall()] == (
                described
            ), name
            table = con.execute(f"select * from {name} order by all").fetchall()
            assert con.execute(f"select * from {parquet} order by all").fetchall() == table, name


def test_every_write_of_a_history_date_is_logged_for_publishing(runs) -> None:
    with duckdb.connect(str(runs["settings"].warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select table_name, as_of_date, write_id from main.kam_partition_writes "
            "order by write_id"
        ).fetchall()
    # Runs: 03-20, 03-31, 03-31 again, the 03-20 backfill and the 03-31 full refresh; each
    # writes its facts, then its scores. (No quarter-end facts are built: 2024Q4 ended before
    # any customer landed, and 2025Q1 ends on 03-31 itself.)
    facts, scores = "marts.fct_customer_facts", "scores.customer_score_history"
    assert [(t, d.isoformat()) for t, d, _ in rows] == [
        (facts, "2025-03-20"),
        (scores, "2025-03-20"),
        (facts, "2025-03-31"),
        (scores, "2025-03-31"),
        (facts, "2025-03-31"),
        (scores, "2025-03-31"),
        (facts, "2025-03-20"),
        (scores, "2025-03-20"),
        (facts, "2025-03-31"),
        (scores, "2025-03-31"),
    ]
    assert [w for _, _, w in rows] == list(range(1, len(rows) + 1))
