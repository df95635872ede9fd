"""The dbt project end to end on a hand-made warehouse, with facts worked out by hand.

Timeline. Customer snapshots land on 2024-01-31 and 2024-03-31 (full) and 2024-06-30 (changes
only). Everything else lands on 2024-03-31 or 2024-06-30. The project runs for 2024-03-31 (D1)
when only the early landings exist, then for 2024-06-30 (D2) after the late landings, then for
D1 again: the backfill must reproduce the first D1 run.

Windows as of D2 = 2024-06-30: trailing (2023-06-30, 2024-06-30] = 366 days,
recent (2024-04-01, 2024-06-30], prior recent (2024-01-02, 2024-04-01].
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dbt_helpers import (
    DBT_PROJECT_DIR,
    failed_nodes,
    insert_rows,
    node_statuses,
    order_line,
    raw_warehouse,
    run_dbt,
    table_content,
)

pytestmark = pytest.mark.slow

D1 = "2024-03-31"
D2 = "2024-06-30"
EARLY = "2024-03-31"
LATE = "2024-06-30"


def customer(customer_id: str, **attributes: Any) -> dict[str, Any]:
    row = {
        "customer_id": customer_id,
        "customer_name": f"Customer {customer_id}",
        "channel_type": "direct",
        "status": "active",
        "key_person_name": "Zhang San",
        "key_person_phone": "13800000000",
    }
    return row | attributes


def invoice(invoice_id: str, customer_id: str, invoiced: str, due: str, amount: float) -> dict:
    return {
        "invoice_id": invoice_id,
        "customer_id": customer_id,
        "invoice_date": invoiced,
        "due_date": due,
        "amount": amount,
        "currency": "CNY",
    }


def payment(payment_id: str, customer_id: str, paid: str, amount: float, invoice_id=None) -> dict:
    return {
        "payment_id": payment_id,
        "customer_id": customer_id,
        "invoice_id": invoice_id,
        "payment_date": paid,
        "amount": amount,
    }


def contact(
    interaction_id: str,
    occurred_at: str,
    channel: str,
    interaction_type: str,
    status: str = "resolved",
    resolved_at: str | None = None,
    employee: str = "E1",
) -> dict[str, Any]:
    return {
        "interaction_id": interaction_id,
        "customer_id": "C1",
        "occurred_at": occurred_at,
        "channel": channel,
        "interaction_type": interaction_type,
        "status": status,
        "resolved_at": resolved_at,
        "employee": employee,
    }


def statement(period_end: str, revenue: float, **figures: float) -> dict[str, Any]:
    row = {
        "customer_id": "C1",
        "period_end_date": period_end,
        "current_assets": 1000,
        "current_liabilities": 1000,
        "inventory": 100,
        "total_assets": 5000,
        "total_liabilities": 2000,
        "revenue": revenue,
        "cost_of_goods_sold": revenue * 0.7,
        "net_profit": revenue * 0.05,
        "accounts_receivable": 500,
    }
    return row | figures


def load_early(con: duckdb.DuckDBPyConnection) -> None:
    """Landings up to D1."""
    insert_rows(
        con,
        "customers",
        "2024-01-31",
        [
            customer(
                "C1",
                is_strategic=True,
                qualitative_rating=4,
                payment_terms_days=30,
                first_cooperation_date="2020-01-01",
                key_person_role="buyer",
            ),
            customer("C2", channel_type="distributor", qualitative_rating=3, payment_terms_days=60),
            customer("C3", channel_type="retail_member"),
        ],
    )
    # Full snapshot: C1 and C3 repeat themselves, C2's rating drops to 2.
    insert_rows(
        con,
        "customers",
        EARLY,
        [
            customer(
                "C1",
                is_strategic=True,
                qualitative_rating=4,
                payment_terms_days=30,
                first_cooperation_date="2020-01-01",
                key_person_role="buyer",
            ),
            customer("C2", channel_type="distributor", qualitative_rating=2, payment_terms_days=60),
            customer("C3", channel_type="retail_member"),
        ],
    )
    insert_rows(
        con,
        "transactions",
        EARLY,
        [
            order_line("O1", 1, "C1", "2023-05-10 09:00:00", "A", 10, 1000, 600),
            order_line("O1", 2, "C1", "2023-05-10 09:00:00", "B", 5, 500, 300),
            # Category A, another product than O1's and O3's.
            order_line("O2", 1, "C1", "2024-02-15 10:00:00", "A", 20, 2000, 1300)
            | {"product_id": "P-A2"},
            order_line("O6", 1, "C2", "2024-03-10 11:00:00", "A", 30, 3000, 2000),
        ],
    )
    insert_rows(
        con,
        "invoices",
        EARLY,
        [
            invoice("I1", "C1", "2024-01-10", "2024-02-09", 1000),
            invoice("I2", "C1", "2024-02-20", "2024-03-21", 2000),
            invoice("I4", "C2", "2023-01-15", "2023-02-14", 500),
        ],
    )
    insert_rows(con, "payments", EARLY, [payment("P1", "C1", "2024-02-05", 1000, "I1")])
    insert_rows(
        con,
        "interactions",
        EARLY,
        [
            contact(
                "N1", "2023-03-01 10:00:00", "visit", "praise", "resolved", "2023-03-01 12:00:00"
            ),
            contact(
                "N2",
                "2024-01-15 10:00:00",
                "meeting",
                "complaint",
                "resolved",
                "2024-02-01 09:00:00",
            ),
            contact("N3", "2024-03-01 10:00:00", "call", "complaint", "open"),
        ],
    )
    insert_rows(
        con,
        "customer_financials",
        EARLY,
        [
            statement("2023-03-31", 8000),
            statement("2023-06-30", 9000),
        ],
    )


def load_late(con: duckdb.DuckDBPyConnection) -> None:
    """Landings after D1 up to D2, including corrections of rows that landed earlier."""
    # Changes only: C3 becomes inactive, C4 is new; C1 and C2 are not re-sent.
    insert_rows(
        con,
        "customers",
        LATE,
        [
            customer("C3", channel_type="retail_member", status="inactive"),
            customer("C4"),
        ],
    )
    insert_rows(
        con,
        "transactions",
        LATE,
        [
            # Correction of O6 line 1: 3000 / 2000 become 2700 / 1800.
            order_line("O6", 1, "C2", "2024-03-10 11:00:00", "A", 30, 2700, 1800),
            order_line("O3", 1, "C1", "2024-04-01 15:00:00", "A", 8, 800, 500),
            order_line("O4", 1, "C1", "2024-05-20 09:30:00", "C", 12, 1200, 700),
            order_line("O4", 2, "C1", "2024-05-20 09:30:00", "C", -2, -240, -140),
            # A product C1 never bought: returned only, it does not count as bought.
            order_line("R1", 1, "C1", "2024-06-10 16:00:00", "A", -5, -500, -325)
            | {"product_id": "P-A3"},
            order_line("O5", 1, "C1", "2024-07-05 08:00:00", "D", 1, 9999, 1),
            order_line("O7", 1, "C2", "2024-06-29 13:00:00", "B", 10, 1000, 900),
            order_line("O8", 1, "C9", "2024-06-01 13:00:00", "A", 1, 100, 50),
        ],
    )
    insert_rows(
        con,
        "invoices",
        LATE,
        [
            invoice("I3", "C1", "2024-06-10", "2024-07-10", 1500),
            invoice("I5", "C2", "2024-06-01", "2024-07-01", 700),
        ],
    )
    insert_rows(
        con,
        "payments",
        LATE,
        [
            payment("P2", "C1", "2024-04-10", 1200, "I2"),
            payment("P3", "C2", "2024-06-20", 300, "I5"),
        ],
    )
    insert_rows(
        con,
        "interactions",
        LATE,
        [
            # Correction: the open complaint N3 was resolved on 2024-05-01.
            contact(
                "N3", "2024-03-01 10:00:00", "call", "complaint", "resolved", "2024-05-01 10:00:00"
            ),
            contact("N4", "2024-04-01 10:00:00", "email", "task"),
            contact("N5", "2024-05-15 10:00:00", "visit", "suggestion", "open", employee="E2"),
            contact("N6", "2024-06-20 10:00:00", "call", "process"),
            contact("N7", "2024-07-02 10:00:00", "visit", "task", employee="E3"),
        ],
    )
    insert_rows(
        con,
        "customer_financials",
        LATE,
        [
            statement(
                "2024-03-31",
                10000,
                current_assets=5000,
                current_liabilities=2500,
                inventory=1000,
                total_assets=20000,
                total_liabilities=12000,
                cost_of_goods_sold=7000,
                net_profit=800,
                accounts_receivable=3000,
            ),
        ],
    )


def fetch(warehouse: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse)) as con:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


ALL_FACTS = "select * from marts.fct_customer_facts order by as_of_date, customer_id"
O6_VERSIONS = (
    "select landed_date, superseded_date, sales_amount, line_count"
    " from intermediate.int_orders_aggregated where order_id = 'O6' order by landed_date"
)
# Every incremental model: an incremental run must leave it as a full refresh would.
AGGREGATES = {
    table: table_content(table)
    for table in (
        "intermediate.int_orders_aggregated",
        "intermediate.int_transactions_aggregated_to_customer_days",
        "intermediate.int_transactions_aggregated_to_customer_categories",
        "intermediate.int_transactions_aggregated_to_customer_products",
        "intermediate.int_invoices_deduplicated",
        "intermediate.int_payments_deduplicated",
        "intermediate.int_payments_applied",
        "intermediate.int_customer_balance_events",
    )
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work_dir = tmp_path_factory.mktemp("dbt")
    with raw_warehouse(work_dir) as path:
        with duckdb.connect(str(path)) as con:
            load_early(con)
        first_d1 = run_dbt(["run", "--select", "+fct_customer_facts"], work_dir, D1)
        assert first_d1.success, failed_nodes(first_d1)
        facts_d1_first_run = fetch(path, ALL_FACTS)

        with duckdb.connect(str(path)) as con:
            load_late(con)
        build_d2 = run_dbt(["build"], work_dir, D2)
        assert build_d2.success, failed_nodes(build_d2)
        facts_d2 = {
            row["customer_id"]: row
            for row in fetch(path, f"{ALL_FACTS.split(' order')[0]} where as_of_date = '{D2}'")
        }
        history = fetch(path, "select * from marts.dim_customers_history order by all")
        dim_columns = [r["column_name"] for r in fetch(path, "describe marts.dim_customers")]

        o6_versions = fetch(path, O6_VERSIONS)
        aggregates_incremental = {table: fetch(path, sql) for table, sql in AGGREGATES.items()}

        backfill_d1 = run_dbt(["run", "--select", "+fct_customer_facts"], work_dir, D1)
        assert backfill_d1.success, failed_nodes(backfill_d1)
        facts_after_backfill = fetch(path, ALL_FACTS)

        full_refresh_d2 = run_dbt(
            ["run", "--full-refresh", "--select", "+fct_customer_facts"], work_dir, D2
        )
        assert full_refresh_d2.success, failed_nodes(full_refresh_d2)
        yield {
            "o6_versions": o6_versions,
            "aggregates_incremental": aggregates_incremental,
            "aggregates_full_refresh": {
                table: fetch(path, sql) for table, sql in AGGREGATES.items()
            },
            "facts_d2_full_refresh": {
                row["customer_id"]: row
                for row in fetch(path, f"{ALL_FACTS.split(' order')[0]} where as_of_date = '{D2}'")
            },
            "path": path,
            "build_statuses": node_statuses(build_d2),
            "facts_d1_first_run": facts_d1_first_run,
            "facts_d2": facts_d2,
            "history": history,
            "dim_columns": dim_columns,
            "facts_after_backfill": facts_after_backfill,
        }


def test_all_dbt_tests_and_unit_tests_pass(warehouse: dict[str, Any]) -> None:
    statuses = warehouse["build_statuses"]
    tests = {k: v for k, v in statuses.items() if k.startswith(("test.", "unit_test."))}
    assert len([k for k in tests if k.startswith("unit_test.")]) >= 6
    not_passing = {k: v for k, v in tests.items() if v != "pass"}
    # The only expected warning: order O8 belongs to C9, who is not in the customer master.
    assert list(not_passing.values()) == ["warn"], not_passing
    assert "relationships_stg_exports__transactions_customer_id" in next(iter(not_passing))


def test_one_row_per_customer_known_on_the_as_of_date(warehouse: dict[str, Any]) -> None:
    # C4 lands on D2; C9 only appears in transactions and is not a customer.
    assert sorted(warehouse["facts_d2"]) == ["C1", "C2", "C3", "C4"]
    d1_ids = [row["customer_id"] for row in warehouse["facts_d1_first_run"]]
    assert d1_ids == ["C1", "C2", "C3"]


def test_returns_count_as_negative_revenue_and_not_as_orders(warehouse: dict[str, Any]) -> None:
    c1 = warehouse["facts_d2"]["C1"]
    # 1000 + 500 (O1) + 2000 (O2) + 800 (O3) + 1200 − 240 (O4) − 500 (R1); O5 is after D2
    assert c1["revenue_lifetime"] == 4760
    # (400 + 200) + 700 + 300 + (500 − 100) + (−500 + 325)
    assert c1["gross_profit_lifetime"] == 1825
    assert c1["order_count_lifetime"] == 4  # O1 O2 O3 O4; R1 holds only a return
    assert c1["return_amount_lifetime"] == 740  # 240 + 500
    assert c1["return_count_lifetime"] == 2  # O4 and R1
    assert c1["gross_margin_rate_lifetime"] == pytest.approx(1825 / 4760)
    assert c1["average_order_value_lifetime"] == pytest.approx((1500 + 2000 + 800 + 1200) / 4)
    assert c1["largest_order_amount_lifetime"] == 2000


def test_windows_exclude_the_left_boundary(warehouse: dict[str, Any]) -> None:
    c1 = warehouse["facts_d2"]["C1"]
    # Trailing drops O1 (2023-05-10): 2000 + 800 + 1200 − 240 − 500
    assert c1["revenue_trailing"] == 3260
    assert c1["gross_profit_trailing"] == 1225  # 700 + 300 + 400 − 175
    assert c1["order_count_trailing"] == 3
    # O3 on 2024-04-01 is exactly 90 days before D2: outside recent. 1200 − 240 − 500
    assert c1["revenue_recent"] == 460
    assert c1["order_count_recent"] == 1
    assert c1["return_count_recent"] == 2
    assert c1["average_order_value_trailing"] == pytest.approx(4000 / 3)
    assert c1["average_order_value_recent"] == 1200
    assert c1["gross_margin_rate_recent"] == pytest.approx(225 / 460)
    assert c1["revenue_recent_last_year"] == 1500  # O1 in (2023-04-01, 2023-06-30]
    assert c1["revenue_prior_trailing"] == 1500  # O1 in (2022-06-30, 2023-06-30]


def test_order_timing_and_categories(warehouse: dict[str, Any]) -> None:
    c1 = warehouse["facts_d2"]["C1"]
    assert c1["first_order_date"] == date(2023, 5, 10)
    assert c1["last_order_date"] == date(2024, 5, 20)
    assert c1["days_since_last_order"] == 41  # 11 days left in May + 30 in June
    assert c1["tenure_days"] == 417  # 366 to 2024-05-10 (leap year) + 21 + 30
    # (2024-05-20 − 2023-05-10) / (4 order dates − 1) = 376 / 3
    assert c1["mean_days_between_orders"] == pytest.approx(376 / 3)
    assert c1["distinct_categories_lifetime"] == 3  # A, B, C; D is after D2
    assert c1["distinct_categories_trailing"] == 2  # A (O2, O3), C (O4)
    # Products P-A (O1, O3), P-B (O1), P-A2 (O2), P-C (O4); R1's P-A3 was only returned
    assert c1["distinct_products_lifetime"] == 4
    assert c1["distinct_products_trailing"] == 3  # P-A (O3), P-A2, P-C; P-B last 2023-05-10
    c2 = warehouse["facts_d2"]["C2"]
    assert (c2["distinct_products_lifetime"], c2["distinct_products_trailing"]) == (2, 2)
    c3 = warehouse["facts_d2"]["C3"]
    assert (c3["distinct_products_lifetime"], c3["distinct_products_trailing"]) == (0, 0)
    assert c1["expected_sales_next_period"] == pytest.approx(3260 / 366 * 90)
    # Company trailing revenue 3260 (C1) + 3700 (C2) + 100 (C9, not in the master)
    assert c1["revenue_share_trailing"] == pytest.approx(3260 / 7060)
    assert c1["revenue_share_lifetime"] == pytest.approx(4760 / 8560)


def test_customer_attributes_come_from_the_latest_snapshot(warehouse: dict[str, Any]) -> None:
    facts = warehouse["facts_d2"]
    assert facts["C1"]["first_cooperation_date"] == date(2020, 1, 1)
    assert facts["C1"]["cooperation_years"] == pytest.approx(1642 / 365.25)
    assert facts["C1"]["is_strategic"] is True
    # C2 has no first cooperation date in the master: its first order (2024-03-10) stands in.
    assert facts["C2"]["first_cooperation_date"] == date(2024, 3, 10)
    assert facts["C2"]["qualitative_rating"] == 2
    assert facts["C3"]["status"] == "inactive"
    assert facts["C3"]["order_count_lifetime"] == 0
    assert facts["C3"]["revenue_lifetime"] == 0
    assert facts["C3"]["gross_margin_rate_lifetime"] is None


def test_fifo_collection_and_lateness(warehouse: dict[str, Any]) -> None:
    c1 = warehouse["facts_d2"]["C1"]
    assert c1["invoiced_amount_trailing"] == 4500  # 1000 + 2000 + 1500
    assert c1["paid_amount_trailing"] == 2200
    assert c1["payment_count_trailing"] == 2
    assert c1["largest_payment_amount_trailing"] == 1200
    assert c1["average_payment_amount_trailing"] == pytest.approx(1100)
    assert c1["outstanding_balance"] == 2300
    # P1 → I1: 1000 after 26 days, on time. P2 → I2 (partial): 1200 after 50 days, 20 days late.
    assert c1["average_collection_days_trailing"] == pytest.approx((1000 * 26 + 1200 * 50) / 2200)
    assert c1["average_days_past_due_trailing"] == pytest.approx(1200 * 20 / 2200)
    assert c1["average_days_past_due_recent"] == pytest.approx(20)
    assert c1["on_time_payment_rate_trailing"] == pytest.approx(1000 / 2200)
    # I2 has 800 open, due 2024-03-21: 10 + 30 + 31 + 30 = 101 days; I3 is not due yet.
    assert c1["overdue_amount"] == 800
    assert c1["days_past_due"] == 101
    assert c1["max_days_past_due_trailing"] == 101
    # The recent window (2024-04-01, 2024-06-30] holds P2 only: 50 days, late, and I2 still open.
    assert c1["average_collection_days_recent"] == pytest.approx(50)
    assert c1["on_time_payment_rate_recent"] == 0
    assert c1["max_days_past_due_recent"] == 101
    # C2: P3 settles I4 on 2024-06-20 in the recent window, 522 days after invoicing and 492
    # late (see test_payments_settle_the_oldest_invoice_whatever_they_name); I4 is still 502
    # days past due.
    c2 = warehouse["facts_d2"]["C2"]
    assert c2["on_time_payment_rate_recent"] == 0
    assert c2["on_time_payment_rate_trailing"] == 0  # paid, all late: 0, not unknown
    assert c2["average_collection_days_recent"] == pytest.approx(522)
    assert c2["max_days_past_due_recent"] == 502
    assert c1["long_overdue_amount"] == 0
    assert c1["dso_days"] == pytest.approx(2300 / 4500 * 366)


def test_average_balance_is_time_weighted(warehouse: dict[str, Any]) -> None:
    facts = warehouse["facts_d2"]
    # C1: 1000 × 26 days + 0 + 2000 × 50 + 800 × 61 + 2300 × 21 (2024-06-10 to 07-01)
    assert facts["C1"]["average_outstanding_balance_trailing"] == pytest.approx(223100 / 366)
    assert facts["C1"]["average_outstanding_ratio_trailing"] == pytest.approx(223100 / 366 / 4500)
    # C2: the 500 from before the window counts from 2023-07-01: 500 × 336 + 1200 × 19 + 900 × 11
    assert facts["C2"]["average_outstanding_balance_trailing"] == pytest.approx(200700 / 366)


def test_payments_settle_the_oldest_invoice_whatever_they_name(warehouse: dict[str, Any]) -> None:
    c2 = warehouse["facts_d2"]["C2"]
    # P3 names I5 but settles I4 (2023-01-15, due 2023-02-14): 522 days to pay, 492 late.
    assert c2["average_collection_days_lifetime"] == pytest.approx(522)
    assert c2["average_days_past_due_trailing"] == pytest.approx(492)
    # I4 keeps 200 open, 502 days past due (> 365): all of it is long overdue; I5 is not due.
    assert c2["overdue_amount"] == 200
    assert c2["days_past_due"] == 502
    assert c2["long_overdue_amount"] == 200
    assert c2["outstanding_balance"] == 900  # 500 + 700 − 300


def test_contact_counts_shares_and_cost(warehouse: dict[str, Any]) -> None:
    c1 = warehouse["facts_d2"]["C1"]
    assert c1["interaction_count_lifetime"] == 6  # N1–N6; N7 is after D2
    assert c1["interaction_count_trailing"] == 5  # N1 (2023-03-01) is out
    assert c1["interaction_count_recent"] == 2  # N5, N6; N4 on 2024-04-01 is on the boundary
    assert c1["interaction_count_prior_recent"] == 3  # N2, N3, N4
    assert c1["complaint_count_trailing"] == 2
    assert c1["complaint_share_trailing"] == pytest.approx(2 / 5)
    assert c1["praise_share_lifetime"] == pytest.approx(1 / 6)
    assert c1["praise_share_trailing"] == 0
    assert c1["open_complaint_count"] == 0  # N3 was resolved 2024-05-01
    assert c1["last_contact_date"] == date(2024, 6, 20)
    assert c1["days_since_last_contact"] == 10
    # meeting 500 + call 50 + email 20 + visit 800 + call 50
    assert c1["cost_to_serve_trailing"] == 1420
    assert c1["contribution_trailing"] == 1225 - 1420
    assert warehouse["facts_d2"]["C2"]["complaint_share_trailing"] is None
    # E1 on N2-N4 and N6, E2 on N5; E3's N7 is after D2.
    assert c1["contact_employee_count_trailing"] == 2
    assert warehouse["facts_d2"]["C2"]["contact_employee_count_trailing"] == 0


def test_steadiness_counts_the_trailing_years_with_revenue(warehouse: dict[str, Any]) -> None:
    facts = warehouse["facts_d2"]
    # Years back from D2: (2023-06-30, 2024-06-30], (2022-06-30, 2023-06-30],
    # (2021-06-30, 2022-06-30]. The first order of anyone is 2023-05-10, so the company's
    # history reaches into the first two.
    assert {c: facts[c]["observed_trailing_windows"] for c in facts} == dict.fromkeys(facts, 2)
    # C1: 3,260 this year (see test_windows_exclude_the_left_boundary), 1,500 the year before.
    assert facts["C1"]["active_trailing_windows"] == 2
    assert facts["C1"]["largest_trailing_window_share"] == pytest.approx(3260 / (3260 + 1500))
    # C2: 2,700 + 1,000 this year only.
    assert facts["C2"]["active_trailing_windows"] == 1
    assert facts["C2"]["largest_trailing_window_share"] == pytest.approx(1.0)
    assert facts["C3"]["active_trailing_windows"] == 0
    assert facts["C3"]["largest_trailing_window_share"] is None


def test_financial_ratios_from_the_latest_statement(warehouse: dict[str, Any]) -> None:
    c1 = warehouse["facts_d2"]["C1"]
    assert c1["has_financial_statement"] is True
    assert c1["statement_period_end_date"] == date(2024, 3, 31)
    assert c1["statement_age_days"] == 91
    assert c1["current_ratio"] == pytest.approx(5000 / 2500)
    assert c1["quick_ratio"] == pytest.approx((5000 - 1000) / 2500)
    assert c1["debt_to_asset_ratio"] == pytest.approx(12000 / 20000)
    assert c1["net_profit_margin"] == pytest.approx(800 / 10000)
    assert c1["return_on_assets"] == pytest.approx(800 * 4 / 20000)
    assert c1["asset_turnover"] == pytest.approx(10000 * 4 / 20000)
    assert c1["receivable_days"] == pytest.approx(3000 * 365 / 40000)
    assert c1["inventory_days"] == pytest.approx(1000 * 365 / 28000)
    assert c1["revenue_growth"] == pytest.approx(10000 / 8000 - 1)
    assert c1["cost_of_goods_sold_annualised"] == pytest.approx(7000 * 4)
    assert warehouse["facts_d2"]["C2"]["has_financial_statement"] is False
    assert warehouse["facts_d2"]["C2"]["current_ratio"] is None


def test_first_run_on_d1_sees_only_what_had_landed(warehouse: dict[str, Any]) -> None:
    facts = {row["customer_id"]: row for row in warehouse["facts_d1_first_run"]}
    assert facts["C2"]["revenue_lifetime"] == 3000  # before the correction to 2700
    assert facts["C1"]["open_complaint_count"] == 1  # N3 still open then
    assert facts["C1"]["outstanding_balance"] == 2000  # I1 + I2 − P1
    assert facts["C1"]["days_past_due"] == 10  # I2 due 2024-03-21
    # The 2024-03-31 statement landed only on D2; the latest known on D1 ends 2023-06-30.
    assert facts["C1"]["statement_period_end_date"] == date(2023, 6, 30)
    assert facts["C1"]["statement_age_days"] == 275
    assert facts["C1"]["revenue_growth"] is None


def test_backfill_reproduces_the_original_run(warehouse: dict[str, Any]) -> None:
    after = warehouse["facts_after_backfill"]
    rerun_d1 = [row for row in after if row["as_of_date"] == date(2024, 3, 31)]
    assert rerun_d1 == warehouse["facts_d1_first_run"]


def test_rerunning_a_date_replaces_it_without_touching_others(warehouse: dict[str, Any]) -> None:
    after = warehouse["facts_after_backfill"]
    keys = [(row["as_of_date"], row["customer_id"]) for row in after]
    assert len(keys) == len(set(keys)) == 3 + 4
    d2_rows = {row["customer_id"]: row for row in after if row["as_of_date"] == date(2024, 6, 30)}
    assert d2_rows == warehouse["facts_d2"]


def test_a_correction_in_a_later_folder_closes_the_earlier_version(
    warehouse: dict[str, Any],
) -> None:
    # O6 line 1 landed at 3000 on D1 and was corrected to 2700 in the D2 folder: the D2 run
    # (incremental) kept the first version, valid until D2, and added the correction.
    assert warehouse["o6_versions"] == [
        {
            "landed_date": date(2024, 3, 31),
            "superseded_date": date(2024, 6, 30),
            "sales_amount": 3000,
            "line_count": 1,
        },
        {
            "landed_date": date(2024, 6, 30),
            "superseded_date": None,
            "sales_amount": 2700,
            "line_count": 1,
        },
    ]
    # O6 corrected (2700, not 3000) + O7 (1000); gross profit (2700 − 1800) + (1000 − 900).
    assert warehouse["facts_d2"]["C2"]["revenue_lifetime"] == 3700
    assert warehouse["facts_d2"]["C2"]["gross_profit_lifetime"] == 1000


def test_incremental_run_equals_a_full_refresh_build(warehouse: dict[str, Any]) -> None:
    assert warehouse["aggregates_full_refresh"] == warehouse["aggregates_incremental"]
    assert warehouse["facts_d2_full_refresh"] == warehouse["facts_d2"]


PASSED = "select model_name, passed_through, passed_run from main.kam_tests_passed order by all"
RUN_SCOPED = [
    "int_customer_balance_events",
    "int_interactions_deduplicated",
    "int_invoices_deduplicated",
    "int_orders_aggregated",
    "int_payments_applied",
    "int_payments_deduplicated",
    "int_transactions_aggregated_to_customer_categories",
    "int_transactions_aggregated_to_customer_days",
    "int_transactions_aggregated_to_customer_products",
]
# The latest version of each invoice, payment and contact event: one key column (`unique`) and a
# customer_id with a relationships test, where the aggregates have a combination of columns.
DEDUPLICATED = [
    "int_interactions_deduplicated",
    "int_invoices_deduplicated",
    "int_payments_deduplicated",
]


# A defect in a row of D1 for each table whose tests are scoped: (SQL that breaks it, SQL that
# mends it, a fragment of the name of the one data test it fails).
FACTS_C1_D1 = f"where as_of_date = '{D1}' and customer_id = 'C1'"
SCOPED_DEFECTS = {
    # x -> -x - 1 is negative for every x >= 0, and undoes itself.
    "fct_customer_facts": (
        f"update marts.fct_customer_facts set cooperation_years = -cooperation_years - 1 "
        f"{FACTS_C1_D1}",
        f"update marts.fct_customer_facts set cooperation_years = -cooperation_years - 1 "
        f"{FACTS_C1_D1}",
        "cooperation_years",
    ),
    # D1's folder holds one order line twice (ingestion would have quarantined the second);
    # the copy is the table's last row.
    "stg_exports__transactions": (
        "insert into raw.transactions select * from raw.transactions "
        f"where _business_date = '{D1}' order by _source_file, _source_line limit 1",
        "delete from raw.transactions where rowid = (select max(rowid) from raw.transactions)",
        "dbt_utils_unique_combination_of_columns",
    ),
}


def test_scoped_models_are_tested_through_the_d2_build(warehouse: dict[str, Any]) -> None:
    # The D2 build, dbt's second run (D1, D2, the D1 backfill, the full refresh), is the only
    # run with tests, and they all passed.
    scoped = sorted(["fct_customer_facts", "stg_exports__transactions", *RUN_SCOPED])
    assert fetch(warehouse["path"], PASSED) == [
        {"model_name": name, "passed_through": date(2024, 6, 30), "passed_run": 2}
        for name in scoped
    ]
    runs = "select run_seq, command from main.kam_dbt_runs order by run_seq"
    assert [tuple(row.values()) for row in fetch(warehouse["path"], runs)] == [
        (1, "run"),
        (2, "build"),
        (3, "run"),
        (4, "run"),
    ]


@pytest.mark.parametrize("model", sorted(SCOPED_DEFECTS))
def test_scoped_tests_check_what_no_passing_night_has_tested(
    warehouse: dict[str, Any], tmp_path: Path, model: str
) -> None:
    break_sql, mend_sql, failing_name = SCOPED_DEFECTS[model]
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse["path"], copy)
    wal = Path(f"{warehouse['path']}.wal")  # dbt's last writes may not be checkpointed yet
    if wal.exists():
        shutil.copyfile(wal, f"{copy}.wal")

    def execute(sql: str, *params: Any) -> list[tuple]:
        with duckdb.connect(str(copy)) as con:
            return con.execute(sql, list(params)).fetchall()

    def failing(as_of: str) -> list[str]:
        result = run_dbt(["test", "--select", model], tmp_path, as_of)
        return [n for n, status in node_statuses(result).items() if status == "fail"]

    def passed_through() -> list[tuple]:
        return execute(
            "select passed_through from main.kam_tests_passed where model_name = ?", model
        )

    execute(break_sql)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("KAM_WAREHOUSE_PATH", str(copy))
        # D1 was tested when D2's tests passed: a night's tests do not grow with history.
        assert failing(D2) == []
        # A run as of D1 tests D1 again.
        failed = failing(D1)
        assert len(failed) == 1 and failing_name in failed[0], failed

        # As if D1's night had failed (the last passing night was the day before): the D2
        # night tests D1 too, fails, and records nothing, so the next night still does.
        execute(
            "update main.kam_tests_passed set passed_through = date '2024-03-30' "
            "where model_name = ?",
            model,
        )
        for _ in range(2):
            failed = failing(D2)
            assert len(failed) == 1 and failing_name in failed[0], failed
            assert passed_through() == [(date(2024, 3, 30),)]

        # Once D1 is mended, the D2 night passes and records it.
        execute(mend_sql)
        assert failing(D2) == []
        assert passed_through() == [(date(2024, 6, 30),)]


# For each model whose tests are scoped by the run that wrote a row: its table, and a defect
# that fails exactly one of its row-level tests (column -> SQL expression, test name fragment).
# The de-duplicated tables' rows also get a customer no snapshot holds (their relationships test).
RUN_SCOPED_DEFECTS = {
    "int_interactions_deduplicated": (
        "intermediate",
        {"occurred_date": "null"},
        "not_null_int_interactions_deduplicated_occurred_date",
    ),
    "int_invoices_deduplicated": (
        "intermediate",
        {"due_date": "null"},
        "not_null_int_invoices_deduplicated_due_date",
    ),
    "int_payments_deduplicated": (
        "intermediate",
        {"payment_date": "null"},
        "not_null_int_payments_deduplicated_payment_date",
    ),
    "int_customer_balance_events": (
        "intermediate",
        {"next_event_date": "event_date"},
        "dbt_utils_expression_is_true_int_customer_balance_events_next_event_date",
    ),
    "int_orders_aggregated": (
        "intermediate",
        {"order_id": "null"},
        "not_null_int_orders_aggregated_order_id",
    ),
    "int_payments_applied": (
        "intermediate",
        {"settlement_id": "null"},
        "not_null_int_payments_applied_settlement_id",
    ),
    "int_transactions_aggregated_to_customer_categories": (
        "intermediate",
        {"product_category": "null"},
        "not_null_int_transactions_aggregated_to_customer_categories_product_category",
    ),
    "int_transactions_aggregated_to_customer_days": (
        "intermediate",
        {"ordered_date": "null"},
        "not_null_int_transactions_aggregated_to_customer_days_ordered_date",
    ),
    "int_transactions_aggregated_to_customer_products": (
        "intermediate",
        {"product_id": "null"},
        "not_null_int_transactions_aggregated_to_customer_products_product_id",
    ),
}


def test_run_scoped_tests_check_the_rows_written_since_they_last_passed(
    warehouse: dict[str, Any], tmp_path: Path
) -> None:
    assert sorted(RUN_SCOPED_DEFECTS) == RUN_SCOPED
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse["path"], copy)
    wal = Path(f"{warehouse['path']}.wal")
    if wal.exists():
        shutil.copyfile(wal, f"{copy}.wal")

    def execute(sql: str) -> list[tuple]:
        with duckdb.connect(str(copy)) as con:
            return con.execute(sql).fetchall()

    def outcome() -> dict[str, str]:
        """dbt test of the nine models: status of each of their data tests that did not pass."""
        result = run_dbt(
            ["test", "--select", *RUN_SCOPED, "--exclude-resource-type", "unit_test"], tmp_path, D2
        )
        statuses = node_statuses(result)
        assert statuses, failed_nodes(result)
        return {
            node.split(".")[2]: status
            for node, status in statuses.items()
            if status != "pass" and any(model in node for model in RUN_SCOPED)
        }

    def passed_runs() -> set[int]:
        names = ", ".join(f"'{name}'" for name in RUN_SCOPED)
        return {
            r[0]
            for r in execute(
                f"select passed_run from main.kam_tests_passed where model_name in ({names})"
            )
        }

    def last_run() -> int:
        return execute("select max(run_seq) from main.kam_dbt_runs")[0][0]

    relationships = {f"relationships_{m}_customer_id" for m in DEDUPLICATED}
    uniqueness = {
        f"dbt_utils_unique_combination_of_columns_{m}" for m in RUN_SCOPED if m not in DEDUPLICATED
    }
    uniqueness |= {
        "unique_int_interactions_deduplicated_interaction_id",
        "unique_int_invoices_deduplicated_invoice_id",
        "unique_int_payments_deduplicated_payment_id",
    }

    def names(failures: dict[str, str]) -> dict[str, str]:
        """Test names cut to the fragments above (dbt appends a hash to long ones)."""
        fragments = [d[2] for d in RUN_SCOPED_DEFECTS.values()] + [*relationships, *uniqueness]
        cut = {}
        for name, status in failures.items():
            matches = [f for f in fragments if name.startswith(f)]
            assert len(matches) == 1, name
            cut[matches[0]] = status
        return cut

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("KAM_WAREHOUSE_PATH", str(copy))
        # The fixture's last run (the full refresh) rewrote every row and ran no test: they
        # are all tested now, and pass.
        assert outcome() == {}
        assert passed_runs() == {last_run()}

        # Defects in rows written before that run: row-level tests do not check them again.
        # A relationships test does: the customer master may have lost the key since.
        originals = {}
        for model, (schema, breaks, _) in RUN_SCOPED_DEFECTS.items():
            table = f"{schema}.{model}"
            if model in DEDUPLICATED:
                breaks = breaks | {"customer_id": "'C404'"}
            row = execute(f"select rowid, {', '.join(breaks)} from {table} order by rowid desc")[0]
            originals[model] = (row[0], dict(zip(breaks, row[1:], strict=True)))
            assignments = ", ".join(f"{column} = {value}" for column, value in breaks.items())
            execute(f"update {table} set {assignments} where rowid = {row[0]}")
        assert names(outcome()) == {name: "warn" for name in relationships}
        assert passed_runs() == {last_run()}  # a warning passes

        # The same rows as if a later run had written them but failed its tests, and beside
        # them a copy of each table's first row, as if a delete+insert had kept the old
        # version: every defect fails, the copy's key against the old row's too.
        marked = last_run() + 1
        for model, (schema, _, _) in RUN_SCOPED_DEFECTS.items():
            table = f"{schema}.{model}"
            execute(
                f"update {table} set written_in_run = {marked} where rowid = {originals[model][0]}"
            )
            execute(
                f"insert into {table} select * replace ({marked} as written_in_run) from {table} "
                f"where rowid = (select min(rowid) from {table})"
            )
        expected = {d[2]: "fail" for d in RUN_SCOPED_DEFECTS.values()}
        expected |= {name: "fail" for name in uniqueness}
        expected |= {name: "warn" for name in relationships}
        passed_before = passed_runs()
        for _ in range(2):  # a failed night records nothing, so the next night tests them again
            assert names(outcome()) == expected
            assert passed_runs() == passed_before

        # Mended: the next run passes and records itself.
        for model, (schema, _, _) in RUN_SCOPED_DEFECTS.items():
            table = f"{schema}.{model}"
            rowid, values = originals[model]
            execute(f"delete from {table} where rowid = (select max(rowid) from {table})")
            with duckdb.connect(str(copy)) as con:
                con.execute(
                    f"update {table} set {', '.join(f'{c} = ?' for c in values)} where rowid = ?",
                    [*values.values(), rowid],
                )
        assert outcome() == {}
        assert passed_runs() == {last_run()}


def test_customer_history_collapses_repeated_snapshots(warehouse: dict[str, Any]) -> None:
    versions = [
        (row["customer_id"], row["valid_from"], row["valid_to"], row["is_current"])
        for row in warehouse["history"]
    ]
    assert versions == [
        ("C1", date(2024, 1, 31), None, True),
        ("C2", date(2024, 1, 31), date(2024, 3, 31), False),
        ("C2", date(2024, 3, 31), None, True),
        ("C3", date(2024, 1, 31), date(2024, 6, 30), False),
        ("C3", date(2024, 6, 30), None, True),
        ("C4", date(2024, 6, 30), None, True),
    ]


def test_personal_data_is_not_published(warehouse: dict[str, Any]) -> None:
    columns = set(warehouse["dim_columns"])
    assert "key_person_role" in columns
    assert not columns & {"key_person_name", "key_person_phone", "key_person_email"}


def test_every_model_column_is_documented(warehouse: dict[str, Any]) -> None:
    models_dir = DBT_PROJECT_DIR / "models"
    for yml in sorted(models_dir.rglob("*__models.yml")):
        for model in yaml.safe_load(yml.read_text(encoding="utf-8"))["models"]:
            rows = fetch(
                warehouse["path"],
                "select column_name from information_schema.columns"
                f" where table_name = '{model['name']}' order by ordinal_position",
            )
            documented = [(c["name"], bool(c.get("description"))) for c in model["columns"]]
            assert documented == [(r["column_name"], True) for r in rows], model["name"]
