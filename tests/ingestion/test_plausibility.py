"""Implausible values are quarantined by rules declared once in contracts.yaml, with settings
(reporting currency, earliest date, time zone) that config/ingestion.yaml may change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion import Mapping, ingest_partition
from ingestion.plausibility import (
    Plausibility,
    PlausibilityError,
    load_plausibility,
)

DAY = date(2024, 3, 31)
INV = "invoice_id,customer_id,invoice_date,due_date,amount,currency\n"
TX = (
    "order_id,line_number,customer_id,ordered_at,product_id,product_category,quantity,"
    "unit_price,line_amount,line_cost\n"
)
IX = "interaction_id,customer_id,occurred_at,channel,interaction_type,status,resolved_at\n"


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        # A session zone other than the rules' one: a conversion must not depend on it.
        connection.execute("set TimeZone = 'America/New_York'")
        yield connection


def land(root: Path, source: str, text: str, name: str = "f.csv") -> None:
    folder = root / source / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def ingest(con, root: Path, source: str, mapping: Mapping | None = None, rules=None):
    return ingest_partition(con, source, DAY, root, mapping or Mapping(source), "run-1", rules)


def quarantined(con) -> list[tuple]:
    return con.execute(
        "select line_number, column_name, reason from raw.quarantine order by line_number"
    ).fetchall()


def test_invoice_in_another_currency_is_quarantined(con, tmp_path):
    land(
        tmp_path,
        "invoices",
        INV
        + "I1,C1,2024-03-01,2024-04-30,500,CNY\n"
        + "I2,C1,2024-03-01,2024-04-30,500,USD\n"
        + "I3,C1,2024-03-01,2024-04-30,500,???\n"
        + "I4,C1,2024-03-01,2024-04-30,500,cny\n",
    )
    ingest(con, tmp_path, "invoices")
    assert con.execute("select invoice_id from raw.invoices order by 1").fetchall() == [
        ("I1",),
        ("I4",),
    ]
    reason = (
        " is not the reporting currency CNY; kam adds amounts up in one currency: export them "
        "converted to CNY, or set reporting_currency in config/ingestion.yaml"
    )
    assert quarantined(con) == [
        (3, "currency", "currency: 'USD'" + reason),
        (4, "currency", "currency: '???'" + reason),
    ]


def test_reporting_currency_is_configurable(con, tmp_path):
    land(
        tmp_path,
        "invoices",
        INV + "I1,C1,2024-03-01,2024-04-30,500,CNY\nI2,C1,2024-03-01,2024-04-30,70,USD\n",
    )
    rules = Plausibility("USD", date(1980, 1, 1), "Asia/Shanghai")
    ingest(con, tmp_path, "invoices", rules=rules)
    assert con.execute("select invoice_id from raw.invoices").fetchall() == [("I2",)]
    assert [r[:2] for r in quarantined(con)] == [(2, "currency")]


def test_dates_before_the_earliest_plausible_date_are_quarantined(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "payment_id,customer_id,payment_date,amount\n"
        "P1,C1,0001-01-01,1\nP2,C1,1900-01-01,1\nP3,C1,1980-01-01,1\n",
    )
    ingest(con, tmp_path, "payments")
    assert con.execute("select payment_id from raw.payments").fetchall() == [("P3",)]
    tail = (
        " is before the earliest plausible date 1980-01-01 (a placeholder such as "
        "1900-01-01?); fix the value, or set earliest_date in config/ingestion.yaml"
    )
    assert quarantined(con) == [
        (2, "payment_date", "payment_date: '0001-01-01'" + tail),
        (3, "payment_date", "payment_date: '1900-01-01'" + tail),
    ]


def test_amount_with_more_than_four_decimals_is_quarantined_never_rounded(con, tmp_path):
    land(
        tmp_path,
        "payments",
        "payment_id,customer_id,payment_date,amount\n"
        'P1,C1,2024-03-30,12.34567\nP2,C1,2024-03-30,12.34560\nP3,C1,2024-03-30,"1,000.00001"\n'
        "P4,C1,2024-03-30,１．２３４５６\nP5,C1,2024-03-30,0.0001\n",
    )
    ingest(con, tmp_path, "payments")
    assert con.execute("select payment_id, amount from raw.payments order by 1").fetchall() == [
        ("P2", Decimal("12.3456")),
        ("P5", Decimal("0.0001")),
    ]
    tail = " has more than 4 decimals; kam stores 4 and never rounds: round it in the export"
    assert quarantined(con) == [
        (2, "amount", "amount: '12.34567'" + tail),
        (4, "amount", "amount: '1,000.00001'" + tail),
        (5, "amount", "amount: '１．２３４５６'" + tail),
    ]


def test_parquet_amount_with_more_than_four_decimals_is_quarantined(con, tmp_path):
    folder = tmp_path / "payments" / DAY.isoformat()
    folder.mkdir(parents=True)
    con.execute(
        f"""copy (select * from (values ('P1', 'C1', date '2024-03-30', 1.23456::double),
                                         ('P2', 'C1', date '2024-03-30', 0.1::double))
                  t(payment_id, customer_id, payment_date, amount))
            to '{folder / "p.parquet"}' (format parquet)"""
    )
    ingest(con, tmp_path, "payments", Mapping("payments", format="parquet"))
    assert con.execute("select payment_id, amount from raw.payments").fetchall() == [
        ("P2", Decimal("0.1")),
    ]
    assert [r[:2] for r in quarantined(con)] == [(1, "amount")]


def test_parquet_timestamps_with_a_time_zone_are_converted_explicitly_and_noted(con, tmp_path):
    folder = tmp_path / "interactions" / DAY.isoformat()
    folder.mkdir(parents=True)
    con.execute(
        f"""copy (select 'X1' as interaction_id, 'C1' as customer_id,
                         timestamptz '2024-03-30 02:00:00+00' as occurred_at,
                         'call' as channel, 'task' as interaction_type, 'open' as status)
            to '{folder / "i.parquet"}' (format parquet)"""
    )
    result = ingest(con, tmp_path, "interactions", Mapping("interactions", format="parquet"))
    # 02:00 UTC is 10:00 in Shanghai, whatever the session's zone (New York here).
    assert con.execute("select occurred_at from raw.interactions").fetchall() == [
        (datetime(2024, 3, 30, 10, 0),)
    ]
    assert result.files[0].message.endswith(
        "time-zone-aware values of occurred_at converted to local time in Asia/Shanghai"
    )


def test_text_timestamps_with_a_zone_are_converted_when_the_format_reads_it(con, tmp_path):
    land(
        tmp_path,
        "interactions",
        IX
        + "X1,C1,2024-03-30 10:00:00+08:00,call,task,open,\n"
        + "X2,C1,2024-03-30 02:00:00+00:00,call,task,open,\n",
    )
    mapping = Mapping("interactions", timestamp_format="%Y-%m-%d %H:%M:%S%z")
    result = ingest(con, tmp_path, "interactions", mapping)
    assert con.execute("select occurred_at from raw.interactions").fetchall() == [
        (datetime(2024, 3, 30, 10, 0),),
        (datetime(2024, 3, 30, 10, 0),),
    ]
    assert result.files[0].message == (
        "optional columns absent (loaded as empty): employee; time-zone-aware values of "
        "occurred_at, resolved_at converted to local time in Asia/Shanghai"
    )


def test_text_timestamp_with_a_zone_the_format_does_not_read_is_quarantined(con, tmp_path):
    land(tmp_path, "interactions", IX + "X1,C1,2024-03-30T10:00:00Z,call,task,open,\n")
    ingest(
        con, tmp_path, "interactions", Mapping("interactions", timestamp_format="%Y-%m-%dT%H:%M:%S")
    )
    assert quarantined(con) == [
        (
            2,
            "occurred_at",
            "occurred_at: '2024-03-30T10:00:00Z' carries a time zone, which timestamp_format "
            "does not read; add %z to timestamp_format in the default mapping of interactions "
            "(e.g. '%Y-%m-%d %H:%M:%S%z'): kam then converts it to local time in time_zone",
        )
    ]


def test_due_date_before_invoice_date_is_quarantined(con, tmp_path):
    land(
        tmp_path,
        "invoices",
        INV + "I1,C1,2024-03-10,2024-03-01,500,CNY\nI2,C1,2024-03-10,2024-03-10,500,CNY\n",
    )
    ingest(con, tmp_path, "invoices")
    assert con.execute("select invoice_id from raw.invoices").fetchall() == [("I2",)]
    assert quarantined(con) == [
        (
            2,
            "due_date",
            "due_date: '2024-03-01' is before invoice_date ('2024-03-10'); one of the two dates "
            "is wrong: fix it in the export",
        )
    ]


def test_resolved_before_occurred_is_quarantined(con, tmp_path):
    land(
        tmp_path,
        "interactions",
        IX
        + "X1,C1,2024-03-30 10:00:00,call,complaint,resolved,2024-03-29 09:00:00\n"
        + "X2,C1,2024-03-30 10:00:00,call,complaint,resolved,2024-03-30 10:00:00\n",
    )
    ingest(con, tmp_path, "interactions")
    assert con.execute("select interaction_id from raw.interactions").fetchall() == [("X2",)]
    assert quarantined(con) == [
        (
            2,
            "resolved_at",
            "resolved_at: '2024-03-29 09:00:00' is before occurred_at ('2024-03-30 10:00:00'); "
            "one of the two dates is wrong: fix it in the export",
        )
    ]


def test_sale_with_negative_amount_and_cost_is_quarantined(con, tmp_path):
    land(
        tmp_path,
        "transactions",
        TX
        + "O1,1,C1,2024-03-30 10:00:00,P1,cat,2,10,-20,-16\n"
        + "O1,2,C1,2024-03-30 10:00:00,P1,cat,-2,10,-20,-16\n"
        + "O1,3,C1,2024-03-30 10:00:00,P1,cat,1,10,0,8\n",
    )
    ingest(con, tmp_path, "transactions")
    assert con.execute(
        "select line_number, quantity, line_amount from raw.transactions order by 1"
    ).fetchall() == [(2, Decimal("-2"), Decimal("-20")), (3, Decimal("1"), Decimal("0"))]
    assert quarantined(con) == [
        (
            2,
            "line_amount, line_cost",
            "line_amount: '-20' has the opposite sign of quantity ('2'); a sale has positive, a "
            "return negative quantity, amount and cost; line_cost: '-16' has the opposite sign "
            "of quantity ('2'); a sale has positive, a return negative quantity, amount and cost",
        )
    ]


def test_settings_file_overrides_the_defaults(tmp_path):
    assert load_plausibility(tmp_path) == Plausibility("CNY", date(1980, 1, 1), "Asia/Shanghai")
    (tmp_path / "ingestion.yaml").write_text(
        "reporting_currency: hkd\nearliest_date: 1970-01-01\ntime_zone: Asia/Hong_Kong\n",
        encoding="utf-8",
    )
    assert load_plausibility(tmp_path) == Plausibility("HKD", date(1970, 1, 1), "Asia/Hong_Kong")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reporting_currency: yuan\n", "reporting_currency 'yuan' is not an ISO currency code"),
        ("earliest_date: someday\n", "earliest_date 'someday' is not a date"),
        ("time_zone: Mars/Olympus\n", "time_zone 'Mars/Olympus' is not a known time zone"),
        ("currency: CNY\n", "unknown setting 'currency'"),
    ],
)
def test_bad_settings_file_is_refused_naming_the_key(tmp_path, text, message):
    (tmp_path / "ingestion.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PlausibilityError) as error:
        load_plausibility(tmp_path)
    assert str(error.value).startswith(f"{tmp_path / 'ingestion.yaml'}: {message}")
