"""No personal data in anything published: key persons' names, phones and emails planted through
every route a bad input takes (a file without its header, a bad value, a damaged line) appear in
no published table and no published Parquet file, and in no message or reason kam writes."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion import Mapping, ingest_partition
from orchestration.runner import execute_nightly
from warehouse.settings import load_settings

LANDING = Path(__file__).parents[1] / "e2e_landing"
DAY = date(2025, 3, 20)
CUSTOMER_HEADER = (
    "customer_id,customer_name,industry,province,city,channel_type,account_manager,"
    "first_cooperation_date,credit_limit,payment_terms_days,is_strategic,qualitative_rating,"
    "status,key_person_name,key_person_role,key_person_phone,key_person_email\n"
)
# Planted personal values: none of them may reach anything published.
PERSONAL = (
    "王五",
    "13900000099",
    "wangwu@example.com",
    "赵六",
    "13900000077",
    "zhaoliu@example.com",
    "钱七",
    "13900000055",
    "qianqi@example.com",
    "孙八",
    "13600000088",
    "sunba@example.com",
)
# A customer file landed without its header line: its first line is a customer's data.
HEADERLESS_CUSTOMERS = (
    "C8,西部电气,machinery,四川,成都,direct,王芳,2024-01-01,10000,30,false,3,active,"
    "赵六,采购经理,13900000077,zhaoliu@example.com\n"
)
# Lines that are quarantined: a key person's email where the status belongs (a shifted line),
# an email in a number column, and a line with one field too many.
BAD_CUSTOMER_LINES = (
    CUSTOMER_HEADER + "C6,东部贸易,wholesale,江苏,南京,direct,张伟,2024-01-01,10000,30,false,3,"
    "wangwu@example.com,王五,经理,13900000099,wangwu@example.com\n"
    + "C7,南方商行,wholesale,广东,广州,direct,张伟,2024-01-01,qianqi@example.com,30,false,3,"
    "active,钱七,经理,13900000055,qianqi@example.com\n"
    + "C5,北部物资,wholesale,辽宁,沈阳,direct,张伟,2024-01-01,10000,30,false,3,active,"
    "钱七,经理,13900000055,qianqi@example.com,extra\n"
)
# A contact list dropped into the interactions folder: no header, names, phones and emails.
CONTACT_LIST = "孙八,13600000088,sunba@example.com\n王五,13900000099,wangwu@example.com\n"


def land(root: Path, source: str, name: str, text: str, day: date = DAY) -> Path:
    folder = root / source / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def personal_hits(text: str) -> list[str]:
    return [value for value in PERSONAL if value in text]


def test_headerless_customer_file_is_rejected_naming_columns_not_its_first_line(tmp_path):
    land(tmp_path, "customers", "c.csv", HEADERLESS_CUSTOMERS)
    with duckdb.connect() as con:
        result = ingest_partition(con, "customers", DAY, tmp_path, Mapping("customers"), "r")
        ledger = con.execute("select status, message from raw.ingestion_ledger").fetchall()
    assert result.problems == [
        "customers/2025-03-20/c.csv line 1: the first line names none of the expected columns "
        "(it has 17 field(s); required: 'customer_id', 'customer_name', 'channel_type', "
        "'status'), so the file seems to have no header line; export it again with a header "
        "line naming the columns, or map the export's own column names under 'columns:' in "
        "the default mapping of customers"
    ]
    assert ledger == [("rejected", result.problems[0])]


def test_headerless_file_of_another_source_is_not_quoted_either(tmp_path):
    land(tmp_path, "interactions", "contacts.csv", CONTACT_LIST)
    with duckdb.connect() as con:
        result = ingest_partition(con, "interactions", DAY, tmp_path, Mapping("interactions"), "r")
    assert [f.status for f in result.files] == ["rejected"]
    assert personal_hits(result.problems[0]) == []
    assert "it has 3 field(s)" in result.problems[0]


def test_customer_quarantine_reasons_name_column_and_rule_not_value(tmp_path):
    land(tmp_path, "customers", "c.csv", BAD_CUSTOMER_LINES)
    with duckdb.connect() as con:
        ingest_partition(con, "customers", DAY, tmp_path, Mapping("customers"), "r")
        rows = con.execute(
            "select line_number, column_name, reason from raw.quarantine order by line_number"
        ).fetchall()
    assert rows == [
        (
            2,
            "status",
            "status: the value is not an allowed value (allowed: active, inactive, suspended, "
            "closed)",
        ),
        (
            3,
            "credit_limit",
            "credit_limit: the value is not a number (expected e.g. 1234.50 or 1,234.50)",
        ),
        (4, None, "wrong number of fields: expected 17 (as in the header), found 18"),
    ]


def test_reasons_of_sources_without_personal_data_still_quote_the_value(tmp_path):
    land(
        tmp_path,
        "payments",
        "p.csv",
        "payment_id,customer_id,invoice_id,payment_date,amount\nP1,C1,,2025-03-19,abc\n",
    )
    with duckdb.connect() as con:
        ingest_partition(con, "payments", DAY, tmp_path, Mapping("payments"), "r")
        reason = con.execute("select reason from raw.quarantine").fetchone()[0]
    assert reason == "amount: 'abc' is not a number (expected e.g. 1234.50 or 1,234.50)"


def _published_text(publish_dir: Path) -> dict[str, list[str]]:
    """Every value of every published table (DuckDB copy) and Parquet file, as text."""
    found: dict[str, list[str]] = {}
    with duckdb.connect(str(publish_dir / "kam.duckdb"), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        for table in tables:
            rows = con.execute(f'select cast(columns(*) as varchar) from "{table}"').fetchall()
            found[f"kam.duckdb:{table}"] = [v for row in rows for v in row if v is not None]
    parquet_files = sorted((publish_dir / "parquet").rglob("*.parquet"))
    assert parquet_files, "the publication wrote no Parquet files"
    with duckdb.connect() as con:
        for path in parquet_files:
            rows = con.execute(
                "select cast(columns(*) as varchar) from read_parquet(?)", [str(path)]
            ).fetchall()
            found[str(path)] = [v for row in rows for v in row if v is not None]
    return found


@pytest.mark.slow
def test_no_planted_personal_value_reaches_the_published_copy(tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(LANDING, home / "landing")
    landing = home / "landing"
    headerless = land(landing, "customers", "headerless.csv", HEADERLESS_CUSTOMERS)
    land(landing, "customers", "bad_lines.csv", BAD_CUSTOMER_LINES)
    contacts = land(landing, "interactions", "contacts.csv", CONTACT_LIST)
    (home / "dagster").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name in ("KAM_LANDING_DIR", "KAM_WAREHOUSE_PATH", "KAM_PUBLISH_DIR", "KAM_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings({"KAM_HOME": str(home)})

    rejected = execute_nightly(settings, DAY)
    assert not rejected.success
    assert personal_hits(rejected.report()) == []
    # The operator removes the two wrong files; the next run publishes, ledger history included.
    headerless.unlink()
    contacts.unlink()
    published = execute_nightly(settings, DAY)
    assert published.success, published.report()

    found = _published_text(settings.publish_dir)
    with duckdb.connect(str(settings.publish_dir / "kam.duckdb"), read_only=True) as con:
        ledger = con.execute(
            "select source_file, status from ingestion_ledger where status = 'rejected' "
            "order by source_file"
        ).fetchall()
        quarantined = con.execute(
            "select source_file, line_number from quarantine where source = 'customers' "
            "order by line_number"
        ).fetchall()
    # The routes were taken: both rejections and the three bad lines are published.
    assert ledger == [
        ("customers/2025-03-20/headerless.csv", "rejected"),
        ("interactions/2025-03-20/contacts.csv", "rejected"),
    ]
    assert quarantined == [("customers/2025-03-20/bad_lines.csv", n) for n in (2, 3, 4)]
    leaks = {where: hits for where, values in found.items() if (hits := personal_hits(str(values)))}
    assert leaks == {}
    # The writer warehouse keeps the lines themselves (so the scan above is not vacuous).
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        kept = con.execute("select string_agg(raw_record, '|') from raw.quarantine").fetchone()[0]
    assert "wangwu@example.com" in kept and "qianqi@example.com" in kept
