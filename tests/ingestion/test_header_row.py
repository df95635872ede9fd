"""Exports with a title above the header (a report's name and date, as ERP reports print them):
`header_row` in the mapping names the line or sheet row holding the column names, and a file
whose first line names no column says which later line does (docs/mappings.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import xlsxwriter
from test_excel_input import load

from ingestion.mapping import MappingError, load_mapping
from ingestion.propose import propose_mapping

TITLE_LINES = ["收款明细表", "制表日期: 2024-04-01", ""]
HEADER = ["payment_id", "customer_id", "payment_date", "amount"]
ROWS = [["P1", "C1", "2024-03-01", "100.50"], ["P2", "C2", "2024-03-02", "-5"]]
P1 = ("P1", "C1", date(2024, 3, 1), 100.5, 5)  # as loaded: P1 is line (sheet row) 5
CSV = "payments.csv"


def csv_with_title(path: Path) -> None:
    lines = [*TITLE_LINES, ",".join(HEADER), *(",".join(row) for row in ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def excel_with_title(path: Path) -> None:
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write(0, 0, TITLE_LINES[0])
    sheet.write(1, 0, TITLE_LINES[1])
    sheet.write_row(3, 0, HEADER)
    for k, (payment, customer, day, amount) in enumerate(ROWS):
        sheet.write_row(4 + k, 0, [payment, customer, day, float(amount)])
    workbook.close()


def test_a_csv_title_is_skipped_and_lines_keep_their_numbers(tmp_path: Path) -> None:
    ledger, rows, quarantine = load(tmp_path, csv_with_title, "header_row: 4\n", CSV)
    # Line 4 is the header; P1 is line 5 and P2 (a negative amount) line 6.
    assert [entry[:4] for entry in ledger] == [("loaded", 2, 1, 1)]
    assert rows == [P1]
    assert quarantine == [(6, "amount: '-5' is below the minimum 0")]


def test_an_excel_title_is_skipped_and_rows_keep_their_sheet_numbers(tmp_path: Path) -> None:
    ledger, rows, quarantine = load(tmp_path, excel_with_title, "format: excel\nheader_row: 4\n")
    assert [entry[:4] for entry in ledger] == [("loaded", 2, 1, 1)]
    assert rows == [P1]
    assert quarantine == [(6, "amount: '-5.0' is below the minimum 0")]


@pytest.mark.parametrize(
    ("write", "settings"), [(csv_with_title, ""), (excel_with_title, "format: excel\n")]
)
def test_a_title_above_the_header_says_which_header_row_to_set(
    tmp_path: Path, write, settings: str
) -> None:
    name = CSV if write is csv_with_title else "payments.xlsx"
    ledger, rows, _ = load(tmp_path, write, settings, name)
    [(status, _, _, _, message)] = ledger
    assert (status, rows) == ("rejected", [])
    assert message == (
        f"payments/2024-03-31/{name} line 1: names none of the expected columns, but line 4 "
        "does (lines above the header, such as a report title?); set header_row: 4 in "
        f"{tmp_path / 'payments.yaml'}"
    )


def test_a_header_row_past_the_end_of_the_file_is_named(tmp_path: Path) -> None:
    ledger, _, _ = load(tmp_path, csv_with_title, "header_row: 9\n", CSV)
    [(status, _, _, _, message)] = ledger
    assert status == "rejected"
    assert message == (
        f"payments/2024-03-31/payments.csv line 9: is blank or missing, but header_row in "
        f"{tmp_path / 'payments.yaml'} says the column names are there; set header_row to the "
        "line that names the columns"
    )


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("header_row: 0", "0 is not a line number from 1 to 1000"),
        ("header_row: 'three'", "'three' is not a line number from 1 to 1000"),
        ("format: parquet\nheader_row: 2", "a Parquet file has no header line"),
    ],
)
def test_a_wrong_header_row_setting_is_refused(tmp_path: Path, setting: str, problem: str) -> None:
    path = tmp_path / "payments.yaml"
    path.write_text(setting + "\n", encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert f"key 'header_row': {problem}" in str(caught.value)


@pytest.mark.parametrize("write", [csv_with_title, excel_with_title])
def test_kam_map_finds_the_header_below_a_title_and_its_proposal_loads(
    tmp_path: Path, write
) -> None:
    name = CSV if write is csv_with_title else "payments.xlsx"
    (tmp_path / "sample").mkdir()
    write(tmp_path / "sample" / name)
    proposal = propose_mapping("payments", tmp_path / "sample" / name)
    assert proposal.header_row == 4
    assert proposal.columns == {name: name for name in HEADER}
    assert "header_row: 4\n" in proposal.yaml()
    ledger, rows, _ = load(tmp_path, write, proposal.yaml(), name)
    assert [entry[:4] for entry in ledger] == [("loaded", 2, 1, 1)]
    assert rows == [P1]
