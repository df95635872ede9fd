"""Superseded dates of order-line versions in the four order-line aggregates, worked by hand.

A full build computes superseded_date with a window only for the order lines that have several
versions (macro transaction_versions_to_aggregate); every other line gets null. Timeline:

- D1 (2024-03-31, first build, full): O1 lines 1-3 and O2 line 1 for C1; O3 line 1 twice in
  the same file (line 7, then line 8: the earlier version is never valid); O4 line 1, a
  return, for C2. Each line's product is P-<category>, except O1 line 3's, P-A3.
- D2 (2024-04-01, incremental night): O1 line 2 corrected from 200 to 250; O2 line 1 moved
  from C1 to C2; O5 line 1, new, for C3.

Single-version lines: O1 lines 1 and 3, O4 line 1, O5 line 1 (null superseded_date throughout).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_helpers import failed_nodes, insert_rows, order_line, raw_warehouse, run_dbt

pytestmark = pytest.mark.slow

D1, D2 = "2024-03-31", "2024-04-01"
DAY1, DAY2 = date(2024, 3, 31), date(2024, 4, 1)
MODELS = (
    "int_orders_aggregated",
    "int_transactions_aggregated_to_customer_days",
    "int_transactions_aggregated_to_customer_categories",
    "int_transactions_aggregated_to_customer_products",
)
SELECT = ["run", "--select", *(f"+{model}" for model in MODELS)]
ORDERS = (
    "select customer_id, order_id, landed_date, superseded_date, order_date, last_return_date,"
    " has_sales_line, has_return_line, sales_amount, return_amount, line_count"
    " from intermediate.int_orders_aggregated order by all"
)
DAYS = (
    "select customer_id, ordered_date, landed_date, superseded_date, revenue, gross_profit,"
    " return_amount, line_count"
    " from intermediate.int_transactions_aggregated_to_customer_days order by all"
)
CATEGORIES = (
    "select customer_id, product_category, landed_date, superseded_date, first_sales_date,"
    " last_sales_date, line_count"
    " from intermediate.int_transactions_aggregated_to_customer_categories order by all"
)
PRODUCTS = (
    "select customer_id, product_id, landed_date, superseded_date, first_sales_date,"
    " last_sales_date, line_count"
    " from intermediate.int_transactions_aggregated_to_customer_products order by all"
)
COMPILED = Path("target/compiled/kam/models/intermediate/int_orders_aggregated.sql")


def line(
    order_id: str,
    line_number: int,
    customer_id: str,
    ordered: str,
    category: str,
    quantity: int,
    amount: int,
    cost: int,
) -> dict[str, Any]:
    """An order line ordered at 10:00 on date `ordered`."""
    return order_line(
        order_id, line_number, customer_id, f"{ordered} 10:00:00", category, quantity, amount, cost
    )


D1_LINES = [
    line("O1", 1, "C1", "2024-03-10", "A", 1, 100, 60),
    line("O1", 2, "C1", "2024-03-10", "B", 2, 200, 120),
    line("O1", 3, "C1", "2024-03-10", "A", 1, 10, 5) | {"product_id": "P-A3"},
    line("O2", 1, "C1", "2024-03-20", "A", 1, 300, 200),
    line("O4", 1, "C2", "2024-03-30", "A", -1, -50, -30),
    # Source lines 7 and 8 of the same file: the later one wins the same day.
    line("O3", 1, "C2", "2024-03-25", "B", 1, 400, 300),
    line("O3", 1, "C2", "2024-03-25", "B", 1, 450, 300),
]
D2_LINES = [
    line("O1", 2, "C1", "2024-03-10", "B", 2, 250, 120),
    line("O2", 1, "C2", "2024-03-20", "A", 1, 300, 200),
    line("O5", 1, "C3", "2024-04-01", "C", 1, 500, 100),
]


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        return con.execute(sql).fetchall()


def snapshot(path: Path) -> dict[str, list[tuple]]:
    return {
        "orders": rows(path, ORDERS),
        "days": rows(path, DAYS),
        "categories": rows(path, CATEGORIES),
        "products": rows(path, PRODUCTS),
    }


def build(work_dir: Path, as_of: str, *extra: str) -> str:
    """Run the four aggregates as of `as_of`; the path int_orders_aggregated took."""
    result = run_dbt([*SELECT, *extra], work_dir, as_of)
    assert result.success, failed_nodes(result)
    compiled = (work_dir / COMPILED).read_text(encoding="utf-8")
    return "incremental" if "touched_lines" in compiled else "full"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work_dir = tmp_path_factory.mktemp("dbt_versions")
    with raw_warehouse(work_dir) as path:
        with duckdb.connect(str(path)) as con:
            insert_rows(con, "transactions", D1, D1_LINES)
        out: dict[str, Any] = {"d1_path": build(work_dir, D1), "d1": snapshot(path)}
        with duckdb.connect(str(path)) as con:
            insert_rows(con, "transactions", D2, D2_LINES)
        out["d2_path"] = build(work_dir, D2)
        out["d2"] = snapshot(path)
        out["d2_full_refresh_path"] = build(work_dir, D2, "--full-refresh")
        out["d2_full_refresh"] = snapshot(path)
        yield out


def test_first_build_is_full_and_next_night_incremental(runs: dict[str, Any]) -> None:
    assert runs["d1_path"] == "full"
    assert runs["d2_path"] == "incremental"
    assert runs["d2_full_refresh_path"] == "full"


def test_full_build_closes_a_version_replaced_the_same_day(runs: dict[str, Any]) -> None:
    assert runs["d1"]["orders"] == [
        # O1: lines 1, 2 and 3, each with one version so far.
        ("C1", "O1", DAY1, None, date(2024, 3, 10), None, True, False, 310, 0, 3),
        ("C1", "O2", DAY1, None, date(2024, 3, 20), None, True, False, 300, 0, 1),
        # O3 line 1 at 400 is replaced by source line 8 in the same folder: never valid.
        ("C2", "O3", DAY1, DAY1, date(2024, 3, 25), None, True, False, 400, 0, 1),
        ("C2", "O3", DAY1, None, date(2024, 3, 25), None, True, False, 450, 0, 1),
        ("C2", "O4", DAY1, None, None, date(2024, 3, 30), False, True, 0, 50, 1),
    ]


def test_orders_after_a_correction_and_a_move(runs: dict[str, Any]) -> None:
    assert runs["d2"]["orders"] == [
        # O1 line 2 at 200 is closed by its D2 correction; lines 1 and 3 (110) stay open.
        ("C1", "O1", DAY1, DAY2, date(2024, 3, 10), None, True, False, 200, 0, 1),
        ("C1", "O1", DAY1, None, date(2024, 3, 10), None, True, False, 110, 0, 2),
        ("C1", "O1", DAY2, None, date(2024, 3, 10), None, True, False, 250, 0, 1),
        # O2 moved to C2 on D2: C1's version is closed, C2's open.
        ("C1", "O2", DAY1, DAY2, date(2024, 3, 20), None, True, False, 300, 0, 1),
        ("C2", "O2", DAY2, None, date(2024, 3, 20), None, True, False, 300, 0, 1),
        ("C2", "O3", DAY1, DAY1, date(2024, 3, 25), None, True, False, 400, 0, 1),
        ("C2", "O3", DAY1, None, date(2024, 3, 25), None, True, False, 450, 0, 1),
        ("C2", "O4", DAY1, None, None, date(2024, 3, 30), False, True, 0, 50, 1),
        ("C3", "O5", DAY2, None, date(2024, 4, 1), None, True, False, 500, 0, 1),
    ]


def test_customer_days_after_a_correction_and_a_move(runs: dict[str, Any]) -> None:
    assert runs["d2"]["days"] == [
        # revenue, gross profit (amount − cost), return amount, versions
        ("C1", date(2024, 3, 10), DAY1, DAY2, 200, 80, 0, 1),
        ("C1", date(2024, 3, 10), DAY1, None, 110, 45, 0, 2),
        ("C1", date(2024, 3, 10), DAY2, None, 250, 130, 0, 1),
        ("C1", date(2024, 3, 20), DAY1, DAY2, 300, 100, 0, 1),
        ("C2", date(2024, 3, 20), DAY2, None, 300, 100, 0, 1),
        ("C2", date(2024, 3, 25), DAY1, DAY1, 400, 100, 0, 1),
        ("C2", date(2024, 3, 25), DAY1, None, 450, 150, 0, 1),
        ("C2", date(2024, 3, 30), DAY1, None, -50, -20, 50, 1),
        ("C3", date(2024, 4, 1), DAY2, None, 500, 400, 0, 1),
    ]


def test_customer_categories_after_a_correction_and_a_move(runs: dict[str, Any]) -> None:
    march_10, march_20, march_25 = date(2024, 3, 10), date(2024, 3, 20), date(2024, 3, 25)
    assert runs["d2"]["categories"] == [
        ("C1", "A", DAY1, DAY2, march_20, march_20, 1),  # O2 before its move
        ("C1", "A", DAY1, None, march_10, march_10, 2),  # O1 lines 1 and 3
        ("C1", "B", DAY1, DAY2, march_10, march_10, 1),
        ("C1", "B", DAY2, None, march_10, march_10, 1),
        ("C2", "A", DAY1, None, None, None, 1),  # O4, a return only
        ("C2", "A", DAY2, None, march_20, march_20, 1),
        ("C2", "B", DAY1, DAY1, march_25, march_25, 1),
        ("C2", "B", DAY1, None, march_25, march_25, 1),
        ("C3", "C", DAY2, None, date(2024, 4, 1), date(2024, 4, 1), 1),
    ]


def test_customer_products_after_a_correction_and_a_move(runs: dict[str, Any]) -> None:
    march_10, march_20, march_25 = date(2024, 3, 10), date(2024, 3, 20), date(2024, 3, 25)
    assert runs["d2"]["products"] == [
        ("C1", "P-A", DAY1, DAY2, march_20, march_20, 1),  # O2 before its move
        ("C1", "P-A", DAY1, None, march_10, march_10, 1),  # O1 line 1
        ("C1", "P-A3", DAY1, None, march_10, march_10, 1),  # O1 line 3: category A, its own product
        ("C1", "P-B", DAY1, DAY2, march_10, march_10, 1),
        ("C1", "P-B", DAY2, None, march_10, march_10, 1),
        ("C2", "P-A", DAY1, None, None, None, 1),  # O4, a return only
        ("C2", "P-A", DAY2, None, march_20, march_20, 1),
        ("C2", "P-B", DAY1, DAY1, march_25, march_25, 1),
        ("C2", "P-B", DAY1, None, march_25, march_25, 1),
        ("C3", "P-C", DAY2, None, date(2024, 4, 1), date(2024, 4, 1), 1),
    ]


def test_incremental_night_equals_a_full_refresh(runs: dict[str, Any]) -> None:
    assert runs["d2"] == runs["d2_full_refresh"]
