"""A real retail history lands as exported (issue 23, docs/mappings.md "Worked example: a
retail invoice history"): no line number, cost or category; float customer ids, some empty;
'C'-prefixed cancellations; exact duplicate lines; no customer master. Loaded through a mapping
that only renames columns, as Parquet, as Excel and as whitespace-aligned text."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import retail_export as retail

from ingestion import sync_landing
from ingestion.mapping import load_mapping
from orchestration.runner import execute_nightly
from warehouse.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]

DAY = date.fromisoformat(retail.BUSINESS_DATE)
ALIGNED = {
    "delimiter": "whitespace",
    "timestamp_format": "%Y-%m-%dT%H:%M:%S",
    "file_pattern": "*.txt",
}
CONTENT = """order_id, line_number, customer_id, ordered_at, product_id, product_category, quantity,
    unit_price, line_amount, line_cost, discount_amount"""


def load(tmp_path: Path, fmt: str, writer, name: str, **settings: str) -> duckdb.DuckDBPyConnection:
    writer(tmp_path / "landing" / "transactions" / retail.BUSINESS_DATE / name)
    mapping_path = tmp_path / "transactions.yaml"
    mapping_path.write_text(retail.mapping_yaml(fmt, **settings), encoding="utf-8")
    con = duckdb.connect()
    sync_landing(
        con,
        tmp_path / "landing",
        {"transactions": load_mapping(mapping_path)},
        up_to=DAY,
        run_id="test",
        sources=["transactions"],
    )
    return con


@pytest.fixture
def parquet(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    with load(tmp_path, "parquet", retail.write_parquet, "online_retail.parquet") as con:
        yield con


def test_ledger_reconciles_and_counts_every_planted_group(parquet) -> None:
    [(status, read, loaded, quarantined, message)] = parquet.execute(
        "select status, rows_read, rows_loaded, rows_quarantined, message from raw.ingestion_ledger"
    ).fetchall()
    assert (status, read, loaded, quarantined) == ("loaded", 19, 14, 5)
    assert read == loaded + quarantined == retail.ROWS_READ
    assert loaded == retail.ROWS_LOADED
    # Each derivation is named in the ledger message.
    assert "line_number absent: derived" in message
    assert "line_amount absent: derived: quantity × unit_price − discount_amount" in message
    assert "line_cost absent: unknown: gross profit, margin and contribution" in message
    assert "product_category absent: the product id serves as the category" in message
    assert "2 exact duplicate line(s) quarantined" in message
    assert "ignored unmapped columns: Description, Country" in message
    reasons = parquet.execute(
        "select line_number, column_name, reason from raw.quarantine order by line_number"
    ).fetchall()
    # Parquet line numbers are row numbers from 1.
    assert [(line, column) for line, column, _ in reasons] == [
        (3, None),
        (10, None),
        (17, "customer_id"),
        (18, "customer_id"),
        (19, "customer_id"),
    ]
    assert reasons[0][2].startswith("exact duplicate of line 2 (same order 536365 and content)")
    assert reasons[1][2].startswith("exact duplicate of line 8 (same order 536367 and content)")
    assert reasons[2][2] == reasons[3][2] == "customer_id: required value is empty"
    assert reasons[4][2] == (
        "customer_id: '12583.5' is a number with a fraction, so it cannot be an identifier; "
        "export the column as text or as whole numbers"
    )


def test_float_ids_become_their_whole_number_and_amounts_are_derived(parquet) -> None:
    rows = parquet.execute(
        """select order_id, line_number, customer_id, product_id, product_category, quantity,
                  unit_price, line_amount, line_cost, _source_line
           from raw.transactions where order_id in ('536365', 'C536383')
           order by order_id, line_number"""
    ).fetchall()
    assert rows == [
        # The line exported twice (row 3) keeps its place: 536365's lines are 1, 2 and 4.
        (
            "536365",
            1,
            "17850",
            "85123A",
            None,
            Decimal("6"),
            Decimal("2.55"),
            Decimal("15.30"),
            None,
            1,
        ),
        (
            "536365",
            2,
            "17850",
            "71053",
            None,
            Decimal("6"),
            Decimal("3.39"),
            Decimal("20.34"),
            None,
            2,
        ),
        (
            "536365",
            4,
            "17850",
            "84406B",
            None,
            Decimal("8"),
            Decimal("2.75"),
            Decimal("22.00"),
            None,
            4,
        ),
        # A cancellation is a return: negative quantity, negative amount.
        (
            "C536383",
            1,
            "17850",
            "22633",
            None,
            Decimal("-2"),
            Decimal("1.85"),
            Decimal("-3.70"),
            None,
            16,
        ),
    ]
    revenue = dict(
        parquet.execute(
            "select customer_id, sum(line_amount) from raw.transactions group by all"
        ).fetchall()
    )
    assert revenue == retail.REVENUE


def test_same_content_in_another_order_is_not_a_duplicate(parquet) -> None:
    assert parquet.execute(
        "select order_id, line_number from raw.transactions where product_id = '22632' "
        "order by order_id"
    ).fetchall() == [("536366", 2), ("536368", 3)]


def test_excel_and_aligned_text_give_the_same_raw_tables(tmp_path: Path, parquet) -> None:
    with load(tmp_path / "xlsx", "excel", retail.write_xlsx, "online_retail.xlsx") as xlsx:
        excel_rows = xlsx.execute(
            f"select {CONTENT}, _source_line from raw.transactions order by all"
        ).fetchall()
        excel_quarantine = xlsx.execute(
            "select line_number, column_name, reason from raw.quarantine order by line_number"
        ).fetchall()
    parquet_rows = parquet.execute(
        f"select {CONTENT}, _source_line + 1 from raw.transactions order by all"
    ).fetchall()
    # A sheet's data starts on row 2 (row 1 is the header); Parquet rows count from 1.
    assert excel_rows == parquet_rows
    assert excel_quarantine == [
        (line + 1, column, reason.replace("line 2 ", "line 3 ").replace("line 8 ", "line 9 "))
        for line, column, reason in parquet.execute(
            "select line_number, column_name, reason from raw.quarantine order by line_number"
        ).fetchall()
    ]
    with load(tmp_path / "txt", "csv", retail.write_aligned_text, "retail.txt", **ALIGNED) as txt:
        text_rows = txt.execute(
            f"select {CONTENT}, _source_line from raw.transactions order by all"
        ).fetchall()
        [(read, loaded, quarantined)] = txt.execute(
            "select rows_read, rows_loaded, rows_quarantined from raw.ingestion_ledger"
        ).fetchall()
    assert text_rows == excel_rows
    # The aligned text leaves out the line with a fractional id (text cannot tell it).
    assert (read, loaded, quarantined) == (18, 14, 4)


def test_excel_quarantine_line_is_the_sheet_row(tmp_path: Path) -> None:
    with load(tmp_path, "excel", retail.write_xlsx, "online_retail.xlsx") as con:
        lines = con.execute(
            "select line_number from raw.quarantine where column_name = 'customer_id' order by 1"
        ).fetchall()
    # Sheet rows: header on row 1, the 17th to 19th lines of LINES on rows 18 to 20.
    assert lines == [(18,), (19,), (20,)]


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory):
    """The whole job on the retail export alone: no customer master, nothing else landed."""
    home = tmp_path_factory.mktemp("retail_home")
    retail.write_parquet(
        home / "landing" / "transactions" / retail.BUSINESS_DATE / "online_retail.parquet"
    )
    config = home / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    (config / "mappings" / "transactions.yaml").write_text(
        retail.mapping_yaml("parquet"), encoding="utf-8"
    )
    settings = load_settings({"KAM_HOME": str(home), "KAM_CONFIG_DIR": str(config)})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        (home / "dagster").mkdir(exist_ok=True)
        for name in ("KAM_LANDING_DIR", "KAM_WAREHOUSE_PATH", "KAM_PUBLISH_DIR"):
            mp.delenv(name, raising=False)
        mp.setenv("KAM_CONFIG_DIR", str(config))
        outcome = execute_nightly(settings, DAY)
    return outcome, settings


@pytest.mark.slow
def test_the_night_succeeds_and_says_the_master_was_derived(nightly) -> None:
    outcome, _ = nightly
    assert outcome.success, outcome.report()
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined) == (19, 14, 5)
    assert outcome.customers == 4
    assert (
        "  customers 4 (no customer master landed: derived from the transactions, "
        "first seen date only)"
    ) in outcome.report().splitlines()


@pytest.mark.slow
def test_published_facts_hold_revenue_and_no_invented_margin(nightly) -> None:
    _, settings = nightly
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        facts = con.execute(
            """select customer_id, revenue_lifetime, gross_profit_lifetime,
                      gross_profit_trailing, gross_margin_rate_lifetime,
                      gross_margin_rate_trailing, contribution_trailing, has_unknown_line_cost,
                      distinct_categories_lifetime, has_category_from_product_id,
                      return_count_lifetime, first_order_date
               from fct_customer_facts where as_of_date = ? order by customer_id""",
            [DAY],
        ).fetchall()
        customers = con.execute(
            """select customer_id, is_derived_from_transactions, first_seen_date, customer_name,
                      channel_type, status
               from dim_customers order by customer_id"""
        ).fetchall()
        ledger = con.execute(
            "select rows_read, rows_loaded, rows_quarantined from ingestion_ledger "
            "where source = 'transactions'"
        ).fetchall()
        # Scoring values a customer at its contribution: unknown without cost, not its revenue.
        value_at_risk = con.execute(
            "select count(*), count(value_at_risk) from customer_scores"
        ).fetchall()
        quarantine = con.execute(
            "select count(*) filter (where reason like 'exact duplicate of %'), "
            "count(*) filter (where reason = 'customer_id: required value is empty'), "
            "count(*) filter (where reason like 'customer_id: %fraction%') from quarantine"
        ).fetchall()
    assert ledger == [(19, 14, 5)]
    assert value_at_risk == [(4, 0)]
    assert quarantine == [(retail.DUPLICATES, retail.EMPTY_CUSTOMER, retail.FRACTIONAL_CUSTOMER)]
    assert {row[0]: row[1] for row in facts} == retail.REVENUE
    for row in facts:
        # No cost in the export: profit, margin and contribution are unknown, never 100 %.
        assert row[2:7] == (None, None, None, None, None), row
        assert row[7] is True
        assert (row[8], row[9]) == (retail.CATEGORIES_SOLD[row[0]], True)
    returns = {row[0]: row[10] for row in facts}
    assert returns == {"12583": 0, "13047": 0, "14688": 1, "17850": 1}
    assert customers == [
        ("12583", True, date(2025, 5, 3), None, None, None),
        ("13047", True, date(2025, 4, 2), None, None, None),
        ("14688", True, date(2025, 5, 20), None, None, None),
        ("17850", True, date(2025, 3, 1), None, None, None),
    ]


TX = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"


def load_csv(tmp_path: Path, text: str, mapping: str) -> duckdb.DuckDBPyConnection:
    folder = tmp_path / "landing" / "transactions" / "2024-03-31"
    folder.mkdir(parents=True)
    (folder / "t.csv").write_text(text, encoding="utf-8")
    (tmp_path / "transactions.yaml").write_text(mapping, encoding="utf-8")
    con = duckdb.connect()
    sync_landing(
        con,
        tmp_path / "landing",
        {"transactions": load_mapping(tmp_path / "transactions.yaml")},
        up_to=date(2024, 3, 31),
        run_id="t",
        sources=["transactions"],
    )
    return con


def test_one_export_column_feeds_product_id_and_category(tmp_path: Path) -> None:
    text = "Invoice,Cust,At,StockCode,Qty,Price\nO1,C1,2024-03-01,85123A,2,1.50\n"
    mapping = (
        "columns:\n  order_id: Invoice\n  customer_id: Cust\n  ordered_at: At\n"
        "  product_id: StockCode\n  product_category: StockCode\n  quantity: Qty\n"
        "  unit_price: Price\n"
    )
    with load_csv(tmp_path, text, mapping) as con:
        assert con.execute(
            "select product_id, product_category, line_amount from raw.transactions"
        ).fetchall() == [("85123A", "85123A", Decimal("3.00"))]


def test_given_amounts_are_checked_against_quantity_times_price(tmp_path: Path) -> None:
    # 2 × 10.00 − 1.00 = 19.00 matches; 3 × 10.00 = 30.00 is not 25.00.
    text = (
        TX + ",line_number,line_amount,discount_amount\n"
        "O1,C1,2024-03-01,P1,2,10.00,1,19.00,1.00\n"
        "O1,C1,2024-03-01,P2,3,10.00,2,25.00,\n"
    )
    with load_csv(tmp_path, text, "format: csv\n") as con:
        [(loaded, message)] = con.execute(
            "select rows_loaded, message from raw.ingestion_ledger"
        ).fetchall()
    assert loaded == 2
    assert (
        "line_amount differs from quantity × unit_price − discount_amount by more than 0.01 on "
        "1 line(s) (first: line 3); loaded as exported"
    ) in message


def test_empty_amounts_of_an_amount_column_are_worked_out_and_noted(tmp_path: Path) -> None:
    # Line 3: 3 × 10.00 = 30.00; line 4: 1 × 100.00 − 10.00 = 90.00; line 5: 1 × 5.00 − 10.00
    # = −5.00 on a sale, so the discount exceeds the line's value and the line is quarantined.
    text = (
        TX + ",line_number,line_amount,discount_amount\n"
        "O1,C1,2024-03-01,P1,2,10.00,1,20.00,\n"
        "O1,C1,2024-03-01,P2,3,10.00,2,,\n"
        "O2,C2,2024-03-01,P1,1,100.00,1,,10.00\n"
        "O3,C2,2024-03-01,P1,1,5.00,1,,10.00\n"
    )
    with load_csv(tmp_path, text, "format: csv\n") as con:
        loaded = con.execute(
            "select order_id, line_number, line_amount from raw.transactions order by all"
        ).fetchall()
        quarantined = con.execute("select line_number, reason from raw.quarantine").fetchall()
        [(read, kept, message)] = con.execute(
            "select rows_read, rows_loaded, message from raw.ingestion_ledger"
        ).fetchall()
    assert loaded == [
        ("O1", 1, Decimal("20.00")),
        ("O1", 2, Decimal("30.00")),
        ("O2", 1, Decimal("90.00")),
    ]
    assert quarantined == [
        (
            5,
            "line_amount: worked out as quantity × unit_price − discount_amount = -5.0000, the "
            "opposite sign of quantity (1.0000): the discount exceeds the line's value; fix the "
            "line",
        )
    ]
    assert (read, kept) == (4, 3)
    assert (
        "line_amount empty on 3 line(s) (first: line 3): worked out as quantity × unit_price − "
        "discount_amount"
    ) in message


def test_an_amount_too_large_to_store_quarantines_its_line_not_the_file(tmp_path: Path) -> None:
    # 10^10 × 10^10 = 10^20 has 21 digits before the point; kam stores 14.
    text = TX + "\nO1,C1,2024-03-01,P1,10000000000,10000000000\nO2,C1,2024-03-01,P1,1,5\n"
    with load_csv(tmp_path, text, "format: csv\n") as con:
        loaded = con.execute("select order_id, line_amount from raw.transactions").fetchall()
        quarantined = con.execute("select line_number, reason from raw.quarantine").fetchall()
        [status] = con.execute("select status from raw.ingestion_ledger").fetchall()[0]
    assert status == "loaded"
    assert loaded == [("O2", Decimal("5.00"))]
    assert quarantined == [
        (
            2,
            "line_amount: quantity × unit_price is too large to store (at most 14 digits before "
            "the decimal point); fix the line",
        )
    ]


def test_an_empty_line_number_in_a_file_with_line_numbers_quarantines_the_line(
    tmp_path: Path,
) -> None:
    text = (
        TX + ",line_number\n"
        "O4,C3,2024-03-01,P3,1,5,\n"
        "O4,C3,2024-03-01,P4,1,7,\n"
        "O5,C3,2024-03-01,P4,1,7,1\n"
    )
    with load_csv(tmp_path, text, "format: csv\n") as con:
        loaded = con.execute("select order_id, line_number from raw.transactions").fetchall()
        quarantined = con.execute(
            "select line_number, column_name, reason from raw.quarantine order by 1"
        ).fetchall()
    reason = (
        "line_number: value is empty, but line_number is part of the key (order_id, "
        "line_number): fill it in on every line, or leave the column out of the export for kam "
        "to derive it"
    )
    assert loaded == [("O5", 1)]
    assert quarantined == [(2, "line_number", reason), (3, "line_number", reason)]


def test_derived_amount_subtracts_the_discount(tmp_path: Path) -> None:
    text = TX + ",discount_amount\nO1,C1,2024-03-01,P1,3,2.50,0.75\nO1,C1,2024-03-01,P1,-1,2.50,\n"
    with load_csv(tmp_path, text, "format: csv\n") as con:
        assert con.execute(
            "select line_number, line_amount from raw.transactions order by 1"
        ).fetchall() == [(1, Decimal("6.75")), (2, Decimal("-2.50"))]


def test_equal_lines_with_their_own_line_numbers_both_load(tmp_path: Path) -> None:
    text = TX + ",line_number\nO1,C1,2024-03-01,P1,1,2.50,1\nO1,C1,2024-03-01,P1,1,2.50,2\n"
    with load_csv(tmp_path, text, "format: csv\n") as con:
        assert con.execute("select count(*) from raw.transactions").fetchall() == [(2,)]
        assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]


def test_space_aligned_header_read_with_a_delimiter_says_set_whitespace(tmp_path: Path) -> None:
    text = "  order_id  customer_id  ordered_at  product_id  quantity  unit_price\n"
    text += "        O1           C1  2024-03-01          P1         1        2.50\n"
    with load_csv(tmp_path, text, "delimiter: ' '\n") as con:
        [(status, message)] = con.execute(
            "select status, message from raw.ingestion_ledger"
        ).fetchall()
    assert status == "rejected"
    assert message.startswith("transactions/2024-03-31/t.csv line 1: the header was read as , ,")
    assert message.endswith(
        "but its names are separated by runs of spaces (aligned text); set delimiter: "
        f"whitespace in {tmp_path / 'transactions.yaml'}"
    )
    with load_csv(tmp_path / "fixed", text, "delimiter: whitespace\n") as con:
        assert con.execute(
            "select order_id, customer_id, quantity from raw.transactions"
        ).fetchall() == [("O1", "C1", Decimal("1"))]
