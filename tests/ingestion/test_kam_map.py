"""`kam map SOURCE FILE` proposes a mapping from a sample export's headers (docs/mappings.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
import retail_export as retail

from ingestion import sync_landing
from ingestion.mapping import load_mapping
from ingestion.propose import Proposal, match_headers, propose_mapping
from orchestration.cli import main

DAY = date.fromisoformat(retail.BUSINESS_DATE)


def raw_tables(landing: Path, mapping_path: Path) -> tuple[list, list]:
    with duckdb.connect() as con:
        sync_landing(
            con,
            landing,
            {"transactions": load_mapping(mapping_path, "transactions")},
            up_to=DAY,
            run_id="t",
            sources=["transactions"],
        )
        return (
            con.execute(
                "select * exclude (_loaded_at) from raw.transactions order by all"
            ).fetchall(),
            con.execute(
                "select line_number, column_name, reason from raw.quarantine order by all"
            ).fetchall(),
        )


def test_proposal_for_the_retail_export_loads_it_unchanged(tmp_path: Path, monkeypatch) -> None:
    landing = tmp_path / "landing"
    export = retail.write_parquet(
        landing / "transactions" / retail.BUSINESS_DATE / "online_retail.parquet"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["map", "transactions", str(export)]) == 0
    proposed = tmp_path / "transactions.yaml"
    assert load_mapping(proposed).columns == retail.MAPPING_COLUMNS
    by_hand = tmp_path / "by_hand.yaml"
    by_hand.write_text(retail.mapping_yaml("parquet"), encoding="utf-8")
    rows, quarantine = raw_tables(landing, proposed)
    assert (rows, quarantine) == raw_tables(landing, by_hand)
    assert len(rows) == retail.ROWS_LOADED
    # A second run does not overwrite the reviewed file.
    assert main(["map", "transactions", str(export)]) == 2


def test_report_names_missing_columns_and_derivations(tmp_path: Path) -> None:
    export = retail.write_parquet(tmp_path / "online_retail.parquet")
    proposal = propose_mapping("transactions", export)
    report = proposal.report()
    assert proposal.missing_required == []
    assert [name for name, _ in proposal.derived] == [
        "line_number",
        "product_category",
        "line_amount",
        "line_cost",
    ]
    assert "  missing, line_cost: unknown: gross profit, margin and contribution" in report
    assert "  missing, optional (loaded as empty): discount_amount" in report
    assert "  export columns not used (ignored): Description, Country" in report


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["客户编号", "客户名称"], {"customer_id": "客户编号", "customer_name": "客户名称"}),
        (["CustomerID", "Name"], {"customer_id": "CustomerID", "customer_name": "Name"}),
        (["客户代码", "公司名称"], {"customer_id": "客户代码", "customer_name": "公司名称"}),
        (
            ["customer id", "CUSTOMER_NAME"],
            {"customer_id": "customer id", "customer_name": "CUSTOMER_NAME"},
        ),
    ],
)
def test_headers_match_english_and_chinese_names(header, expected) -> None:
    assert match_headers("customers", header) == expected


def test_gb18030_csv_with_chinese_headers_and_slashed_dates(tmp_path: Path) -> None:
    export = tmp_path / "交易_20240331.txt"
    export.write_bytes(
        (
            "订单编号;客户代码;下单日期;产品代码;类别;数量;单价;金额;成本;备注\n"
            "SO-1;C001;2024/03/29;P1;轴承;2;50.00;100.00;60.00;加急\n"
            "SO-2;C002;2024/03/30;P2;电机;1;80.00;80.00;50.00;\n"
        ).encode("gb18030")
    )
    proposal = propose_mapping("transactions", export)
    assert (proposal.format, proposal.encoding, proposal.delimiter) == ("csv", "gb18030", ";")
    assert proposal.file_pattern == "*.txt"
    assert proposal.date_format == "%Y/%m/%d"
    assert proposal.columns == {
        "order_id": "订单编号",
        "customer_id": "客户代码",
        "ordered_at": "下单日期",
        "product_id": "产品代码",
        "product_category": "类别",
        "quantity": "数量",
        "unit_price": "单价",
        "line_amount": "金额",
        "line_cost": "成本",
    }
    assert proposal.unmapped == ["备注"]
    # The proposal loads the sample: two lines, line numbers derived.
    mapping_path = tmp_path / "transactions.yaml"
    mapping_path.write_text(proposal.yaml(), encoding="utf-8")
    landing = tmp_path / "landing"
    folder = landing / "transactions" / "2024-03-31"
    folder.mkdir(parents=True)
    (folder / export.name).write_bytes(export.read_bytes())
    with duckdb.connect() as con:
        sync_landing(
            con,
            landing,
            {"transactions": load_mapping(mapping_path)},
            date(2024, 3, 31),
            "t",
            sources=["transactions"],
        )
        assert con.execute(
            "select order_id, line_number, customer_id, cast(ordered_at as date), line_cost "
            "from raw.transactions order by 1"
        ).fetchall() == [
            ("SO-1", 1, "C001", date(2024, 3, 29), 60),
            ("SO-2", 1, "C002", date(2024, 3, 30), 50),
        ]


def test_month_first_timestamps_are_detected_and_an_ambiguity_is_named(tmp_path: Path) -> None:
    export = tmp_path / "Online Retail.csv"
    export.write_text(
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
        "536365,85123A,6,12/1/2010 8:26,2.55,17850\n"
        "536366,22633,6,12/1/2010 8:28,1.85,17850\n",
        encoding="utf-8",
    )
    proposal = propose_mapping("transactions", export)
    assert proposal.timestamp_format == "%m/%d/%Y %H:%M"
    assert any("read both as %m/%d/%Y %H:%M and as %d/%m/%Y %H:%M" in n for n in proposal.notes)
    export.write_text(
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
        "536365,85123A,6,12/13/2010 8:26,2.55,17850\n",
        encoding="utf-8",
    )
    proposal = propose_mapping("transactions", export)
    assert proposal.timestamp_format == "%m/%d/%Y %H:%M"
    assert proposal.notes == []


def test_aligned_text_gets_delimiter_whitespace(tmp_path: Path) -> None:
    export = retail.write_aligned_text(tmp_path / "retail.txt")
    proposal = propose_mapping("transactions", export)
    assert proposal.delimiter == "whitespace"
    assert proposal.timestamp_format == "%Y-%m-%dT%H:%M:%S"
    assert proposal.columns == retail.MAPPING_COLUMNS


def test_excel_sample(tmp_path: Path) -> None:
    export = retail.write_xlsx(tmp_path / "online_retail.xlsx")
    proposal = propose_mapping("transactions", export)
    assert proposal.format == "excel"
    assert proposal.columns == retail.MAPPING_COLUMNS


def test_missing_required_column_is_reported_and_exits_1(tmp_path: Path, capsys) -> None:
    export = tmp_path / "payments.csv"
    export.write_text("收款单号,收款日期,金额\nP1,2024-03-01,100\n", encoding="utf-8")
    output = tmp_path / "payments.yaml"
    assert main(["map", "payments", str(export), "--output", str(output)]) == 1
    out = capsys.readouterr().out
    assert "missing, required (the file is rejected until mapped): customer_id" in out
    assert "# customer_id: ???" in output.read_text(encoding="utf-8")


def test_invoice_and_payment_headers_match_their_usual_names() -> None:
    assert match_headers("payments", ["Receipt No", "CustomerID", "Payment Date", "Amount"]) == {
        "payment_id": "Receipt No",
        "customer_id": "CustomerID",
        "payment_date": "Payment Date",
        "amount": "Amount",
    }
    assert match_headers(
        "invoices", ["发票号码", "客户代码", "开票日期", "到期日期", "金额", "币种"]
    ) == {
        "invoice_id": "发票号码",
        "customer_id": "客户代码",
        "invoice_date": "开票日期",
        "due_date": "到期日期",
        "amount": "金额",
        "currency": "币种",
    }


def test_mapping_text_quotes_the_file_settings_in_a_fixed_order() -> None:
    proposal = Proposal(
        "invoices",
        "excel",
        sheet="Rechnungen '24",
        file_pattern="*.xlsx",
        date_format="%d.%m.%Y",
        timestamp_format="%d.%m.%Y %H:%M",
        columns={"invoice_id": "Nr."},
    )
    assert proposal.yaml().splitlines()[2:] == [
        "format: excel",
        "sheet: 'Rechnungen ''24'",
        "file_pattern: '*.xlsx'",
        "date_format: '%d.%m.%Y'",
        "timestamp_format: '%d.%m.%Y %H:%M'",
        "columns:",
        "  invoice_id: 'Nr.'",
    ]
    assert "sheet:" not in Proposal("invoices", "csv").yaml()
