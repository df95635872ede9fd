"""Order lines dated the day after their folder count from that day on, not before.

Ingestion accepts dates up to one day after the folder's business date (contract rule "dated in
the future" allows one day), so a folder of D may hold lines dated D + 1. Facts as of D use only
data dated on or before D (docs/facts.md), so such a line must neither count on D nor hide what
its order or category did before D. Worked by hand, C1's landings:

- D0 (2024-05-31): O1 line 1, category A, sales 100 on 05-10; O2 line 1, category B, a return
  of 30 on 05-20; O6 line 1, A, sales 25 on 05-15.
- D (2024-06-30): O1 line 2, A, sales 50 on 07-01 (the day after D); O2 line 2, B, a return of
  20 on 07-01; O4 line 1, C, sales 40 on 06-28; O5 line 1, C, sales 60 on 07-01; O3 line 1, A,
  sales 70 on 07-01; O6 line 1 again, re-dated to 07-01 (a correction of its date).
  Each line's product is P-<category>, except O3's, product P-A7.

As of D (every date is inside the 365- and 90-day windows):
- orders O1 (100, dated 05-10) and O4 (40); O3 and O5 are dated 07-01, and so is O6: its D0
  version is replaced, not kept until 07-01. So 2 orders, sales 140 (70 an order), largest 100;
- categories bought: A (05-10) and C (06-28), 2, both in the trailing window; products likewise
  P-A and P-C, 2 (O3's P-A7 is dated 07-01);
- orders with a return: O2 (05-20), 1;
- revenue by day: 100 - 30 + 40 = 110.

As of D + 1 (2024-07-01) everything counts:
- orders O1 (150), O4 (40), O5 (60), O3 (70), O6 (25): 5, sales 345 (69 an order), largest 150;
- categories A and C: 2; products P-A, P-C and P-A7: 3; orders with a return: O2, 1;
- revenue 110 + 50 - 20 + 60 + 70 + 25 = 295.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_helpers import failed_nodes, insert_rows, order_line, raw_warehouse, run_dbt

pytestmark = pytest.mark.slow

D0, D, NEXT = "2024-05-31", "2024-06-30", "2024-07-01"
SELECT = ["run", "--select", "+int_customer_transactions_aggregated"]
VALID_FROM_TABLES = (
    "int_orders_aggregated",
    "int_transactions_aggregated_to_customer_categories",
    "int_transactions_aggregated_to_customer_products",
)
FACTS = (
    "select order_count_lifetime, order_count_trailing, average_order_value_lifetime,"
    " average_order_value_recent, largest_order_amount_lifetime, last_order_date,"
    " distinct_categories_lifetime, distinct_categories_trailing, distinct_products_lifetime,"
    " distinct_products_trailing, return_count_lifetime,"
    " return_count_trailing, revenue_lifetime"
    " from intermediate.int_customer_transactions_aggregated where customer_id = 'C1'"
)
AS_OF_D = {
    "order_count_lifetime": 2,
    "order_count_trailing": 2,
    "average_order_value_lifetime": 70,  # 140 / 2
    "average_order_value_recent": 70,
    "largest_order_amount_lifetime": 100,
    "last_order_date": "2024-06-28",
    "distinct_categories_lifetime": 2,
    "distinct_categories_trailing": 2,
    "distinct_products_lifetime": 2,
    "distinct_products_trailing": 2,
    "return_count_lifetime": 1,
    "return_count_trailing": 1,
    "revenue_lifetime": 110,
}
AS_OF_NEXT = AS_OF_D | {
    "order_count_lifetime": 5,
    "order_count_trailing": 5,
    "average_order_value_lifetime": 69,  # 345 / 5
    "average_order_value_recent": 69,
    "largest_order_amount_lifetime": 150,
    "last_order_date": "2024-07-01",
    "distinct_products_lifetime": 3,
    "distinct_products_trailing": 3,
    "revenue_lifetime": 295,
}


def facts(warehouse: Path) -> dict[str, Any]:
    """C1's transaction facts; amounts as floats, the date as text."""
    with duckdb.connect(str(warehouse)) as con:
        cursor = con.execute(FACTS)
        names = [column[0] for column in cursor.description]
        (row,) = cursor.fetchall()
    return {
        name: float(value) if isinstance(value, Decimal) else value
        for name, value in zip(names, row, strict=True)
    } | {"last_order_date": row[names.index("last_order_date")].isoformat()}


def build(work_dir: Path, as_of: str, *extra: str) -> None:
    result = run_dbt([*SELECT, *extra], work_dir, as_of)
    assert result.success, failed_nodes(result)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work_dir = tmp_path_factory.mktemp("dbt_dated_after_landing")
    with raw_warehouse(work_dir) as path:
        with duckdb.connect(str(path)) as con:
            insert_rows(
                con,
                "customers",
                "2024-01-31",
                [{"customer_id": "C1", "customer_name": "Customer C1", "status": "active"}],
            )
            insert_rows(
                con,
                "transactions",
                D0,
                [
                    order_line("O1", 1, "C1", "2024-05-10 10:00:00", "A", 1, 100, 60),
                    order_line("O2", 1, "C1", "2024-05-20 10:00:00", "B", -1, -30, -20),
                    order_line("O6", 1, "C1", "2024-05-15 10:00:00", "A", 1, 25, 15),
                ],
            )
        build(work_dir, D0)
        with duckdb.connect(str(path)) as con:
            insert_rows(
                con,
                "transactions",
                D,
                [
                    order_line("O1", 2, "C1", "2024-07-01 09:00:00", "A", 1, 50, 30),
                    order_line("O2", 2, "C1", "2024-07-01 09:00:00", "B", -1, -20, -10),
                    order_line("O4", 1, "C1", "2024-06-28 10:00:00", "C", 1, 40, 20),
                    order_line("O5", 1, "C1", "2024-07-01 08:00:00", "C", 1, 60, 30),
                    order_line("O3", 1, "C1", "2024-07-01 11:00:00", "A", 1, 70, 40)
                    | {"product_id": "P-A7"},
                    order_line("O6", 1, "C1", "2024-07-01 10:00:00", "A", 1, 25, 15),
                ],
            )
        out: dict[str, Any] = {}
        build(work_dir, D)
        out["d"] = facts(path)
        build(work_dir, NEXT)
        out["next"] = facts(path)
        build(work_dir, D, "--full-refresh")
        out["d_full_refresh"] = facts(path)
        # A warehouse whose aggregates an earlier kam built, without valid_from: the next run
        # rebuilds them in full instead of failing on the changed columns.
        with duckdb.connect(str(path)) as con:
            for table in VALID_FROM_TABLES:
                con.execute(f"alter table intermediate.{table} drop column valid_from")
        build(work_dir, NEXT)
        out["next_after_upgrade"] = facts(path)
        with duckdb.connect(str(path)) as con:
            out["columns_after_upgrade"] = con.execute(
                "select table_name from information_schema.columns where column_name = 'valid_from'"
                " order by all"
            ).fetchall()
        out["log"] = (work_dir / "logs" / "dbt.log").read_text(encoding="utf-8")
        yield out


def test_a_line_dated_after_its_folder_does_not_count_before_its_date(
    runs: dict[str, Any],
) -> None:
    assert runs["d"] == AS_OF_D


def test_it_counts_from_its_date_on(runs: dict[str, Any]) -> None:
    assert runs["next"] == AS_OF_NEXT


def test_a_full_refresh_agrees(runs: dict[str, Any]) -> None:
    assert runs["d_full_refresh"] == AS_OF_D


def test_aggregates_built_by_an_earlier_kam_are_rebuilt_in_full(runs: dict[str, Any]) -> None:
    assert runs["next_after_upgrade"] == AS_OF_NEXT
    assert runs["columns_after_upgrade"] == [(table,) for table in VALID_FROM_TABLES]
    for table in VALID_FROM_TABLES:
        assert f"{table} has no column valid_from (built by an earlier kam)" in runs["log"]
