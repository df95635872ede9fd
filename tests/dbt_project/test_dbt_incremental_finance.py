"""The finance models and the de-duplicated contact events brought forward night by night equal
a full build (macros/incremental/landing_state.sql).

Hand-worked case: C1, C2 and C3 with a handful of invoices and payments. On D2 a payment landed
on D1 is corrected to another customer, a payment landed on D1 but dated D2 becomes visible, and
a new invoice arrives. The D2 run must take the incremental path and still drop C1's vanished
settlement; a re-delivered D1 folder and a backfill must rebuild. Contact events: one landed on
D1 is resolved by a new version in the D2 folder, and a new one arrives.

C4 and C5 check that a night rewrites only the tail of an account, from the earliest date that
changed (every application of two earlier rows is kept as it was). C4 on D1: invoices I41 (03-01,
100), I42 (03-05, 200), I43 (03-20, 300); payments P41 (03-10, 150), P42 (03-25, 250). On the
money axis I41 [0, 100), I42 [100, 300), I43 [300, 600) against P41 [0, 150), P42 [150, 400).
On D2 a payment P43 dated 03-15 arrives late (120), and P44 (D2, 500): the settlements become
P41 [0, 150), P43 [150, 270), P42 [270, 520), P44 [520, 1020). I41–P41 100 and I42–P41 50 are
kept; I42–P42 shrinks from 150 to 30, I43–P42 grows from 100 to 220; I42–P43 120 and I43–P44 80
are new. C5 prepaid: P51 (03-05, 400) pays I51 (03-10, 100) and keeps 300, of which the new
invoice I52 (D2, 250) takes 250.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_helpers import failed_nodes, insert_rows, raw_warehouse, run_dbt, table_content

D1, D2 = "2024-03-31", "2024-04-01"
SELECT = [
    "run",
    "--select",
    "+int_payments_applied",
    "+int_customer_balance_events",
    "+int_interactions_deduplicated",
]
TABLES = (
    "intermediate.int_interactions_deduplicated",
    "intermediate.int_invoices_deduplicated",
    "intermediate.int_payments_deduplicated",
    "intermediate.int_payments_applied",
    "intermediate.int_customer_balance_events",
)
APPLIED = (
    "select customer_id, invoice_id, settlement_id, settled_date, applied_amount"
    " from intermediate.int_payments_applied order by all"
)
BALANCES = (
    "select customer_id, event_date, balance_change, balance_after"
    " from intermediate.int_customer_balance_events order by all"
)
COMPILED = Path("target/compiled/kam/models/intermediate/int_payments_applied.sql")
INTERACTIONS_COMPILED = Path(
    "target/compiled/kam/models/intermediate/int_interactions_deduplicated.sql"
)
EVENTS = (
    "select interaction_id, customer_id, status, resolved_at, landed_date"
    " from intermediate.int_interactions_deduplicated order by all"
)


def invoice(invoice_id: str, customer_id: str, invoiced: str, amount: float) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id,
        "customer_id": customer_id,
        "invoice_date": invoiced,
        "due_date": invoiced,
        "amount": amount,
        "currency": "CNY",
    }


def payment(payment_id: str, customer_id: str, paid: str, amount: float) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "customer_id": customer_id,
        "payment_date": paid,
        "amount": amount,
    }


# C4's and C5's payments landed on D1 (the module docstring works them out).
C4_C5_D1_PAYMENTS = [
    payment("P41", "C4", "2024-03-10", 150),
    payment("P42", "C4", "2024-03-25", 250),
    payment("P51", "C5", "2024-03-05", 400),
]


def event(event_id: str, customer_id: str, status: str, resolved: str | None) -> dict[str, Any]:
    return {
        "interaction_id": event_id,
        "customer_id": customer_id,
        "occurred_at": "2024-03-15 10:00:00",
        "channel": "call",
        "interaction_type": "complaint",
        "status": status,
        "resolved_at": resolved,
    }


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        return con.execute(sql).fetchall()


def snapshot(path: Path) -> dict[str, list[tuple]]:
    return {table: rows(path, table_content(table)) for table in TABLES}


def build(work_dir: Path, as_of: str, *extra: str) -> tuple[bool, bool]:
    """Run the models as of `as_of`; whether int_payments_applied and
    int_interactions_deduplicated went incremental."""
    result = run_dbt([*SELECT, *extra], work_dir, as_of)
    assert result.success, failed_nodes(result)
    finance = (work_dir / COMPILED).read_text(encoding="utf-8")
    contacts = (work_dir / INTERACTIONS_COMPILED).read_text(encoding="utf-8")
    return "__customers_to_rebuild" in finance, "landed_date > date" in contacts


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work_dir = tmp_path_factory.mktemp("dbt_finance")
    with raw_warehouse(work_dir) as path:
        with duckdb.connect(str(path)) as con:
            insert_rows(
                con,
                "invoices",
                D1,
                [
                    invoice("I1", "C1", "2024-03-01", 1000),
                    invoice("I2", "C2", "2024-03-10", 500),
                    invoice("I41", "C4", "2024-03-01", 100),
                    invoice("I42", "C4", "2024-03-05", 200),
                    invoice("I43", "C4", "2024-03-20", 300),
                    invoice("I51", "C5", "2024-03-10", 100),
                ],
            )
            # P2 landed on D1 but is dated D2 (ingestion allows one day ahead).
            insert_rows(
                con,
                "payments",
                D1,
                [
                    payment("P1", "C1", "2024-03-20", 600),
                    payment("P2", "C2", D2, 500),
                    *C4_C5_D1_PAYMENTS,
                ],
            )
            insert_rows(
                con,
                "interactions",
                D1,
                [event("E1", "C1", "open", None), event("E2", "C2", "open", None)],
            )
        out: dict[str, Any] = {"path": path}
        out["d1_incremental"] = build(work_dir, D1)
        out["d1"] = snapshot(path)
        with duckdb.connect(str(path)) as con:
            # P1 was C2's money, not C1's: corrected in the D2 folder. I3 is new.
            insert_rows(
                con,
                "payments",
                D2,
                [
                    payment("P1", "C2", "2024-03-20", 600),
                    payment("P43", "C4", "2024-03-15", 120),
                    payment("P44", "C4", D2, 500),
                ],
            )
            insert_rows(
                con, "invoices", D2, [invoice("I3", "C3", D2, 300), invoice("I52", "C5", D2, 250)]
            )
            # E1 is resolved: its new version replaces the D1 one. E3 is new.
            insert_rows(
                con,
                "interactions",
                D2,
                [
                    event("E1", "C1", "resolved", "2024-04-01 09:00:00"),
                    event("E3", "C3", "open", None),
                ],
            )
        out["d2_incremental"] = build(work_dir, D2)
        out["d2_events"] = rows(path, EVENTS)
        out["d2_applied"] = rows(path, APPLIED)
        out["d2_balances"] = rows(path, BALANCES)
        out["d2"] = snapshot(path)
        out["d2_full_refresh_incremental"] = build(work_dir, D2, "--full-refresh")
        out["d2_full_refresh"] = snapshot(path)
        out["backfill_d1_incremental"] = build(work_dir, D1)
        out["backfill_d1"] = snapshot(path)
        build(work_dir, D2)
        with duckdb.connect(str(path)) as con:
            # The D1 payments folder is delivered again, P2 now 400: the D2 tables are stale.
            con.execute(f"delete from raw.payments where _business_date = '{D1}'")
            insert_rows(
                con,
                "payments",
                D1,
                [
                    payment("P1", "C1", "2024-03-20", 600),
                    payment("P2", "C2", D2, 400),
                    *C4_C5_D1_PAYMENTS,
                ],
                loaded_at=f"{D2} 23:30:00",
            )
        out["redelivered_incremental"] = build(work_dir, D2)
        out["redelivered"] = snapshot(path)
        build(work_dir, D2, "--full-refresh")
        out["redelivered_full_refresh"] = snapshot(path)
        yield out


def test_first_build_is_full_and_later_night_is_incremental(runs: dict[str, Any]) -> None:
    # (finance models incremental, de-duplicated contact events incremental)
    assert runs["d1_incremental"] == (False, False)
    assert runs["d2_incremental"] == (True, True)
    assert runs["d2_full_refresh_incremental"] == (False, False)


def test_incremental_night_settles_as_worked_by_hand(runs: dict[str, Any]) -> None:
    # C2: I2 (500, 03-10) is paid by P1 (600, 03-20, moved from C1); P2 (500, D2) finds no
    # invoice left. C1 keeps I1 unpaid: its settlement by P1 vanished. C3's I3 is unpaid.
    # C4 and C5: see the module docstring.
    assert runs["d2_applied"] == [
        ("C2", "I2", "P1", date(2024, 3, 20), 500),
        ("C4", "I41", "P41", date(2024, 3, 10), 100),
        ("C4", "I42", "P41", date(2024, 3, 10), 50),
        ("C4", "I42", "P42", date(2024, 3, 25), 30),
        ("C4", "I42", "P43", date(2024, 3, 15), 120),
        ("C4", "I43", "P42", date(2024, 3, 25), 220),
        ("C4", "I43", "P44", date(2024, 4, 1), 80),
        ("C5", "I51", "P51", date(2024, 3, 5), 100),
        ("C5", "I52", "P51", date(2024, 3, 5), 250),
    ]
    assert runs["d2_balances"] == [
        ("C1", date(2024, 3, 1), 1000, 1000),
        ("C2", date(2024, 3, 10), 500, 500),
        ("C2", date(2024, 3, 20), -600, -100),
        ("C2", date(2024, 4, 1), -500, -600),
        ("C3", date(2024, 4, 1), 300, 300),
        ("C4", date(2024, 3, 1), 100, 100),
        ("C4", date(2024, 3, 5), 200, 300),
        ("C4", date(2024, 3, 10), -150, 150),
        ("C4", date(2024, 3, 15), -120, 30),
        ("C4", date(2024, 3, 20), 300, 330),
        ("C4", date(2024, 3, 25), -250, 80),
        ("C4", date(2024, 4, 1), -500, -420),
        ("C5", date(2024, 3, 5), -400, -400),
        ("C5", date(2024, 3, 10), 100, -300),
        ("C5", date(2024, 4, 1), 250, -50),
    ]


def test_incremental_night_takes_in_the_new_contact_versions(runs: dict[str, Any]) -> None:
    d1, d2 = date(2024, 3, 31), date(2024, 4, 1)
    assert runs["d2_events"] == [
        ("E1", "C1", "resolved", datetime(2024, 4, 1, 9), d2),
        ("E2", "C2", "open", None, d1),
        ("E3", "C3", "open", None, d2),
    ]


def test_incremental_night_equals_a_full_refresh(runs: dict[str, Any]) -> None:
    assert runs["d2"] == runs["d2_full_refresh"]


def test_backfill_rebuilds_and_reproduces_the_first_night(runs: dict[str, Any]) -> None:
    assert runs["backfill_d1_incremental"] == (False, False)
    assert runs["backfill_d1"] == runs["d1"]


def test_redelivered_folder_rebuilds(runs: dict[str, Any]) -> None:
    # Only the payments folder was delivered again: the contact events go on incrementally.
    assert runs["redelivered_incremental"] == (False, True)
    assert runs["redelivered"] == runs["redelivered_full_refresh"]
    # P2 is now 400: C2's balance ends at 500 − 600 − 400.
    balances = [r for r in rows(runs["path"], BALANCES) if r[0] == "C2"]
    assert balances[-1] == ("C2", date(2024, 4, 1), -400, -500)
