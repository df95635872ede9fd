"""bench/duckdb_floor.sql, the independent check of kam's transaction facts in the benchmark,
follows kam's rules for re-sent lines and lines dated after their folder (docs/incremental.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

FLOOR_SQL = Path(__file__).resolve().parents[2] / "bench" / "duckdb_floor.sql"
HEADER = (
    "order_id,line_number,customer_id,ordered_at,product_id,product_category,quantity,"
    "unit_price,line_amount,line_cost,discount_amount"
)
CUSTOMER_HEADER = (
    "customer_id,customer_name,industry,province,city,channel_type,account_manager,"
    "first_cooperation_date,credit_limit,payment_terms_days,is_strategic,qualitative_rating,"
    "status,key_person_name,key_person_role,key_person_phone,key_person_email"
)
# Folder → lines (order, line, ordered at, quantity, amount). One customer, unit price 10, cost 6.
LINES = {
    "2025-03-09": [
        ("o1", 1, "2025-03-09 10:00:00", 5, 50),
        ("o2", 1, "2025-03-09 11:00:00", 4, 40),  # moved to 2025-03-11 by the next folder
    ],
    "2025-03-10": [
        ("o1", 1, "2025-03-09 10:00:00", 3, 30),  # correction: 3 units instead of 5
        ("o2", 1, "2025-03-11 09:00:00", 4, 40),  # now dated after this folder
        ("o3", 1, "2025-03-11 00:10:00", 2, 20),  # placed after midnight, before the extract
        ("o4", 1, "2025-03-10 15:00:00", 1, 10),
    ],
}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    for folder, lines in LINES.items():
        path = root / "transactions" / folder / "part-0001.csv"
        path.parent.mkdir(parents=True)
        rows = [
            f"{o},{n},c1,{at},p1,consumables,{q},10.00,{a}.00,{q * 6}.00,0.00"
            for o, n, at, q, a in lines
        ]
        path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    customers = root / "customers" / "2025-03-09" / "part-0001.csv"
    customers.parent.mkdir(parents=True)
    customers.write_text(
        f"{CUSTOMER_HEADER}\nc1,Acme,,,,direct,,,,,,,active,,,,\n", encoding="utf-8"
    )
    return root


def floor_facts(landing: Path, as_of: date) -> dict[str, object]:
    con = duckdb.connect()
    con.execute("set variable transactions_glob = ?", [str(landing / "transactions/*/*.csv")])
    con.execute("set variable customers_glob = ?", [str(landing / "customers/*/*.csv")])
    con.execute("set variable as_of_date = ?", [as_of])
    con.execute(FLOOR_SQL.read_text(encoding="utf-8"))
    row = con.execute(
        "select revenue_lifetime, gross_profit_lifetime, order_count_lifetime, last_order_date"
        " from floor_facts where customer_id = 'c1'"
    ).fetchone()
    con.close()
    return dict(zip(["revenue", "profit", "orders", "last_order"], row, strict=True))


def test_as_of_the_first_folder_every_line_counts_as_first_sent(landing: Path) -> None:
    # o1 50 + o2 40; profit (10 − 6) per unit × 9 units.
    assert floor_facts(landing, date(2025, 3, 9)) == {
        "revenue": 90,
        "profit": 36,
        "orders": 2,
        "last_order": date(2025, 3, 9),
    }


def test_the_next_folder_replaces_lines_and_holds_back_those_dated_after_it(
    landing: Path,
) -> None:
    # o1 corrected to 30; o2 re-dated to the 11th no longer counts on the 10th (its old version
    # is replaced, not kept); o3 is dated the 11th; o4 10. Units 3 + 1 = 4, profit 16.
    assert floor_facts(landing, date(2025, 3, 10)) == {
        "revenue": 40,
        "profit": 16,
        "orders": 2,
        "last_order": date(2025, 3, 10),
    }


def test_lines_dated_after_their_folder_count_from_their_date(landing: Path) -> None:
    # 30 + 40 + 20 + 10; units 3 + 4 + 2 + 1 = 10, profit 40.
    assert floor_facts(landing, date(2025, 3, 11)) == {
        "revenue": 100,
        "profit": 40,
        "orders": 4,
        "last_order": date(2025, 3, 11),
    }
