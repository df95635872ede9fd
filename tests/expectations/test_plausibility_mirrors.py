"""The raw checks test ingestion's plausibility rules again: a partition holding hand-made
implausible lines fails exactly the mirrored checks, with the counts worked out by hand; a clean
one passes; every rule ingestion has is declared, and every declared kind has a mirror."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from expectations import SuiteOutcome, validate_raw_partition
from expectations.plausibility import MIRRORS, plausibility_outcomes
from expectations.schema import frame_from_arrow
from ingestion.contracts import load_contracts
from ingestion.plausibility import (
    RULE_KINDS,
    Plausibility,
    column_rules,
    plausibility_rules,
)
from ingestion.schema import ensure_raw_schema
from ingestion.value_checks import _plausibility

BUSINESS_DATE = dt.date(2024, 6, 30)
D = Decimal
FIX = (
    "land the corrected file in the date's folder and run `kam run --date <date>` again: the "
    "loader replaces the partition and quarantines what is still implausible"
)


def failing(outcome: SuiteOutcome) -> dict[str, str]:
    """Failed checks as {name: details}."""
    return {o.name: o.details for o in outcome.outcomes if not o.passed}


def lineage(rows: int) -> dict[str, list]:
    return {
        "_business_date": [BUSINESS_DATE] * rows,
        "_source_file": ["export.csv"] * rows,
        "_source_line": list(range(2, rows + 2)),
        "_file_checksum": ["ab12"] * rows,
        "_loaded_at": [pd.Timestamp("2024-07-01 02:00")] * rows,
    }


# --------------------------------------------------------------------------- the declaration

# The words of ingestion's quarantine reason for each kind (ingestion/value_checks.py).
REASON_WORDS = {
    "decimal_scale": "decimals; kam stores",
    "earliest_date": "is before the earliest plausible date",
    "reporting_currency": "is not the reporting currency",
    "not_before": "one of the two dates is wrong",
    "sign_of": "has the opposite sign of",
}


def test_every_kind_of_rule_has_a_mirror_and_a_reason_or_a_conversion():
    assert set(MIRRORS) == set(RULE_KINDS)
    quarantined = {name for name, kind in RULE_KINDS.items() if kind.action == "quarantine"}
    assert quarantined == set(REASON_WORDS)
    assert {name for name, kind in RULE_KINDS.items() if kind.action == "convert"} == {"local_time"}


@pytest.mark.parametrize("source", list(load_contracts()))
def test_the_declaration_lists_every_rule_ingestion_quarantines_for(source):
    """A rule added to ingestion without its declaration (and so without a mirror) fails."""
    contract = load_contracts()[source]
    others = {c.name: j for j, c in enumerate(contract.columns)}
    for col in contract.columns:
        for native in (False, True):
            whens = _plausibility(col, "c0", "t0", native, True, Plausibility.defaults(), others)
            declared = [r.kind for r in column_rules(col) if RULE_KINDS[r.kind].action != "convert"]
            found = [kind for _, reason in whens for kind, w in REASON_WORDS.items() if w in reason]
            assert found == declared, f"{source}.{col.name}: ingestion {found}, declared {declared}"


@pytest.mark.parametrize("source", list(load_contracts()))
def test_every_declared_rule_gives_its_checks(source):
    """Each rule yields one check (two for sign_of), each with its own name."""
    contract = load_contracts()[source]
    columns = [c.name for c in contract.columns]
    frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})
    rules = plausibility_rules(contract)
    names = [o.name for o in plausibility_outcomes(contract, frame, Plausibility.defaults(), "s")]
    assert len(names) == len(set(names)) == sum(2 if r.kind == "sign_of" else 1 for r in rules)


def test_the_rules_of_the_contracts_are_the_documented_ones():
    contracts = load_contracts()
    assert [(r.kind, r.column, r.other) for r in plausibility_rules(contracts["invoices"])] == [
        ("earliest_date", "invoice_date", None),
        ("earliest_date", "due_date", None),
        ("not_before", "due_date", "invoice_date"),
        ("decimal_scale", "amount", None),
        ("reporting_currency", "currency", None),
    ]
    assert [(r.kind, r.column, r.other) for r in plausibility_rules(contracts["interactions"])] == [
        ("earliest_date", "occurred_at", None),
        ("local_time", "occurred_at", None),
        ("earliest_date", "resolved_at", None),
        ("local_time", "resolved_at", None),
        ("not_before", "resolved_at", "occurred_at"),
    ]


# --------------------------------------------------------------------------- invoices


def invoices(rows: list[tuple]) -> pd.DataFrame:
    names = ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency"]
    frame = pd.DataFrame(rows, columns=names)
    return frame.assign(**lineage(len(rows)))


CLEAN_INVOICES = [
    ("I1", "C1", dt.date(2024, 3, 10), dt.date(2024, 4, 9), D("100.5"), "CNY"),
    # a credit note due the day it is issued, the currency in lower case
    ("I2", "C2", dt.date(2024, 3, 1), dt.date(2024, 3, 1), D("-20"), "cny"),
    ("I6", "C2", dt.date(2024, 3, 10), dt.date(2024, 4, 9), D("12.3456"), "CNY"),
]


def test_clean_invoices_pass_every_check():
    outcome = validate_raw_partition("invoices", invoices(CLEAN_INVOICES))
    assert failing(outcome) == {}
    # 14 contract checks (columns, types, key, 10 not-null, one date) and 5 plausibility checks
    assert outcome.summary() == "raw_invoices: all 19 checks passed"


def test_implausible_invoices_fail_exactly_their_checks_with_their_counts():
    frame = invoices(
        CLEAN_INVOICES
        + [
            ("I3", "C1", dt.date(2024, 3, 10), dt.date(2024, 3, 1), D("10"), "CNY"),
            ("I4", "C1", dt.date(1900, 1, 1), dt.date(2024, 1, 31), D("10"), "USD"),
            ("I5", "C2", dt.date(2024, 3, 10), dt.date(1, 1, 1), D("12.34567"), "???"),
        ]
    )
    outcome = validate_raw_partition("invoices", frame)
    # I4: invoice in 1900; I5: due in year 1, before its invoice, 5 decimals; I3: due before
    # invoice; I4 and I5: not CNY.
    assert failing(outcome) == {
        "invoice_date_earliest_date": "1 of 6 rows (16.7 %) break it; e.g. 1900-01-01 ×1",
        "due_date_earliest_date": "1 of 6 rows (16.7 %) break it; e.g. 0001-01-01 ×1",
        "due_date_not_before_invoice_date": (
            "2 of 6 rows (33.3 %) break it; e.g. (2024-03-01, 2024-03-10) ×1, "
            "(0001-01-01, 2024-03-10) ×1"
        ),
        "amount_decimal_scale": "1 of 6 rows (16.7 %) break it; e.g. 12.34567 ×1",
        "currency_reporting_currency": "2 of 6 rows (33.3 %) break it; e.g. 'USD' ×1, '???' ×1",
    }
    assert not outcome.passed


def test_the_message_names_the_table_the_rule_the_count_and_the_fix():
    frame = invoices(
        CLEAN_INVOICES + [("I4", "C1", dt.date(2024, 3, 1), dt.date(2024, 3, 31), D("1"), "USD")]
    )
    assert validate_raw_partition("invoices", frame).summary() == (
        "raw_invoices: 1 error(s), 0 warning(s) in 19 checks — blocks publishing\n"
        "  [ERROR] currency_reporting_currency: raw.invoices.currency is the reporting currency "
        "CNY (plausibility rule reporting_currency: ingestion quarantines a currency other than "
        "reporting_currency (amounts are added up in one currency)). To fix: export the amounts "
        "converted to the reporting currency, or set reporting_currency in "
        f"config/ingestion.yaml; {FIX} — 1 of 4 rows (25.0 %) break it; e.g. 'USD' ×1"
    )


def test_the_installations_settings_are_the_rules_checked():
    settings = Plausibility("HKD", dt.date(2024, 3, 5), "Asia/Hong_Kong")
    outcome = validate_raw_partition("invoices", invoices(CLEAN_INVOICES), settings)
    # every currency is CNY; I2 is invoiced and due on 2024-03-01
    assert failing(outcome) == {
        "invoice_date_earliest_date": "1 of 3 rows (33.3 %) break it; e.g. 2024-03-01 ×1",
        "due_date_earliest_date": "1 of 3 rows (33.3 %) break it; e.g. 2024-03-01 ×1",
        "currency_reporting_currency": ("3 of 3 rows (100.0 %) break it; e.g. 'CNY' ×2, 'cny' ×1"),
    }
    assert "on or after earliest_date 2024-03-05" in outcome.summary()


# --------------------------------------------------------------------------- transactions


def transactions(rows: list[tuple]) -> pd.DataFrame:
    names = [
        "order_id",
        "line_number",
        "ordered_at",
        "quantity",
        "line_amount",
        "line_cost",
        "discount_amount",
    ]
    frame = pd.DataFrame(rows, columns=names)
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"]).astype("datetime64[us]")
    return frame.assign(
        customer_id="C1",
        product_id="P1",
        product_category="pumps",
        unit_price=D("10"),
        **lineage(len(rows)),
    )


CLEAN_LINES = [
    ("O1", 1, "2024-06-30 09:00", D("2"), D("21"), D("15"), D("0")),
    ("O1", 2, "2024-06-30 09:00", D("-1"), D("-10.5"), D("-7.5"), None),  # a return
    ("O4", 1, "2024-06-30 10:00", D("3"), D("0"), D("0"), None),  # a free line loads
    ("O7", 1, "2024-06-30 11:00", D("1"), None, None, None),  # amount and cost unknown
]


def test_clean_lines_pass_every_check():
    outcome = validate_raw_partition("transactions", transactions(CLEAN_LINES))
    assert failing(outcome) == {}
    assert outcome.summary() == "raw_transactions: all 29 checks passed"


def test_implausible_lines_fail_exactly_their_checks_with_their_counts():
    frame = transactions(
        CLEAN_LINES
        + [
            ("O2", 1, "2024-06-30 09:00", D("2"), D("-20"), D("15"), None),
            ("O3", 1, "2024-06-30 09:00", D("-1"), D("5"), D("3"), None),
            ("O5", 1, "2024-06-30 09:00", D("3"), D("0"), D("-1"), None),
            ("O6", 1, "2024-06-30 09:00", D("1.23456"), D("12.3456"), D("8"), D("0.00001")),
            ("O8", 1, "1900-01-01 00:00", D("1"), D("10"), D("7"), None),
        ]
    )
    outcome = validate_raw_partition("transactions", frame)
    # quantity > 0 on 7 lines (O1/1, O4, O7, O2, O5, O6, O8), < 0 on 2 (O1/2, O3).
    assert failing(outcome) == {
        "ordered_at_earliest_date": "1 of 9 rows (11.1 %) break it; e.g. 1900-01-01 00:00:00 ×1",
        "quantity_decimal_scale": "1 of 9 rows (11.1 %) break it; e.g. 1.23456 ×1",
        "discount_amount_decimal_scale": "1 of 9 rows (11.1 %) break it; e.g. 1e-05 ×1",
        "line_amount_sign_of_quantity_positive": "1 of 7 rows (14.3 %) break it; e.g. -20 ×1",
        "line_amount_sign_of_quantity_negative": "1 of 2 rows (50.0 %) break it; e.g. 5 ×1",
        "line_cost_sign_of_quantity_positive": "1 of 7 rows (14.3 %) break it; e.g. -1 ×1",
        "line_cost_sign_of_quantity_negative": "1 of 2 rows (50.0 %) break it; e.g. 3 ×1",
    }


# --------------------------------------------------------------------------- interactions


def interactions(rows: list[tuple], zone: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["interaction_id", "occurred_at", "resolved_at"])
    for column in ("occurred_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
        if zone:
            frame[column] = frame[column].dt.tz_localize(zone)
    return frame.assign(
        customer_id="C1",
        channel="call",
        interaction_type="task",
        status="resolved",
        employee=None,
        **lineage(len(rows)),
    )


CLEAN_EVENTS = [
    ("E1", "2024-06-01 10:00", "2024-06-01 12:00"),
    ("E2", "2024-06-03 10:00", None),  # still open
    ("E3", "2024-06-04 10:00", "2024-06-04 10:00"),  # resolved at once
]


def test_resolved_before_occurred_and_a_placeholder_date_fail_their_checks():
    frame = interactions(
        CLEAN_EVENTS
        + [
            ("E4", "2024-06-02 10:00", "2024-06-02 09:59"),
            ("E5", "1979-12-31 23:00", "2024-06-04 00:00"),
        ]
    )
    assert failing(validate_raw_partition("interactions", frame)) == {
        "occurred_at_earliest_date": "1 of 5 rows (20.0 %) break it; e.g. 1979-12-31 23:00:00 ×1",
        "resolved_at_not_before_occurred_at": (
            "1 of 5 rows (20.0 %) break it; e.g. (2024-06-02 09:59:00, 2024-06-02 10:00:00) ×1"
        ),
    }


def test_time_zone_aware_timestamps_fail_local_time_and_are_dated_in_local_time():
    # 1979-12-31 23:00 UTC is 1980-01-01 07:00 in Asia/Shanghai: plausible, as ingestion
    # (which converts first) judges it.
    frame = interactions(CLEAN_EVENTS + [("E5", "1979-12-31 23:00", None)], zone="UTC")
    assert failing(validate_raw_partition("interactions", frame)) == {
        "occurred_at_local_time": "observed 'datetime64[us, UTC]'",
        "resolved_at_local_time": "observed 'datetime64[us, UTC]'",
    }


# --------------------------------------------------------------------------- from DuckDB


def test_a_raw_table_read_as_the_check_reads_it_fails_on_its_implausible_lines():
    """raw.invoices made by ingestion's DDL, read through Arrow as orchestration/checks.py does."""
    con = duckdb.connect()
    ensure_raw_schema(con)
    con.execute(
        """insert into raw.invoices values
        ('I1', 'C1', date '2024-03-10', date '2024-04-09', 100.5, 'CNY', $d, 'a.csv', 2, 'x', $t),
        ('I2', 'C1', date '2024-03-10', date '2024-03-01', 10, 'USD', $d, 'a.csv', 3, 'x', $t),
        ('I3', 'C2', date '1900-01-01', date '2024-03-01', -5.25, 'cny', $d, 'a.csv', 4, 'x', $t)
        """,
        {"d": BUSINESS_DATE, "t": dt.datetime(2024, 7, 1, 2)},
    )
    table = con.sql("select * from raw.invoices").to_arrow_table()
    con.close()
    types = {"amount": "decimal"}
    outcome = validate_raw_partition("invoices", frame_from_arrow(table, types))
    assert failing(outcome) == {
        "invoice_date_earliest_date": "1 of 3 rows (33.3 %) break it; e.g. 1900-01-01 ×1",
        "due_date_not_before_invoice_date": (
            "1 of 3 rows (33.3 %) break it; e.g. (2024-03-01, 2024-03-10) ×1"
        ),
        "currency_reporting_currency": "1 of 3 rows (33.3 %) break it; e.g. 'USD' ×1",
    }
