"""Bad-input battery for ingestion: every case ends in precise quarantine rows or a clear rejection,
and the ledger always reconciles with the raw and quarantine tables (docs/bad-inputs.md)."""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import landing_files
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion import (
    LandingError,
    Mapping,
    MappingError,
    PartitionResult,
    ingest_partition,
    load_mapping,
    sync_landing,
)

DAY = date(2024, 3, 31)
PAY = "payment_id,customer_id,invoice_id,payment_date,amount\n"
TX = (
    "order_id,line_number,customer_id,ordered_at,product_id,product_category,quantity,"
    "unit_price,line_amount,line_cost,discount_amount\n"
)
IX = "interaction_id,customer_id,occurred_at,channel,interaction_type,status\n"


# Landing files of DAY unless a test names another day.
land = functools.partial(landing_files.land, day=DAY)


def ingest(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    source: str = "payments",
    mapping: Mapping | None = None,
    day: date = DAY,
) -> PartitionResult:
    result = ingest_partition(con, source, day, root, mapping or Mapping(source), "run-1")
    assert_reconciles(con, root, result)
    return result


def data_lines(path: Path) -> list[int]:
    """Line numbers (header = 1) of the non-blank data lines, counted from the bytes."""
    if path.suffix == ".parquet":
        return list(range(1, pq.read_metadata(path).num_rows + 1))
    lines = re.split(rb"\r\n|\r|\n", path.read_bytes())
    return [n for n, line in enumerate(lines, start=1) if n > 1 and line.strip(b" ")]


def assert_reconciles(con: duckdb.DuckDBPyConnection, root: Path, result: PartitionResult) -> None:
    """rows read = loaded + quarantined for every file, the ledger says so, and raw + quarantine
    hold each data line of a loaded file exactly once (a rejected file: none of them)."""
    source, day = result.source, result.business_date
    for f in result.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
        loaded = [
            r[0]
            for r in con.execute(
                f"select _source_line from raw.{source} "
                "where _source_file = ? and _business_date = ?",
                [f.source_file, day],
            ).fetchall()
        ]
        quarantined = [
            r[0]
            for r in con.execute(
                "select line_number from raw.quarantine "
                "where source_file = ? and business_date = ?",
                [f.source_file, day],
            ).fetchall()
        ]
        assert (len(loaded), len(quarantined)) == (f.rows_loaded, f.rows_quarantined)
        ledger = con.execute(
            """select status, rows_read, rows_loaded, rows_quarantined from raw.ingestion_ledger
               where source_file = ? and business_date = ? order by loaded_at desc limit 1""",
            [f.source_file, day],
        ).fetchone()
        assert ledger == (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined)
        if f.status == "rejected":
            assert (f.rows_read, loaded, quarantined) == (0, [], [])
        else:
            expected = data_lines(root / f.source_file)
            assert sorted(loaded + quarantined) == expected
            assert f.rows_read == len(expected)


def quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("""select source_file, line_number, column_name, reason from raw.quarantine
                          order by source_file, line_number""").fetchall()


def statuses(result: PartitionResult) -> list[tuple]:
    return [(f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files]


def write_parquet(con: duckdb.DuckDBPyConnection, path: Path, select: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    escaped = str(path).replace("'", "''")
    con.execute(f"copy ({select}) to '{escaped}' (format parquet)")


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


F = "payments/2024-03-31/p.csv"


# --- columns and header ------------------------------------------------------------------------


def test_rejects_file_missing_required_column_naming_it_and_the_fix(con, tmp_path):
    land(tmp_path, "payments", "p.csv", "payment_id,payment_date,amount\nP1,2024-03-30,1\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        f"{F}: required column 'customer_id' missing from the header (found: payment_id, "
        "payment_date, amount); add it to the export, or map the export's name for it under "
        "'columns:' in the default mapping of payments"
    ]


def test_ignores_extra_column_and_notes_it_in_the_ledger(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        "payment_id,customer_id,remark,payment_date,amount\nP1,C1,late,2024-03-30,1\n",
    )
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert result.files[0].message == (
        "optional columns absent (loaded as empty): invoice_id; ignored unmapped columns: remark"
    )


def test_reads_columns_by_name_whatever_their_order(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        "amount,payment_date,invoice_id,customer_id,payment_id\n12.5,2024-03-30,I1,C1,P1\n",
    )
    ingest(con, tmp_path)
    assert con.execute(
        "select payment_id, customer_id, invoice_id, payment_date, amount from raw.payments"
    ).fetchall() == [("P1", "C1", "I1", date(2024, 3, 30), Decimal("12.5"))]


def test_rejects_semicolon_file_read_with_comma_suggesting_the_delimiter(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY.replace(",", ";") + "P1;C1;;2024-03-30;1\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        f"{F} line 1: the header was read as the single column "
        "payment_id;customer_id;invoice_id;payment_date;amount; the file seems to be delimited "
        "by ';', not ',': set delimiter: ';' in the default mapping of payments"
    ]


def test_rejects_header_naming_a_column_twice(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        "payment_id,customer_id,amount,payment_date,amount\nP1,C1,1,2024-03-30,2\n",
    )
    result = ingest(con, tmp_path)
    assert result.problems == [
        f"{F} line 1: column 'amount' appears more than once in the "
        "header; rename or remove the duplicate in the export"
    ]


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            "P1,C1,,2024-03-30,abc",
            "amount",
            "amount: 'abc' is not a number (expected e.g. 1234.50 or 1,234.50)",
        ),
        (
            "P1,C1,,yesterday,1",
            "payment_date",
            "payment_date: 'yesterday' is not a date in format %Y-%m-%d",
        ),
        (
            "P1,C1,,2023-02-30,1",
            "payment_date",
            "payment_date: '2023-02-30' is not a date in format %Y-%m-%d",
        ),
        (
            "P1,C1,,2024-04-02,1",
            "payment_date",
            "payment_date: '2024-04-02' is dated in the future "
            "(more than 1 day after business date 2024-03-31)",
        ),
        ("P1,C1,,2024-03-30,-0.01", "amount", "amount: '-0.01' is below the minimum 0"),
        (
            'P1,C1,,2024-03-30,"¥1,000"',
            "amount",
            "amount: '¥1,000' contains a currency sign or code; "
            "export the plain number (e.g. 1000.00): amounts are in the reporting currency",
        ),
        (
            "P1,C1,,2024-03-30,1.5E+3",
            "amount",
            "amount: '1.5E+3' is in scientific notation, which may have lost digits "
            "(Excel shortens long numbers so); export the number in plain digits",
        ),
        (
            'P1,C1,,2024-03-30,"1,2"',
            "amount",
            "amount: '1,2' is not a number (expected e.g. 1234.50 or 1,234.50)",
        ),
    ],
    ids=[
        "text-in-number",
        "unparsable-date",
        "impossible-date",
        "future-date",
        "negative-amount",
        "currency-symbol",
        "scientific-notation",
        "misplaced-thousands-separator",
    ],
)
def test_quarantines_bad_value_with_line_column_and_reason(con, tmp_path, row, column, reason):
    land(tmp_path, "payments", "p.csv", PAY + "P0,C1,,2024-03-30,5\n" + row + "\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 2, 1, 1)]
    assert quarantine(con) == [(F, 3, column, reason)]
    assert con.execute("select raw_record from raw.quarantine").fetchone() == (row,)


def test_quarantines_date_in_another_format_than_the_mapping_says(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1,,30/03/2024,1\nP2,C1,,2024-03-30,1\n")
    ingest(con, tmp_path, mapping=Mapping("payments", date_format="%d/%m/%Y"))
    assert con.execute("select payment_id, payment_date from raw.payments").fetchall() == [
        ("P1", date(2024, 3, 30))
    ]
    assert quarantine(con) == [
        (F, 3, "payment_date", "payment_date: '2024-03-30' is not a date in format %d/%m/%Y")
    ]


def test_quarantines_negative_price_and_zero_quantity(con, tmp_path):
    land(
        tmp_path,
        "transactions",
        "t.csv",
        TX
        + "O1,1,C1,2024-03-30 10:00:00,P1,cat,0,10,0,0,0\n"
        + "O1,2,C1,2024-03-30 10:00:00,P1,cat,1,-10,-10,8,0\n",
    )
    result = ingest(con, tmp_path, "transactions")
    assert statuses(result) == [("loaded", 2, 0, 2)]
    assert quarantine(con) == [
        ("transactions/2024-03-31/t.csv", 2, "quantity", "quantity: '0' must not be 0"),
        (
            "transactions/2024-03-31/t.csv",
            3,
            "unit_price, line_amount",
            "unit_price: '-10' is below the minimum 0; line_amount: '-10' has the opposite sign "
            "of quantity ('1'); a sale has positive, a return negative quantity, amount and cost",
        ),
    ]


def test_quarantines_unknown_enum_value_listing_the_allowed_ones(con, tmp_path):
    land(tmp_path, "interactions", "i.csv", IX + "X1,C1,2024-03-30 09:00:00,fax,task,open\n")
    ingest(con, tmp_path, "interactions")
    assert quarantine(con) == [
        (
            "interactions/2024-03-31/i.csv",
            2,
            "channel",
            "channel: 'fax' is not an allowed value (allowed: visit, call, email, meeting)",
        )
    ]


def test_accepts_enum_in_other_case_and_spacing_and_stores_it_normalised(con, tmp_path):
    land(
        tmp_path, "interactions", "i.csv", IX + "X1,C1,2024-03-30 09:00:00, Visit ,COMPLAINT,Open\n"
    )
    result = ingest(con, tmp_path, "interactions")
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert con.execute(
        "select channel, interaction_type, status from raw.interactions"
    ).fetchall() == [("visit", "complaint", "open")]


def test_loads_unknown_customer_id_for_dbt_relationship_test_to_warn(con, tmp_path):
    # raw has no customers at all: the row still loads; dbt's relationships test (severity
    # warn) on int_payments_deduplicated.customer_id reports it.
    land(tmp_path, "payments", "p.csv", PAY + "P1,NO-SUCH-CUSTOMER,,2024-03-30,1\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert con.execute("select customer_id from raw.payments").fetchall() == [("NO-SUCH-CUSTOMER",)]


def test_normalises_thousands_separators_and_fullwidth_digits(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        PAY + 'P1,C1,,2024-03-30,"1,234.50"\nP2,C1,,2024-03-30,１２３４．５\n',
    )
    ingest(con, tmp_path)
    assert con.execute("select payment_id, amount from raw.payments order by 1").fetchall() == [
        ("P1", Decimal("1234.50")),
        ("P2", Decimal("1234.5")),
    ]


def test_accepts_boolean_variants_and_quarantines_unknown_one(con, tmp_path):
    land(
        tmp_path,
        "customers",
        "c.csv",
        "customer_id,customer_name,channel_type,status,"
        "is_strategic\nC1,A,direct,active,是\nC2,B,direct,active,否\nC3,C,direct,active,Y\n"
        "C4,D,direct,active,n\nC5,E,direct,active,对\n",
    )
    result = ingest(con, tmp_path, "customers")
    assert statuses(result) == [("loaded", 5, 4, 1)]
    assert con.execute(
        "select customer_id, is_strategic from raw.customers order by 1"
    ).fetchall() == [("C1", True), ("C2", False), ("C3", True), ("C4", False)]
    assert quarantine(con) == [
        (
            "customers/2024-03-31/c.csv",
            6,
            "is_strategic",
            # The customer master holds personal data: reasons never quote its values.
            "is_strategic: the value is not a boolean (true: true, 1, yes, y, 是, "
            "t; false: false, 0, no, n, 否, f)",
        )
    ]


def test_loads_one_megabyte_text_value(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1," + "x" * 1_000_000 + ",2024-03-30,1\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert con.execute("select length(invoice_id) from raw.payments").fetchone() == (1_000_000,)


# --- keys --------------------------------------------------------------------------------------


def test_quarantines_duplicate_key_within_a_file(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1,,2024-03-30,1\nP1,C2,,2024-03-30,2\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 2, 1, 1)]
    assert quarantine(con) == [
        (F, 3, "payment_id", "duplicate key (payment_id=P1): first seen in line 2")
    ]


def test_quarantines_duplicate_key_across_files_of_a_folder(con, tmp_path):
    land(tmp_path, "payments", "a.csv", PAY + "P1,C1,,2024-03-30,1\n")
    land(tmp_path, "payments", "b.csv", PAY + "P2,C1,,2024-03-30,1\nP1,C2,,2024-03-30,2\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 1, 1, 0), ("loaded", 2, 1, 1)]
    assert quarantine(con) == [
        (
            "payments/2024-03-31/b.csv",
            3,
            "payment_id",
            "duplicate key (payment_id=P1): first seen in payments/2024-03-31/a.csv line 2",
        )
    ]


def test_same_key_on_a_later_business_date_loads_as_a_correction(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1,,2024-03-30,1\n", day=date(2024, 3, 30))
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1,,2024-03-30,7\n")
    results = sync_landing(con, tmp_path, {}, up_to=DAY, run_id="run-1", sources=["payments"])
    for result in results:
        assert_reconciles(con, tmp_path, result)
    assert con.execute("select _business_date, amount from raw.payments order by 1").fetchall() == [
        (date(2024, 3, 30), Decimal("1")),
        (DAY, Decimal("7")),
    ]
    assert quarantine(con) == []


# --- encodings and bytes -----------------------------------------------------------------------


def test_rejects_gb18030_file_declared_utf8_advising_gb18030(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        PAY + "P1,C1,,2024-03-30,1\nP2,华东机电,,2024-03-30,1\n",
        encoding="gb18030",
    )
    result = ingest(con, tmp_path)
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        f"{F} line 3: invalid bytes for encoding utf-8, but the whole file reads as GB18030 (a "
        "Chinese ERP export); declare encoding: gb18030 in the default mapping of payments"
    ]


def test_utf8_file_with_one_gb18030_line_names_the_line_instead_of_advising_gb18030(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        (PAY + "P1,华东机电,,2024-03-30,1\nP2,华南贸易,,2024-03-30,1\n").encode()
        + "P3,华北商行,,2024-03-30,1\n".encode("gb18030")
        + "P4,西部电气,,2024-03-30,1\n".encode(),
    )
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 4, 3, 1)]
    assert result.files[0].message == (
        "line(s) 4 hold bytes invalid in utf-8 while the rest of the file is utf-8 (the export "
        "mixes encodings?); they are quarantined: fix them at the source"
    )
    # Every UTF-8 name loads as written, none garbled.
    assert con.execute("select customer_id from raw.payments order by 1").fetchall() == [
        ("华东机电",),
        ("华南贸易",),
        ("西部电气",),
    ]
    assert quarantine(con) == [
        (F, 4, None, "invalid bytes for encoding utf-8; check the encoding setting")
    ]


def test_replacement_character_in_valid_utf8_loads_and_is_noted_not_called_invalid(con, tmp_path):
    land(
        tmp_path, "payments", "p.csv", PAY + "P1,C1,,2024-03-30,1\nP2,华\ufffd机电,,2024-03-30,1\n"
    )
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 2, 2, 0)]
    assert result.files[0].message == (
        "line 3 (and maybe others) holds U+FFFD, the replacement character: its text was "
        "garbled before it was exported; loaded as it is"
    )
    assert con.execute("select customer_id from raw.payments order by 1").fetchall() == [
        ("C1",),
        ("华\ufffd机电",),
    ]


def test_rejects_utf8_file_declared_gb18030_advising_utf8(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,华东机电,,2024-03-30,1\n")
    result = ingest(con, tmp_path, mapping=Mapping("payments", encoding="gb18030"))
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        f"{F}: the mapping declares encoding gb18030, but the file is UTF-8 (reading it as "
        "GB18030 would garble every Chinese character); declare encoding: utf-8 in the default "
        "mapping of payments"
    ]


def test_quarantines_line_with_bytes_invalid_in_any_encoding(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        PAY.encode() + b"P1,C1,,2024-03-30,1\n" + b"P2,C\xff\xff,,2024-03-30,1\n",
    )
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 2, 1, 1)]
    assert quarantine(con) == [
        (F, 3, None, "invalid bytes for encoding utf-8; check the encoding setting")
    ]


def test_reads_utf8_byte_order_mark(con, tmp_path):
    land(tmp_path, "payments", "p.csv", b"\xef\xbb\xbf" + (PAY + "P1,C1,,2024-03-30,1\n").encode())
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert con.execute("select payment_id from raw.payments").fetchall() == [("P1",)]


def test_rejects_utf16_file(con, tmp_path):
    land(tmp_path, "payments", "p.csv", (PAY + "P1,C1,,2024-03-30,1\n").encode("utf-16"))
    result = ingest(con, tmp_path)
    assert result.problems == [
        f"{F}: is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8 or "
        "GB18030 and declare that encoding in the default mapping of payments"
    ]


def test_rejects_binary_garbage(con, tmp_path):
    land(tmp_path, "payments", "p.csv", bytes(range(256)) * 40)
    result = ingest(con, tmp_path)
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        f"{F} line 1: the header contains control characters (e.g. NUL bytes), so this is not a "
        "CSV text file (binary, zipped or Excel?); export the data as CSV text"
    ]


def test_quarantines_line_with_nul_byte(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,C\x001,,2024-03-30,1\nP2,C1,,2024-03-30,1\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 2, 1, 1)]
    assert quarantine(con) == [
        (
            F,
            2,
            None,
            "contains a NUL byte (\\x00), so the line is damaged; "
            "fix the line in the export (NUL bytes are never valid in text)",
        )
    ]


# --- file shape --------------------------------------------------------------------------------


def test_rejects_empty_file(con, tmp_path):
    land(tmp_path, "payments", "p.csv", b"")
    result = ingest(con, tmp_path)
    assert result.problems == [
        f"{F}: the file is empty (not even a header line); export it "
        "again with a header naming the columns"
    ]


def test_header_only_file_loads_zero_rows(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY)
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 0, 0, 0)]


def test_quarantines_truncated_last_line(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1,,2024-03-30,1\nP2,C1,,2024-03")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 2, 1, 1)]
    assert quarantine(con) == [
        (F, 3, None, "wrong number of fields: expected 5 (as in the header), found 4")
    ]


def test_loads_last_line_without_trailing_newline(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1,,2024-03-30,1\nP2,C1,,2024-03-30,2")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 2, 2, 0)]


def test_loads_crlf_line_endings(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        (PAY + "P1,C1,,2024-03-30,1\nP2,C1,,2024-03-30,2\n").replace("\n", "\r\n"),
    )
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 2, 2, 0)]
    assert con.execute("select payment_id, amount from raw.payments order by 1").fetchall() == [
        ("P1", Decimal("1")),
        ("P2", Decimal("2")),
    ]


def test_loads_quoted_field_with_embedded_delimiter(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + 'P1,"C1, Shanghai",,2024-03-30,1\n')
    ingest(con, tmp_path)
    assert con.execute("select customer_id from raw.payments").fetchall() == [("C1, Shanghai",)]


def test_quarantines_both_halves_of_quoted_field_with_embedded_newline(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + 'P1,C1,"I\n1",2024-03-30,1\nP2,C1,,2024-03-30,1\n')
    result = ingest(con, tmp_path)
    assert statuses(result) == [("loaded", 3, 1, 2)]
    broken = (
        'broken quoting: a " quote is not closed or is followed by text; fix the quoting '
        "(a quote inside a quoted value is written twice)"
    )
    assert quarantine(con) == [(F, 2, None, broken), (F, 3, None, broken)]


# --- Parquet -----------------------------------------------------------------------------------


def test_rejects_parquet_missing_required_column(con, tmp_path):
    write_parquet(
        con,
        tmp_path / "payments" / DAY.isoformat() / "p.parquet",
        "select 'P1' as payment_id, date '2024-03-30' as payment_date, 1.0 as amount",
    )
    result = ingest(con, tmp_path, mapping=Mapping("payments", format="parquet"))
    assert result.problems == [
        "payments/2024-03-31/p.parquet: required column 'customer_id' missing from the header "
        "(found: payment_id, payment_date, amount); add it to the export, or map the export's "
        "name for it under 'columns:' in the default mapping of payments"
    ]


def test_rejects_parquet_column_of_a_type_that_cannot_hold_the_values(con, tmp_path):
    write_parquet(
        con,
        tmp_path / "payments" / DAY.isoformat() / "p.parquet",
        "select 'P1' as payment_id, 'C1' as customer_id, date '2024-03-30' as "
        "payment_date, true as amount",
    )
    result = ingest(con, tmp_path, mapping=Mapping("payments", format="parquet"))
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        "payments/2024-03-31/p.parquet: column 'amount' ('amount') has Parquet type BOOLEAN, "
        "which cannot hold decimal values; export it as a number or as text"
    ]


def test_quarantines_fractional_parquet_number_in_whole_number_column(con, tmp_path):
    write_parquet(
        con,
        tmp_path / "transactions" / DAY.isoformat() / "t.parquet",
        """
        select 'O1' as order_id, v as line_number, 'C1' as customer_id,
               timestamp '2024-03-30 10:00:00' as ordered_at, 'P1' as product_id,
               'cat' as product_category, 1.0 as quantity, 10.0 as unit_price,
               10.0 as line_amount, 8.0 as line_cost
        from (values (1.0::double), (2.5::double)) t(v)""",
    )
    result = ingest(con, tmp_path, "transactions", Mapping("transactions", format="parquet"))
    assert statuses(result) == [("loaded", 2, 1, 1)]
    assert con.execute("select line_number from raw.transactions").fetchall() == [(1,)]
    assert quarantine(con) == [
        (
            "transactions/2024-03-31/t.parquet",
            2,
            "line_number",
            "line_number: '2.5' cannot be converted to integer",
        )
    ]


def test_rejects_file_named_parquet_that_is_not_parquet(con, tmp_path):
    land(tmp_path, "payments", "p.parquet", PAY + "P1,C1,,2024-03-30,1\n")
    result = ingest(con, tmp_path, mapping=Mapping("payments", format="parquet"))
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems[0].startswith(
        "payments/2024-03-31/p.parquet: cannot be read as Parquet ("
    )
    assert result.problems[0].endswith(
        "); export it again or set format: csv in the mapping if it is a CSV"
    )


# --- landing layout and mappings ---------------------------------------------------------------


def test_rejects_landing_folder_not_named_after_a_date(con, tmp_path):
    (tmp_path / "payments" / "not-a-date").mkdir(parents=True)
    with pytest.raises(LandingError) as error:
        sync_landing(con, tmp_path, {}, up_to=DAY, run_id="run-1")
    assert str(error.value) == (
        f"landing folder {tmp_path / 'payments' / 'not-a-date'} is not named after a business "
        "date; rename it to YYYY-MM-DD (e.g. 2024-03-31) or move it out of the landing area"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "format: csv\ncolumns:\n  customer_id: [C\n",
            "payments.yaml line 4, column 1: YAML syntax error: ",
        ),
        (
            "format: csv\ndelimeter: ';'\n",
            "payments.yaml line 2: key 'delimeter': unknown setting; "
            "did you mean 'delimiter'? use one of columns, date_format, delimiter, ",
        ),
        (
            "file_pattern: '../*.csv'\n",
            "payments.yaml line 1: key 'file_pattern': '../*.csv' reaches outside the date folder; "
            "give a file name pattern without folders, e.g. '*.csv' or 'export_*.txt'",
        ),
    ],
    ids=["yaml-syntax", "unknown-key", "pattern-outside-folder"],
)
def test_rejects_bad_mapping_file_naming_line_key_and_fix(tmp_path, text, expected):
    path = tmp_path / "payments.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_mapping(path)
    assert str(error.value).startswith(f"{path}") and expected in str(error.value)


def test_rejects_file_lacking_a_column_the_mapping_renames(con, tmp_path):
    path = tmp_path / "payments.yaml"
    path.write_text("columns:\n  invoice_id: 发票号\n", encoding="utf-8")
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1,I1,2024-03-30,1\n")
    result = ingest(con, tmp_path, mapping=load_mapping(path))
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        f"{F}: {path} maps 'invoice_id' to '发票号', but the header has no such column (found: "
        "payment_id, customer_id, invoice_id, payment_date, amount); correct the export name "
        "under 'columns:', or remove the line if the export does not have that column"
    ]


# --- hostile names -----------------------------------------------------------------------------

HOSTILE = 'a"; drop table raw.payments; --'


def test_loads_csv_column_with_hostile_name_mapped_by_the_mapping(con, tmp_path):
    path = tmp_path / "payments.yaml"
    path.write_text(
        "columns:\n  customer_id: 'a\"; drop table raw.payments; --'\n"
        "null_values: ['', \"it's none\"]\ndate_format: \"%Y-%m-%d'\"\n",
        encoding="utf-8",
    )
    land(
        tmp_path,
        "payments",
        "p.csv",
        f'payment_id,"{HOSTILE.replace(chr(34), 2 * chr(34))}",'
        "invoice_id,payment_date,amount\nP1,C1,it's none,2024-03-30',1\n",
    )
    result = ingest(con, tmp_path, mapping=load_mapping(path))
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert con.execute(
        "select payment_id, customer_id, invoice_id, payment_date from raw.payments"
    ).fetchall() == [("P1", "C1", None, date(2024, 3, 30))]


def test_loads_parquet_column_with_hostile_name(con, tmp_path):
    quoted = '"' + HOSTILE.replace('"', '""') + '"'
    write_parquet(
        con,
        tmp_path / "payments" / DAY.isoformat() / "p.parquet",
        f"select 'P1' as payment_id, 'C1' as {quoted}, date '2024-03-30' as "
        "payment_date, -1.0 as amount",
    )
    mapping = Mapping("payments", format="parquet", columns={"customer_id": HOSTILE})
    result = ingest(con, tmp_path, mapping=mapping)
    assert statuses(result) == [("loaded", 1, 0, 1)]
    assert con.execute("select raw_record from raw.quarantine").fetchone() == (
        '{"payment_id":"P1","a\\"; drop table raw.payments; --":"C1",'
        '"payment_date":"2024-03-30","amount":-1.0}',
    )


def test_loads_file_whose_name_contains_a_single_quote(con, tmp_path):
    land(tmp_path, "payments", "o'brien's export.csv", PAY + "P1,C1,,2024-03-30,1\n")
    write_parquet(
        con,
        tmp_path / "transactions" / DAY.isoformat() / "it's.parquet",
        """
        select 'O1' as order_id, 1 as line_number, 'C1' as customer_id,
               timestamp '2024-03-30 10:00:00' as ordered_at, 'P1' as product_id,
               'cat' as product_category, 1.0 as quantity, 10.0 as unit_price,
               10.0 as line_amount, 8.0 as line_cost""",
    )
    assert statuses(ingest(con, tmp_path)) == [("loaded", 1, 1, 0)]
    assert statuses(
        ingest(con, tmp_path, "transactions", Mapping("transactions", format="parquet"))
    ) == [("loaded", 1, 1, 0)]
    assert con.execute(
        "select _source_file from raw.payments union all select _source_file from raw.transactions"
    ).fetchall() == [
        ("payments/2024-03-31/o'brien's export.csv",),
        ("transactions/2024-03-31/it's.parquet",),
    ]


def test_reload_of_unchanged_folder_with_rejected_file_retries_it(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY.replace(",", ";") + "P1;C1;;2024-03-30;1\n")
    ingest(con, tmp_path)
    result = ingest(con, tmp_path, mapping=Mapping("payments", delimiter=";"))
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert con.execute("select status from raw.ingestion_ledger order by loaded_at").fetchall() == [
        ("rejected",),
        ("loaded",),
    ]


def test_parquet_export_column_named_like_an_internal_column_keeps_its_values(con, tmp_path):
    write_parquet(
        con,
        tmp_path / "payments" / DAY.isoformat() / "p.parquet",
        "select 'P7' as _line, 'C1' as customer_id, date '2024-03-30' as payment_date, "
        "1.0 as amount",
    )
    mapping = Mapping("payments", format="parquet", columns={"payment_id": "_line"})
    result = ingest(con, tmp_path, mapping=mapping)
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert con.execute("select payment_id, _source_line from raw.payments").fetchall() == [
        ("P7", 1)
    ]


# --- smaller gaps ------------------------------------------------------------------------------


def test_loads_parquet_with_an_all_empty_optional_column_of_type_null(con, tmp_path):
    path = tmp_path / "payments" / DAY.isoformat() / "p.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "payment_id": ["P1"],
                "customer_id": ["C1"],
                "invoice_id": pa.array([None], type=pa.null()),
                "payment_date": [date(2024, 3, 30)],
                "amount": [1.5],
            }
        ),
        path,
    )
    result = ingest(con, tmp_path, mapping=Mapping("payments", format="parquet"))
    assert statuses(result) == [("loaded", 1, 1, 0)]
    assert con.execute("select payment_id, invoice_id, amount from raw.payments").fetchall() == [
        ("P1", None, Decimal("1.5"))
    ]


def test_rejects_parquet_naming_a_column_twice_like_csv(con, tmp_path):
    path = tmp_path / "payments" / DAY.isoformat() / "p.parquet"
    path.parent.mkdir(parents=True)
    table = pa.Table.from_arrays(
        [
            pa.array(["P1"]),
            pa.array(["C1"]),
            pa.array([date(2024, 3, 30)]),
            pa.array([1.0]),
            pa.array([2.0]),
        ],
        names=["payment_id", "customer_id", "payment_date", "amount", "amount"],
    )
    pq.write_table(table, path)
    result = ingest(con, tmp_path, mapping=Mapping("payments", format="parquet"))
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        "payments/2024-03-31/p.parquet: column 'amount' appears more than once in the header; "
        "rename or remove the duplicate in the export"
    ]


def test_shows_a_byte_order_mark_inside_a_column_name(con, tmp_path):
    land(tmp_path, "payments", "p.csv", "\ufeff" + "\ufeff" + PAY + "P1,C1,,2024-03-30,1\n")
    result = ingest(con, tmp_path)
    assert result.problems == [
        f"{F}: required column 'payment_id' missing from the header (found: \\ufeffpayment_id, "
        "customer_id, invoice_id, payment_date, amount); add it to the export, or map the "
        "export's name for it under 'columns:' in the default mapping of payments; the header "
        "holds invisible characters (shown as \\uXXXX, \\ufeff is a byte order mark): remove "
        "them from the export"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "date_format: '%Y-%q'\n",
            "payments.yaml line 1: key 'date_format': '%Y-%q' is not a valid format (",
        ),
        (
            "date_format: '%m/%d'\n",
            "payments.yaml line 1: key 'date_format': '%m/%d' has no year (%Y or %y), so every "
            "date would be read as 1900; include the year, e.g. '%Y-%m-%d'",
        ),
        (
            "delimiter: ';'\nencoding: gb18030\ndelimiter: ','\n",
            "payments.yaml line 3: key 'delimiter' appears a second time (first on line 1); "
            "YAML would keep only the last one: remove one",
        ),
        (
            "columns:\n  customer_id: 客户\n  customer_id: 客户编号\n",
            "payments.yaml line 3: key 'columns.customer_id' appears a second time (first on "
            "line 2); YAML would keep only the last one: remove one",
        ),
    ],
    ids=["invalid-directive", "no-year", "repeated-key", "repeated-column"],
)
def test_rejects_mapping_format_or_repeated_key_before_loading(tmp_path, text, expected):
    path = tmp_path / "payments.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_mapping(path)
    assert str(error.value).startswith(f"{tmp_path}/{expected}")


def test_rejects_line_longer_than_sixteen_megabytes_saying_so(con, tmp_path):
    land(tmp_path, "payments", "p.csv", PAY + "P1,C1," + "x" * 17_000_000 + ",2024-03-30,1\n")
    result = ingest(con, tmp_path)
    assert statuses(result) == [("rejected", 0, 0, 0)]
    assert result.problems == [
        f"{F} line 2: is longer than 16 MB, the most kam reads in one line (a line break missing "
        "from the export?); fix that line in the export"
    ]
