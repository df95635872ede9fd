"""Ingestion of landing files into raw tables: typing, quarantine, ledger and reloads."""

from __future__ import annotations

import functools
import hashlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import landing_files
import pytest

from ingestion import (
    LandingError,
    Mapping,
    ingest_partition,
    ledger,
    load_mapping,
    sync_landing,
)

DAY = date(2024, 3, 31)
TX_HEADER = (
    "order_id,line_number,customer_id,ordered_at,product_id,product_category,quantity,"
    "unit_price,line_amount,line_cost,discount_amount\n"
)


# Landing files of DAY unless a test names another day.
land = functools.partial(landing_files.land, day=DAY)


def ingest(
    con,
    landing: Path,
    source: str,
    mapping: Mapping | None = None,
    day: date = DAY,
    run_id: str = "run-1",
):
    return ingest_partition(con, source, day, landing, mapping or Mapping(source), run_id)


def assert_ledger_reconciles(con) -> None:
    bad = con.execute("""select source_file from raw.ingestion_ledger
        where rows_read <> rows_loaded + rows_quarantined""").fetchall()
    assert bad == []
    # Counts of the latest loaded attempt agree with the tables.
    for source, day, file, loaded, quarantined in con.execute("""
            select source, business_date, source_file, rows_loaded, rows_quarantined
            from raw.ingestion_ledger l where status in ('loaded', 'replaced')
              and loaded_at = (select max(loaded_at) from raw.ingestion_ledger m
                               where m.source = l.source and m.business_date = l.business_date
                                 and m.status <> 'unchanged')""").fetchall():
        table_rows = con.execute(
            f"select count(*) from raw.{source} where _source_file = ? and _business_date = ?",
            [file, day],
        ).fetchone()[0]
        quarantine_rows = con.execute(
            "select count(*) from raw.quarantine where source_file = ? and business_date = ?",
            [file, day],
        ).fetchone()[0]
        assert (table_rows, quarantine_rows) == (loaded, quarantined)


def quarantine(con) -> list[tuple]:
    return con.execute("""select line_number, column_name, reason from raw.quarantine
                          order by source_file, line_number""").fetchall()


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


def test_loads_clean_csv_with_typed_columns_and_lineage(con, tmp_path):
    text = (
        "customer_id,customer_name,channel_type,first_cooperation_date,credit_limit,"
        "payment_terms_days,is_strategic,qualitative_rating,status\n"
        "C1,Acme, Direct ,2019-05-20,1500000.5,30,yes,4,ACTIVE\n"
    )
    path = land(tmp_path, "customers", "c.csv", text)
    result = ingest(con, tmp_path, "customers")
    row = con.execute("""select customer_id, customer_name, channel_type, first_cooperation_date,
        credit_limit, payment_terms_days, is_strategic, qualitative_rating, status, industry,
        _business_date, _source_file, _source_line, _file_checksum from raw.customers""").fetchall()
    assert row == [
        (
            "C1",
            "Acme",
            "direct",
            date(2019, 5, 20),
            Decimal("1500000.5000"),
            30,
            True,
            4,
            "active",
            None,
            DAY,
            "customers/2024-03-31/c.csv",
            2,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
    ]
    assert result.status == "loaded"
    assert [(f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        ("loaded", 1, 1, 0)
    ]
    assert_ledger_reconciles(con)


def test_loads_gb18030_export_with_chinese_headers_via_mapping(con, tmp_path):
    mapping_path = tmp_path / "customers.yaml"
    mapping_path.write_text(
        "encoding: gb18030\ndate_format: '%Y/%m/%d'\ncolumns:\n  customer_id: 客户编号\n"
        "  customer_name: 客户名称\n  channel_type: 渠道类型\n"
        "  first_cooperation_date: 首次合作日期\n"
        "  credit_limit: 信用额度\n  is_strategic: 战略客户\n  status: 客户状态\n",
        encoding="utf-8",
    )
    text = (
        "客户编号,客户名称,渠道类型,首次合作日期,信用额度,战略客户,客户状态,备注\n"
        'C001,华东机电有限公司𠀀,direct,2019/05/20,"1,500,000.00",是,active,老客户\n'
        "C002,华南贸易,distributor,2020/01/02,0,否,inactive,\n"
    )
    land(tmp_path, "customers", "客户档案.csv", text, encoding="gb18030")
    result = ingest(con, tmp_path, "customers", load_mapping(mapping_path))
    rows = con.execute("""select customer_id, customer_name, first_cooperation_date, credit_limit,
        is_strategic, _source_file from raw.customers order by customer_id""").fetchall()
    assert rows == [
        (
            "C001",
            "华东机电有限公司𠀀",
            date(2019, 5, 20),
            Decimal("1500000"),
            True,
            "customers/2024-03-31/客户档案.csv",
        ),
        (
            "C002",
            "华南贸易",
            date(2020, 1, 2),
            Decimal("0"),
            False,
            "customers/2024-03-31/客户档案.csv",
        ),
    ]
    assert result.files[0].message == (
        "optional columns absent (loaded as empty): industry, province, city, account_manager, "
        "payment_terms_days, qualitative_rating, key_person_name, key_person_role, "
        "key_person_phone, key_person_email; ignored unmapped columns: 备注"
    )


def test_invalid_bytes_for_declared_encoding_quarantine_only_their_line(con, tmp_path):
    content = (
        b"invoice_id,customer_id,invoice_date,due_date,amount,currency\n"
        b"I1,C1,2024-03-01,2024-04-30,10,CNY\n"
        b"I2,C\xff\xfe,2024-03-01,2024-04-30,5,CNY\n"
    )
    land(tmp_path, "invoices", "i.csv", content)
    result = ingest(con, tmp_path, "invoices")
    assert quarantine(con) == [
        (3, None, "invalid bytes for encoding utf-8; check the encoding setting")
    ]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_reads_utf8_with_byte_order_mark(con, tmp_path, encoding):
    text = "payment_id,customer_id,payment_date,amount\nP1,C1,2024-03-30,12.5\n"
    land(tmp_path, "payments", "p.csv", b"\xef\xbb\xbf" + text.encode())
    result = ingest(con, tmp_path, "payments", Mapping("payments", encoding=encoding))
    assert con.execute("select payment_id, amount from raw.payments").fetchall() == [
        ("P1", Decimal("12.5"))
    ]
    assert result.files[0].status == "loaded"


def test_reads_semicolon_delimiter_with_quoted_values(con, tmp_path):
    text = (
        "payment_id;customer_id;invoice_id;payment_date;amount\n"
        'P1;C1;"I;1";2024-03-30;"1,234.50"\n'
        'P2;"C ""2""";;2024-03-30;7\n'
    )
    land(tmp_path, "payments", "p.csv", text)
    ingest(con, tmp_path, "payments", Mapping("payments", delimiter=";"))
    assert con.execute(
        "select payment_id, customer_id, invoice_id, amount from raw.payments order by 1"
    ).fetchall() == [("P1", "C1", "I;1", Decimal("1234.50")), ("P2", 'C "2"', None, Decimal("7"))]


def test_loads_parquet_with_row_numbers_as_lines(con, tmp_path):
    folder = tmp_path / "payments" / DAY.isoformat()
    folder.mkdir(parents=True)
    con.execute(f"""copy (select * from (values ('P1', 'C1', date '2024-03-30', 10.5),
                                               ('P2', 'C1', date '2024-03-30', -1.0))
                         t(payment_id, customer_id, payment_date, amount))
                    to '{folder / "p.parquet"}' (format parquet)""")
    result = ingest(con, tmp_path, "payments", Mapping("payments", format="parquet"))
    assert con.execute(
        "select payment_id, payment_date, amount, _source_line from raw.payments"
    ).fetchall() == [("P1", date(2024, 3, 30), Decimal("10.5"), 1)]
    assert quarantine(con) == [(2, "amount", "amount: '-1.0' is below the minimum 0")]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert_ledger_reconciles(con)


def test_quarantines_bad_rows_with_line_numbers_and_reasons(con, tmp_path):
    text = (
        TX_HEADER
        + "O1,1,C1,2024-03-30 10:00:00,P1,cat,2,10,20,8,0\n"
        + "O2,1,,2024-03-30 10:00:00,P1,cat,0,-1,20,8,\n"
        + "\n"
        + "O3,x,C1,30/03/2024,P1,cat,1,10,10,8,0\n"
        + "O4,1,C1,2024-03-30 10:00:00,P1,cat,1,10,10,8\n"
        + 'O5,1,C1,2024-03-30 10:00:00,P1,"cat,1,10,10,8,0\n'
        + "O6,1,C1,2024-03-30,P1,cat,1,10,10,8,0\n"
    )
    land(tmp_path, "transactions", "t.csv", text)
    result = ingest(con, tmp_path, "transactions")
    assert quarantine(con) == [
        (
            3,
            "customer_id, quantity, unit_price",
            "customer_id: required value is empty; quantity: '0' must not be 0; "
            "unit_price: '-1' is below the minimum 0",
        ),
        (
            5,
            "line_number, ordered_at",
            "line_number: 'x' is not a whole number; ordered_at: '30/03/2024' is not a timestamp "
            "in "
            "format %Y-%m-%d %H:%M:%S (or a date in format %Y-%m-%d)",
        ),
        (6, None, "wrong number of fields: expected 11 (as in the header), found 10"),
        (
            7,
            None,
            'broken quoting: a " quote is not closed or is followed by text; '
            "fix the quoting (a quote inside a quoted value is written twice)",
        ),
    ]
    assert con.execute(
        "select order_id, ordered_at, _source_line from raw.transactions order by 1"
    ).fetchall() == [("O1", datetime(2024, 3, 30, 10), 2), ("O6", datetime(2024, 3, 30), 8)]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 2, 4)
    raw = con.execute("select raw_record from raw.quarantine where line_number = 6").fetchone()
    assert raw == ("O4,1,C1,2024-03-30 10:00:00,P1,cat,1,10,10,8",)
    assert_ledger_reconciles(con)


def test_normalises_thousands_separators_and_fullwidth_digits(con, tmp_path):
    text = (
        TX_HEADER
        + 'O1,１,C1,2024-03-30 10:00:00,P1,cat,－１２３,"1,234.50",－１，２３４．５,-8,0\n'
        + 'O2,1,C1,2024-03-30 10:00:00,P1,cat,"1,2",1,1,1,0\n'
    )
    land(tmp_path, "transactions", "t.csv", text)
    ingest(con, tmp_path, "transactions")
    assert con.execute(
        "select line_number, quantity, unit_price, line_amount, line_cost from raw.transactions"
    ).fetchall() == [(1, Decimal("-123"), Decimal("1234.50"), Decimal("-1234.5"), Decimal("-8"))]
    assert quarantine(con) == [
        (3, "quantity", "quantity: '1,2' is not a number (expected e.g. 1234.50 or 1,234.50)")
    ]


def test_quarantines_later_duplicate_key_naming_first_line(con, tmp_path):
    land(
        tmp_path,
        "transactions",
        "a.csv",
        TX_HEADER
        + "O1,1,C1,2024-03-30 10:00:00,P1,cat,1,10,10,8,0\n"
        + "O1,1,C2,2024-03-30 10:00:00,P1,cat,1,10,10,8,0\n",
    )
    land(
        tmp_path,
        "transactions",
        "b.csv",
        TX_HEADER + "O1,1,C3,2024-03-30 10:00:00,P1,cat,1,10,10,8,0\n",
    )
    result = ingest(con, tmp_path, "transactions")
    assert con.execute("select customer_id from raw.transactions").fetchall() == [("C1",)]
    assert quarantine(con) == [
        (
            3,
            "order_id, line_number",
            "duplicate key (order_id=O1, line_number=1): first seen in line 2",
        ),
        (
            2,
            "order_id, line_number",
            "duplicate key (order_id=O1, line_number=1): first seen in "
            "transactions/2024-03-31/a.csv line 2",
        ),
    ]
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        (2, 1, 1),
        (1, 0, 1),
    ]
    assert_ledger_reconciles(con)


def test_quarantines_dates_more_than_one_day_after_business_date(con, tmp_path):
    land(
        tmp_path,
        "invoices",
        "i.csv",
        "invoice_id,customer_id,invoice_date,due_date,amount,currency\n"
        "I1,C1,2024-04-01,2024-05-31,10,CNY\n"
        "I2,C1,2024-04-02,2024-05-31,10,CNY\n",
    )
    ingest(con, tmp_path, "invoices")
    assert con.execute("select invoice_id from raw.invoices").fetchall() == [("I1",)]
    assert quarantine(con) == [
        (
            3,
            "invoice_date",
            "invoice_date: '2024-04-02' is dated in the "
            "future (more than 1 day after business date 2024-03-31)",
        )
    ]


def test_rejects_file_missing_required_column_but_loads_the_rest(con, tmp_path):
    land(tmp_path, "payments", "a.csv", "payment_id,payment_date,amount\nP1,2024-03-30,1\n")
    land(
        tmp_path,
        "payments",
        "b.csv",
        "payment_id,customer_id,payment_date,amount\nP2,C1,2024-03-30,1\n",
    )
    result = ingest(con, tmp_path, "payments")
    assert [(f.status, f.rows_read) for f in result.files] == [("rejected", 0), ("loaded", 1)]
    assert result.problems == [
        "payments/2024-03-31/a.csv: required column 'customer_id' missing from the header "
        "(found: payment_id, payment_date, amount); add it to the export, or map the export's "
        "name for it under 'columns:' in the default mapping of payments"
    ]
    assert con.execute("select payment_id from raw.payments").fetchall() == [("P2",)]
    ledger = con.execute("select status, message from raw.ingestion_ledger order by source_file")
    assert [r[0] for r in ledger.fetchall()] == ["rejected", "loaded"]


def test_header_only_file_loads_zero_rows_and_empty_file_is_rejected(con, tmp_path):
    land(tmp_path, "payments", "a.csv", "payment_id,customer_id,payment_date,amount\n")
    land(tmp_path, "payments", "b.csv", "")
    result = ingest(con, tmp_path, "payments")
    assert [(f.status, f.rows_read) for f in result.files] == [("loaded", 0), ("rejected", 0)]
    assert "b.csv: the file is empty" in result.problems[0]


def test_reloading_unchanged_folder_is_a_noop(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        "payment_id,customer_id,payment_date,amount\nP1,C1,2024-03-30,1\n",
    )
    ingest(con, tmp_path, "payments", run_id="run-1")
    loaded_at = con.execute("select _loaded_at from raw.payments").fetchone()
    result = ingest(con, tmp_path, "payments", run_id="run-2")
    assert result.status == "unchanged"
    # Nothing is written for a no-op: the ledger still holds only the first load.
    assert con.execute(
        "select status, run_id, rows_read from raw.ingestion_ledger order by loaded_at"
    ).fetchall() == [("loaded", "run-1", 1)]
    assert con.execute("select _loaded_at from raw.payments").fetchall() == [loaded_at]


def test_changed_file_replaces_its_partition(con, tmp_path):
    header = "payment_id,customer_id,payment_date,amount\n"
    land(tmp_path, "payments", "p.csv", header + "P1,C1,2024-03-30,1\nP2,C1,2024-03-30,-5\n")
    ingest(con, tmp_path, "payments", run_id="run-1")
    land(tmp_path, "payments", "p.csv", header + "P1,C1,2024-03-30,2\nP3,C1,2024-03-30,3\n")
    result = ingest(con, tmp_path, "payments", run_id="run-2")
    assert result.status == "replaced"
    assert con.execute("select payment_id, amount from raw.payments order by 1").fetchall() == [
        ("P1", Decimal("2")),
        ("P3", Decimal("3")),
    ]
    assert quarantine(con) == []
    assert [
        r[0]
        for r in con.execute(
            "select status from raw.ingestion_ledger order by loaded_at"
        ).fetchall()
    ] == ["loaded", "replaced"]
    assert_ledger_reconciles(con)


def test_failure_mid_load_keeps_previous_partition(con, tmp_path, monkeypatch):
    header = "payment_id,customer_id,payment_date,amount\n"
    land(tmp_path, "payments", "p.csv", header + "P1,C1,2024-03-30,1\n")
    ingest(con, tmp_path, "payments", run_id="run-1")
    land(tmp_path, "payments", "p.csv", header + "P9,C1,2024-03-30,9\n")

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "write_ledger", crash)
    with pytest.raises(RuntimeError):
        ingest(con, tmp_path, "payments", run_id="run-2")
    assert con.execute("select payment_id from raw.payments").fetchall() == [("P1",)]
    assert con.execute("select count(*) from raw.ingestion_ledger").fetchone() == (1,)


def test_sync_loads_folders_up_to_date_and_names_bad_folder(con, tmp_path):
    header = "payment_id,customer_id,payment_date,amount\n"
    land(tmp_path, "payments", "p.csv", header + "P1,C1,2024-03-30,1\n", day=date(2024, 3, 30))
    land(tmp_path, "payments", "p.csv", header + "P2,C1,2024-03-31,1\n", day=DAY)
    results = sync_landing(con, tmp_path, {}, up_to=date(2024, 3, 30), run_id="r")
    assert [(r.source, r.business_date, r.status) for r in results] == [
        ("payments", date(2024, 3, 30), "loaded")
    ]
    (tmp_path / "payments" / "2024-3-31").mkdir()
    with pytest.raises(LandingError, match=r"2024-3-31 is not named after a business date"):
        sync_landing(con, tmp_path, {}, up_to=DAY, run_id="r")
