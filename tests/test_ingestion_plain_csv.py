"""A plain CSV file is read with DuckDB's own reader; any other falls back to the line path.

Both paths must give the same rows, line numbers, quarantine reasons and record texts; the
expected values below were worked out by hand from the lines written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import Mapping, ingest_partition, loader

DAY = date(2024, 3, 31)
HEADER = (
    "order_id,line_number,customer_id,ordered_at,product_id,product_category,quantity,"
    "unit_price,line_amount,line_cost,discount_amount\n"
)
LINE = "O{},1,C1,2024-03-30 10:00:00,P1,cat,{},10,10,8,{}\n"
FILE = "transactions/2024-03-31/a.csv"


def land(landing: Path, body: str | bytes) -> None:
    folder = landing / "transactions" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    (folder / "a.csv").write_bytes(HEADER.encode("utf-8") + data)


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


@pytest.fixture
def paths(monkeypatch) -> list[str]:
    """Records which path read each file: 'plain' (DuckDB's reader) or 'lines'."""
    taken: list[str] = []
    plain, lines = loader._stage_plain_csv, loader._csv_relation

    def spy_plain(*args, **kwargs):
        notes = plain(*args, **kwargs)
        if notes is not None:
            taken.append("plain")
        return notes

    def spy_lines(*args, **kwargs):
        taken.append("lines")
        return lines(*args, **kwargs)

    monkeypatch.setattr(loader, "_stage_plain_csv", spy_plain)
    monkeypatch.setattr(loader, "_csv_relation", spy_lines)
    return taken


def ingest(con, landing: Path, mapping: Mapping | None = None):
    mapping = mapping or Mapping("transactions")
    return ingest_partition(con, "transactions", DAY, landing, mapping, "run-1")


def raw_rows(con) -> list[tuple]:
    return con.execute(
        "select order_id, quantity, discount_amount, _source_line from raw.transactions"
    ).fetchall()


def quarantine(con) -> list[tuple]:
    return con.execute(
        "select line_number, column_name, reason, raw_record from raw.quarantine"
    ).fetchall()


def test_plain_file_is_read_by_duckdb_with_the_same_values_lines_and_reasons(con, tmp_path, paths):
    body = (
        LINE.format(1, "2", "0")
        + LINE.format(2, " 3 ", "")  # spaces around a value; an empty optional value
        + LINE.format(3, "x", "0")  # not a number
        + LINE.format(4, "１２３４.５", "NULL")  # full-width digits; a null marker
        + LINE.format(5, "1e5", "0")  # scientific notation
        + LINE.format(6, "¥5", "0")  # currency sign
        + LINE.format(7, "+5", "-0")  # plus sign; minus zero
        + LINE.format(8, ".5", "5.")[:-1]  # no line end after the last line
    )
    land(tmp_path, body)
    result = ingest(con, tmp_path)
    assert paths == ["plain"]
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [(8, 5, 3)]
    rows = [(o, str(q), None if d is None else str(d), line) for o, q, d, line in raw_rows(con)]
    assert rows == [
        ("O1", "2.0000", "0.0000", 2),
        ("O2", "3.0000", None, 3),
        ("O4", "1234.5000", None, 5),
        ("O7", "5.0000", "0.0000", 8),
        ("O8", "0.5000", "5.0000", 9),
    ]
    assert quarantine(con) == [
        (
            4,
            "quantity",
            "quantity: 'x' is not a number (expected e.g. 1234.50 or 1,234.50)",
            "O3,1,C1,2024-03-30 10:00:00,P1,cat,x,10,10,8,0",
        ),
        (
            6,
            "quantity",
            "quantity: '1e5' is in scientific notation, which may have lost digits (Excel "
            "shortens long numbers so); export the number in plain digits",
            "O5,1,C1,2024-03-30 10:00:00,P1,cat,1e5,10,10,8,0",
        ),
        (
            7,
            "quantity",
            "quantity: '¥5' contains a currency sign or code; export the plain number "
            "(e.g. 1000.00): amounts are in the reporting currency",
            "O6,1,C1,2024-03-30 10:00:00,P1,cat,¥5,10,10,8,0",
        ),
    ]


def test_an_empty_field_stays_empty_text_when_it_is_not_a_null_marker(con, tmp_path, paths):
    land(tmp_path, LINE.format(1, "2", ""))
    ingest(con, tmp_path, replace(Mapping("transactions"), null_values=("NULL",)))
    assert paths == ["plain"]
    assert quarantine(con) == [
        (
            2,
            "discount_amount",
            "discount_amount: '' is not a number (expected e.g. 1234.50 or 1,234.50)",
            "O1,1,C1,2024-03-30 10:00:00,P1,cat,2,10,10,8,",
        )
    ]


@pytest.mark.parametrize(
    ("body", "loaded", "quarantined"),
    [
        pytest.param(
            LINE.format(1, "2", "0") + "\n" + LINE.format(2, "3", "0"),
            [2, 4],
            [],
            id="blank line",
        ),
        pytest.param(
            LINE.format(1, "2", "0") + "  \n" + LINE.format(2, "3", "0"),
            [2, 4],
            [],
            id="line of spaces",
        ),
        pytest.param(
            '"O1",1,C1,2024-03-30 10:00:00,P1,cat,2,10,10,8,0\n',
            [2],
            [],
            id="quoted value",
        ),
        pytest.param(
            LINE.format(1, "2", "0") + "O2,1,C1\n",
            [2],
            [(3, None, "wrong number of fields: expected 11 (as in the header), found 3")],
            id="wrong number of fields",
        ),
        pytest.param(
            LINE.format(1, "2", "0\x00"),
            [],
            [(2, None, loader.NUL_REASON)],
            id="NUL byte",
        ),
        pytest.param(
            LINE.format(1, "2", "0").encode("utf-8")
            + LINE.format(2, "3", "0\xff").encode("latin-1"),
            [2],
            [(3, None, "invalid bytes for encoding utf-8; check the encoding setting")],
            id="invalid UTF-8",
        ),
    ],
)
def test_a_file_that_is_not_plain_is_read_line_by_line(
    con, tmp_path, paths, body, loaded, quarantined
):
    land(tmp_path, body)
    ingest(con, tmp_path)
    assert paths == ["lines"]
    assert [row[3] for row in raw_rows(con)] == loaded
    assert [row[:3] for row in quarantine(con)] == quarantined


def test_line_path_is_used_when_duckdb_may_reorder_rows(con, tmp_path, paths):
    con.execute("set preserve_insertion_order = false")
    land(tmp_path, LINE.format(1, "2", "0"))
    ingest(con, tmp_path)
    assert paths == ["lines"]
    assert [row[3] for row in raw_rows(con)] == [2]


def test_files_taking_different_paths_keep_their_lines_and_duplicates(con, tmp_path, paths):
    land(tmp_path, LINE.format(1, "2", "0") + LINE.format(2, "3", "0"))
    folder = tmp_path / "transactions" / DAY.isoformat()
    (folder / "b.csv").write_text(HEADER + "\n" + LINE.format(2, "4", "0"), encoding="utf-8")
    result = ingest(con, tmp_path)
    assert paths == ["plain", "lines"]
    assert [(f.rows_read, f.rows_loaded) for f in result.files] == [(2, 2), (1, 0)]
    assert quarantine(con) == [
        (
            3,
            "order_id, line_number",
            f"duplicate key (order_id=O2, line_number=1): first seen in {FILE} line 3",
            "O2,1,C1,2024-03-30 10:00:00,P1,cat,4.0000,10.0000,10.0000,8.0000,0.0000",
        )
    ]
