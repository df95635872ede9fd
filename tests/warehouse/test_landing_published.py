"""The whole job on landing folders holding the entries that were once skipped or lost: what BI
sees (the published outstanding balances and ledger) is right after files with upper-case or
compressed names land, a sub-folder and an invoice in another currency are refused, a loaded
file is archived, and that file is then retracted on purpose.

Balances are worked out by hand from tests/e2e_landing (C1: invoices 1,900 + 2,000, payments
1,900 + 1,000 → 1,000; C2: invoice 500) and the files this test adds.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.runner import execute_nightly
from warehouse.settings import Settings, load_settings

LANDING = Path(__file__).parents[1] / "e2e_landing"
DAY = date(2025, 3, 31)
INV = "invoice_id,customer_id,invoice_date,due_date,amount,currency\n"
PAY = "payment_id,customer_id,invoice_id,payment_date,amount\n"
pytestmark = pytest.mark.slow


def _balances(settings: Settings) -> dict[str, float]:
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        rows = con.execute(
            "select customer_id, outstanding_balance from fct_customer_facts "
            "where as_of_date = ? and customer_id in ('C1', 'C2') order by 1",
            [DAY],
        ).fetchall()
    return {customer: float(balance) for customer, balance in rows}


def _ledger(settings: Settings, *files: str) -> list[tuple]:
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        return con.execute(
            """select source_file, status from ingestion_ledger
               where source_file in (select unnest(?))
               qualify loaded_at = max(loaded_at) over (partition by source, business_date)
               order by source_file""",
            [list(files)],
        ).fetchall()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("kam_home")
    shutil.copytree(LANDING, home / "landing")
    invoices = home / "landing" / "invoices" / "2025-03-20"
    (invoices / "EXTRA.CSV").write_text(INV + "INV4,C2,2025-03-20,2025-05-19,300,CNY\n")
    (invoices / "usd.csv").write_text(INV + "INV6,C2,2025-03-20,2025-05-19,5000,USD\n")
    (invoices / "sub").mkdir()
    (invoices / "sub" / "more.csv").write_text(INV + "INV5,C2,2025-03-20,2025-05-19,1000,CNY\n")
    payments = home / "landing" / "payments" / "2025-03-31"
    (payments / "late.csv.gz").write_bytes(
        gzip.compress((PAY + "P3,C2,,2025-03-30,100\n").encode())
    )
    (home / "dagster").mkdir()
    return home


@pytest.fixture(scope="module")
def runs(home: Path) -> dict[str, object]:
    settings = load_settings({"KAM_HOME": str(home)})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        for name in ("KAM_LANDING_DIR", "KAM_WAREHOUSE_PATH", "KAM_PUBLISH_DIR", "KAM_CONFIG_DIR"):
            mp.delenv(name, raising=False)
        landed = execute_nightly(settings, DAY)
        after_landing = (_balances(settings), _ledger_all(settings))
        # The operator archives the payments file that was loaded (P2: C1 paid 1,000).
        payments = home / "landing" / "payments" / "2025-03-31"
        archive = home / "archive"
        archive.mkdir()
        shutil.move(payments / "payments.csv", archive / "payments.csv")
        archived = execute_nightly(settings, DAY)
        after_archiving = (_balances(settings), _ledger_all(settings))
        # Then retracts it on purpose.
        (payments / "payments.csv.retracted").write_bytes(b"")
        retracted = execute_nightly(settings, DAY)
        after_retraction = (_balances(settings), _ledger_all(settings))
    return {
        "outcomes": [landed, archived, retracted],
        "landed": after_landing,
        "archived": after_archiving,
        "retracted": after_retraction,
    }


def _ledger_all(settings: Settings) -> list[tuple]:
    return _ledger(
        settings,
        "invoices/2025-03-20/EXTRA.CSV",
        "invoices/2025-03-20/sub/",
        "invoices/2025-03-20/usd.csv",
        "payments/2025-03-31/late.csv.gz",
        "payments/2025-03-31/payments.csv",
    )


def test_every_run_succeeds(runs) -> None:
    for outcome in runs["outcomes"]:
        assert outcome.success, outcome.report()


def test_upper_case_and_gzip_files_count_and_refused_entries_do_not(runs) -> None:
    balances, ledger = runs["landed"]
    # C2: 500 + 300 (EXTRA.CSV) - 100 (late.csv.gz); not + 1,000 (sub-folder), not + 5,000 (USD).
    assert balances == {"C1": 1000.0, "C2": 700.0}
    assert ledger == [
        ("invoices/2025-03-20/EXTRA.CSV", "loaded"),
        ("invoices/2025-03-20/sub/", "ignored"),
        ("invoices/2025-03-20/usd.csv", "loaded"),
        ("payments/2025-03-31/late.csv.gz", "loaded"),
        ("payments/2025-03-31/payments.csv", "loaded"),
    ]


def test_the_invoice_in_another_currency_is_published_as_quarantined(runs, home) -> None:
    settings = load_settings({"KAM_HOME": str(home)})
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        rows = con.execute(
            "select source_file, line_number, column_name from quarantine where source = 'invoices'"
        ).fetchall()
    assert rows == [("invoices/2025-03-20/usd.csv", 2, "currency")]


def test_archiving_a_loaded_file_keeps_its_rows(runs) -> None:
    balances, ledger = runs["archived"]
    assert balances == {"C1": 1000.0, "C2": 700.0}
    assert ("payments/2025-03-31/payments.csv", "kept") in ledger


def test_retracting_the_file_removes_its_rows(runs) -> None:
    balances, ledger = runs["retracted"]
    # C1 no longer has the 1,000 payment: 1,900 + 2,000 - 1,900.
    assert balances == {"C1": 2000.0, "C2": 700.0}
    assert ("payments/2025-03-31/payments.csv", "retracted") in ledger
