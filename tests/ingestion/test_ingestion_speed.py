"""Ingestion's shortcuts for large partitions give the rows, order and messages of the plain way.

The loader does not sort the partition on the swap (it relies on DuckDB keeping insertion
order), skips the duplicate-key window when every key is distinct, and tests a line for
blankness without trimming it when it starts with a printable character. It trims a line's
fields only when a space can touch one, and casts a decimal without its pattern when the value
cannot hold what DuckDB's cast accepts beyond the pattern.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion import Mapping, ingest_partition, partition_swap

DAY = date(2024, 3, 31)
TX_HEADER = (
    "order_id,line_number,customer_id,ordered_at,product_id,product_category,quantity,"
    "unit_price,line_amount,line_cost,discount_amount\n"
)
# More lines than two DuckDB row groups (122,880 rows each), so several threads scan them.
BIG = 300_000


def land(landing: Path, name: str, lines: list[str]) -> None:
    folder = landing / "transactions" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(TX_HEADER + "".join(lines), encoding="utf-8")


def tx_line(order: int, customer: str = "C1") -> str:
    return f"O{order:07d},1,{customer},2024-03-30 10:00:00,P1,cat,1,10,10,8,0\n"


def ingest(con: duckdb.DuckDBPyConnection, landing: Path):
    return ingest_partition(con, "transactions", DAY, landing, Mapping("transactions"), "run-1")


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


def big_partition(landing: Path) -> None:
    """a.csv: BIG lines with descending order ids, line 1000 a duplicate of line 2, line 5000
    a bad quantity; b.csv: 3 lines, the second repeating a.csv's line 3."""
    lines = [tx_line(BIG - i) for i in range(BIG)]
    lines[998] = tx_line(BIG, customer="C2")  # file line 1000 repeats line 2's key
    lines[4998] = lines[4998].replace(",1,10,10,8,0", ",x,10,10,8,0")  # file line 5000
    land(landing, "a.csv", lines)
    land(landing, "b.csv", [tx_line(BIG + 1), tx_line(BIG - 1), tx_line(BIG + 2)])


def expected_raw_positions() -> list[tuple[str, int]]:
    a = "transactions/2024-03-31/a.csv"
    b = "transactions/2024-03-31/b.csv"
    kept_a = [(a, line) for line in range(2, BIG + 2) if line not in (1000, 5000)]
    return [*kept_a, (b, 2), (b, 4)]


EXPECTED_QUARANTINE = [
    (
        "transactions/2024-03-31/a.csv",
        1000,
        "order_id, line_number",
        f"duplicate key (order_id=O{BIG:07d}, line_number=1): first seen in line 2",
    ),
    (
        "transactions/2024-03-31/a.csv",
        5000,
        "quantity",
        "quantity: 'x' is not a number (expected e.g. 1234.50 or 1,234.50)",
    ),
    (
        "transactions/2024-03-31/b.csv",
        3,
        "order_id, line_number",
        f"duplicate key (order_id=O{BIG - 1:07d}, line_number=1): first seen in "
        "transactions/2024-03-31/a.csv line 3",
    ),
]


@pytest.mark.parametrize("preserve_order", [True, False])
def test_raw_rows_keep_file_and_line_order_with_duplicates_across_files(
    con, tmp_path, preserve_order
):
    con.execute(f"set preserve_insertion_order = {str(preserve_order).lower()}")
    big_partition(tmp_path)
    result = ingest(con, tmp_path)
    # No ORDER BY: the rows as stored, which BI and dbt read in this order.
    stored = con.execute("select _source_file, _source_line from raw.transactions").fetchall()
    if not preserve_order:  # DuckDB may then return a table in any order; the rows must match
        stored.sort()
    assert stored == expected_raw_positions()
    assert (
        con.execute("""select source_file, line_number, column_name, reason
                          from raw.quarantine""").fetchall()
        == EXPECTED_QUARANTINE
    )
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        (BIG, BIG - 2, 2),
        (3, 2, 1),
    ]


def test_distinct_keys_leave_every_row_loaded(con, tmp_path):
    land(tmp_path, "a.csv", [tx_line(i) for i in range(1, 1001)])
    land(tmp_path, "b.csv", [tx_line(i) for i in range(1001, 1501)])
    result = ingest(con, tmp_path)
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        (1000, 1000, 0),
        (500, 500, 0),
    ]
    assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]


def test_skips_blank_lines_of_spaces_but_reads_lines_starting_with_a_space(con, tmp_path):
    land(
        tmp_path,
        "a.csv",
        [
            tx_line(1),
            "\n",  # line 3: empty
            "   \n",  # line 4: spaces only
            "\u3000\u3000\n",  # line 5: ideographic spaces only (trimmed away)
            " " + tx_line(2),  # line 6: leading space, a real row
            "\t\n",  # line 7: a tab is not trimmed, so this is a row of one field
            "~" + tx_line(3)[1:],  # line 8: starts with '~' (ASCII 126)
        ],
    )
    result = ingest(con, tmp_path)
    assert con.execute("select order_id, _source_line from raw.transactions").fetchall() == [
        ("O0000001", 2),
        ("O0000002", 6),
        ("~0000003", 8),
    ]
    assert con.execute("select line_number, reason, raw_record from raw.quarantine").fetchall() == [
        (7, "wrong number of fields: expected 11 (as in the header), found 1", "\t")
    ]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)


def test_stage_stays_in_file_and_line_order_so_the_swap_needs_no_sort(con, tmp_path, monkeypatch):
    # An `in (...)` list in the validation SQL becomes a join in DuckDB's plan, which shuffles
    # rows; the loader then has to sort the partition, a large cost at 10M lines.
    answers = []
    check = partition_swap._valid_rows_in_order

    def spy(connection):
        answers.append(check(connection))
        return answers[-1]

    monkeypatch.setattr(partition_swap, "_valid_rows_in_order", spy)
    big_partition(tmp_path)
    ingest(con, tmp_path)
    assert answers == [True]


def test_fields_are_trimmed_on_every_kind_of_line(con, tmp_path):
    # The split trims a line's fields only when a space touches a delimiter or an end of the
    # line, or the line is not ASCII; each value below is worked out by hand.
    land(
        tmp_path,
        "a.csv",
        [
            tx_line(1),  # line 2: nothing to trim
            "O0000002 ,1, C2,2024-03-30 10:00:00,P1,cat,1,10,10,8,0\n",  # line 3: spaces
            " O0000003,1,C3,2024-03-30 10:00:00,P1,cat,1,10,10,8, 0 \n",  # line 4: at the ends
            "O0000004,1,C4\u3000,2024-03-30 10:00:00,P1,类 别,1,10,10,8,0\n",  # line 5: U+3000
            "O0000005,1,\u00a0C5,2024-03-30 10:00:00,P1,cat,1,10,10,8,0\n",  # line 6: NBSP
            'O0000006,1," C6 ",2024-03-30 10:00:00,P1,"a, b",1,10,10,8,0\n',  # line 7: quoted
            "O0000007,1,C7,2024-03-30 10:00:00,P1,c a t,1,10,10,8,0\n",  # line 8: inner spaces
        ],
    )
    ingest(con, tmp_path)
    assert con.execute(
        "select order_id, customer_id, product_category, discount_amount from raw.transactions"
    ).fetchall() == [
        ("O0000001", "C1", "cat", 0),
        ("O0000002", "C2", "cat", 0),
        ("O0000003", "C3", "cat", 0),
        ("O0000004", "C4", "类 别", 0),
        ("O0000005", "C5", "cat", 0),
        ("O0000006", "C6", "a, b", 0),
        ("O0000007", "C7", "c a t", 0),
    ]
    assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]


def test_decimals_read_by_the_fast_cast_or_the_pattern_as_by_the_pattern_alone(con, tmp_path):
    # unit_price values; each expected value or reason is worked out by hand from the contract.
    values = {
        "12.5": 12.5,
        "+.5": 0.5,
        "7.": 7,
        "00012": 12,
        '"1,234.50"': 1234.5,  # thousands separators: the normalising path
        "１２.５": 12.5,  # full-width digits: the normalising path
        '" 3.25 "': 3.25,  # quoted, spaces inside the quotes
        "1e5": "'1e5' is in scientific notation",
        "1E5": "'1E5' is in scientific notation",
        "1_000": "'1_000' is not a number",
        "1.2.3": "'1.2.3' is not a number",
        "\t5": "'\t5' is not a number",  # DuckDB's cast would skip the tab
        "5\x0c": "'5\x0c' is not a number",
        # too large for DECIMAL(18,4): said so, not called "not a number"
        "99999999999999999": "'99999999999999999' has more digits than kam stores",
    }
    lines = [
        f"O{i:07d},1,C1,2024-03-30 10:00:00,P1,cat,1,{text},10,8,0\n"
        for i, text in enumerate(values, start=1)
    ]
    land(tmp_path, "a.csv", lines)
    ingest(con, tmp_path)
    loaded = dict(con.execute("select order_id, unit_price from raw.transactions").fetchall())
    reasons = dict(con.execute("select line_number, reason from raw.quarantine").fetchall())
    for line, (text, expected) in enumerate(values.items(), start=2):
        if isinstance(expected, str):
            assert reasons.get(line, "").startswith(f"unit_price: {expected}"), text
        else:
            assert float(loaded[f"O{line - 1:07d}"]) == expected, text
    assert len(loaded) + len(reasons) == len(values)


def test_trim_removes_no_ascii_character_but_the_space(con):
    # The split skips trim() on ASCII lines with no space at a field's edge (csv_reader.py).
    trimmed = con.execute(
        "select list(range order by range) from range(1, 128) "
        "where trim(chr(range::int) || 'a' || chr(range::int)) <> chr(range::int) || 'a' "
        "|| chr(range::int)"
    ).fetchall()[0][0]
    assert trimmed == [32]


def test_decimal_cast_accepts_nothing_but_the_pattern_once_the_extras_are_excluded(con):
    # typed_values.typed() casts a decimal without the pattern check when the value holds none of
    # DECIMAL_CAST_EXTRAS, no PLAIN_WHITESPACE and no space at an edge (it is trimmed). Every
    # string of up to 3 characters from ASCII and some look-alikes, of up to 6 from the
    # characters of numbers, and a 1 with any other character of the BMP before, after or
    # around it, is cast; none may pass that the pattern rejects.
    from ingestion.contracts import SQL_TYPES
    from ingestion.typed_values import DECIMAL, DECIMAL_CAST_EXTRAS, PLAIN_WHITESPACE

    excluded = "".join(DECIMAL_CAST_EXTRAS) + PLAIN_WHITESPACE
    con.execute(
        "create table ch as select chr(range::int) as ch from range(1, 128) "
        "union all select chr(x) from (values (160), (12288), (65296), (65294), (8722)) v(x)"
    )
    con.execute("create table num as select unnest(['0', '9', '.', '+', '-', ' ', 'e']) as ch")
    con.execute("""create table s as
        select a.ch || b.ch || c.ch as s from ch a, ch b, ch c
        union all select a.ch || b.ch from ch a, ch b union all select ch from ch
        union all select a.ch || b.ch || c.ch || d.ch || e.ch || f.ch
        from num a, num b, num c, num d, num e, num f
        union all select unnest([chr(x) || '1', '1' || chr(x), chr(x) || '1' || chr(x)])
        from (select range::int as x from range(128, 65536)
              where range not between 55296 and 57343)""")
    decimal = SQL_TYPES["decimal"]
    passed = con.execute(
        f"""select s from s
        where trim(s) = s and not regexp_matches(s, ?) and try_cast(s as {decimal}) is not null
          and not regexp_full_match(s, ?)""",
        ["[" + "".join(f"\\x{{{ord(x):x}}}" for x in excluded) + "]", DECIMAL],
    ).fetchall()
    assert passed == []
