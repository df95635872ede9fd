"""Excel (.xlsx) landing files: a sheet per mapping, the same validation, quarantine line = sheet
row (docs/bad-inputs.md, "Excel")."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from ingestion import sync_landing
from ingestion.mapping import load_mapping

DAY = date(2024, 3, 31)


def load(tmp_path: Path, workbook, mapping: str, name: str = "payments.xlsx") -> list[tuple]:
    folder = tmp_path / "landing" / "payments" / DAY.isoformat()
    folder.mkdir(parents=True)
    workbook(folder / name)
    (tmp_path / "payments.yaml").write_text(mapping, encoding="utf-8")
    with duckdb.connect() as con:
        sync_landing(
            con,
            tmp_path / "landing",
            {"payments": load_mapping(tmp_path / "payments.yaml")},
            up_to=DAY,
            run_id="t",
            sources=["payments"],
        )
        ledger = con.execute(
            "select status, rows_read, rows_loaded, rows_quarantined, message "
            "from raw.ingestion_ledger order by source_file"
        ).fetchall()
        rows = con.execute(
            "select payment_id, customer_id, payment_date, amount, _source_line "
            "from raw.payments order by 1"
        ).fetchall()
        quarantine = con.execute(
            "select line_number, reason from raw.quarantine order by 1"
        ).fetchall()
    return [ledger, rows, quarantine]


def payments(path: Path, sheet: str = "收款") -> None:
    pl.DataFrame(
        {
            "收款单号": ["P1", "P2", "P3"],
            "客户编号": ["C1", "C2", "C3"],
            "收款日期": [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)],
            "金额": [100.5, -5.0, 20.0],
        }
    ).write_excel(path, worksheet=sheet)


MAPPING = """format: excel
sheet: 收款
columns:
  payment_id: 收款单号
  customer_id: 客户编号
  payment_date: 收款日期
  amount: 金额
"""


def test_named_sheet_loads_with_the_same_rules_and_sheet_rows(tmp_path: Path) -> None:
    ledger, rows, quarantine = load(tmp_path, payments, MAPPING)
    assert [entry[:4] for entry in ledger] == [("loaded", 3, 2, 1)]
    assert rows == [
        ("P1", "C1", date(2024, 3, 1), 100.5, 2),
        ("P3", "C3", date(2024, 3, 3), 20, 4),
    ]
    assert quarantine == [(3, "amount: '-5.0' is below the minimum 0")]


def test_a_missing_sheet_rejects_the_file_naming_the_setting(tmp_path: Path) -> None:
    ledger, rows, _ = load(tmp_path, lambda p: payments(p, sheet="Sheet1"), MAPPING)
    [(status, read, loaded, quarantined, message)] = ledger
    assert (status, read, loaded, quarantined, rows) == ("rejected", 0, 0, 0, [])
    assert message.startswith("payments/2024-03-31/payments.xlsx: has no sheet '收款' (")
    assert message.endswith(
        f"set sheet: in {tmp_path / 'payments.yaml'} to the name of the sheet holding the data"
    )


def test_a_file_that_is_no_workbook_is_rejected(tmp_path: Path) -> None:
    ledger, _, _ = load(
        tmp_path, lambda p: p.write_text("收款单号,金额\nP1,1\n", encoding="utf-8"), MAPPING
    )
    [(status, _, _, _, message)] = ledger
    assert status == "rejected"
    assert message.startswith("payments/2024-03-31/payments.xlsx: cannot be read as an Excel ")
    assert message.endswith("save it again as .xlsx, or export the data as CSV and set format: csv")


def test_a_date_column_where_a_number_belongs_rejects_the_file(tmp_path: Path) -> None:
    # One column may feed two canonical columns: here a date column feeds the amount too.
    mapping = MAPPING.replace("amount: 金额", "amount: 收款日期")
    ledger, _, _ = load(tmp_path, payments, mapping)
    [(status, _, _, _, message)] = ledger
    assert status == "rejected"
    assert "column '收款日期' ('amount') has Excel type " in message
    assert "which cannot hold decimal values; export it as a number or as text" in message


def mixed_dates(path: Path) -> None:
    """A date column where one cell is a date and the others are text in the export's format."""
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("收款")
    sheet.write_row(0, 0, ["收款单号", "客户编号", "收款日期", "金额"])
    sheet.write_row(1, 0, ["P1", "C1"])
    sheet.write_datetime(
        1, 2, datetime(2024, 3, 1), workbook.add_format({"num_format": "yyyy-mm-dd"})
    )
    sheet.write_row(1, 3, [100.5])
    sheet.write_row(2, 0, ["P2", "C2", "02/03/2024", 20])
    sheet.write_row(3, 0, ["P3", "C3", "2024-03-03", 30])
    workbook.close()


def test_date_cells_load_in_a_column_that_also_holds_text_dates(tmp_path: Path) -> None:
    # The text cells follow date_format (day first); the date cell is a date whatever the
    # format, and text in another format is still quarantined.
    ledger, rows, quarantine = load(tmp_path, mixed_dates, MAPPING + "date_format: '%d/%m/%Y'\n")
    assert [entry[:4] for entry in ledger] == [("loaded", 3, 2, 1)]
    assert rows == [
        ("P1", "C1", date(2024, 3, 1), 100.5, 2),
        ("P2", "C2", date(2024, 3, 2), 20, 3),
    ]
    assert quarantine == [(4, "payment_date: '2024-03-03' is not a date in format %d/%m/%Y")]
