"""The demo generator: layout, determinism and the planted structure kam's scoring is tested on."""

from __future__ import annotations

import hashlib
from datetime import date, time, timedelta
from pathlib import Path

import polars as pl
import pytest
import yaml

from demo import DemoError, DemoSummary, generate_demo

CONTRACTS = Path(__file__).resolve().parents[2] / "ingestion/contracts.yaml"
SOURCES = (
    "customers",
    "transactions",
    "invoices",
    "payments",
    "customer_financials",
    "interactions",
)
LINES = 100_000
CUSTOMERS = 1_000
# end_date 2025-12-31 minus 14 daily days; minus 730 days of history (2024 is a leap year).
GO_LIVE = date(2025, 12, 17)
HISTORY_START = date(2024, 1, 1)
END = date(2025, 12, 31)
ONE_DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    out = tmp_path_factory.mktemp("demo")
    return generate_demo(out, seed=7, customers=CUSTOMERS, lines=LINES)


def contract_columns() -> dict[str, list[str]]:
    contracts = yaml.safe_load(CONTRACTS.read_text(encoding="utf-8"))
    return {source: [c["name"] for c in contracts[source]["columns"]] for source in SOURCES}


def read(summary: DemoSummary, source: str) -> pl.DataFrame:
    """All files of a source as strings, with the folder date in ``folder``."""
    return (
        pl.scan_csv(
            summary.landing_dir / source / "*" / "*.csv",
            infer_schema=False,
            include_file_paths="path",
        )
        .with_columns(
            folder=pl.col("path").str.extract(r"(\d{4}-\d{2}-\d{2})").str.to_date(),
        )
        .collect()
    )


def transactions(summary: DemoSummary) -> pl.DataFrame:
    return read(summary, "transactions").with_columns(
        pl.col("quantity").cast(pl.Int64),
        pl.col("unit_price", "line_amount", "line_cost", "discount_amount").cast(pl.Float64),
        pl.col("ordered_at").str.to_datetime("%Y-%m-%d %H:%M:%S"),
    )


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first = generate_demo(tmp_path / "a", seed=3, customers=60, lines=3_000)
    second = generate_demo(tmp_path / "b", seed=3, customers=60, lines=3_000)
    other = generate_demo(tmp_path / "c", seed=4, customers=60, lines=3_000)

    hashes = file_hashes(first.out_dir)
    assert len(hashes) > 60
    assert hashes == file_hashes(second.out_dir)
    assert hashes != file_hashes(other.out_dir)


def test_initial_extract_is_dated_go_live_then_one_folder_per_day(demo: DemoSummary) -> None:
    assert (demo.history_start, demo.go_live, demo.end_date) == (HISTORY_START, GO_LIVE, END)
    daily = [f"2025-12-{day:02d}" for day in range(17, 32)]
    for source in ("transactions", "invoices", "payments", "interactions"):
        assert sorted(p.name for p in (demo.landing_dir / source).iterdir()) == daily
    for source in ("customers", "customer_financials"):
        folders = sorted(p.name for p in (demo.landing_dir / source).iterdir())
        assert folders[0] == "2025-12-17"
        assert set(folders) <= set(daily)
    assert demo.ground_truth_path == demo.out_dir / "ground_truth" / "customers.csv"
    assert (demo.out_dir / "ground_truth" / "README.md").is_file()


def test_every_file_has_the_canonical_header(demo: DemoSummary) -> None:
    expected = contract_columns()
    files = sorted(demo.landing_dir.rglob("*.csv"))
    assert len(files) >= 4 * 15 + 2
    for path in files:
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == expected[path.parent.parent.name], path


def test_rows_sit_in_the_folder_of_their_date(demo: DemoSummary) -> None:
    """Order lines sit in the folder of their day, except two kinds the contract allows: lines
    ordered before 00:30 sit in the previous day's folder (the extract runs at 00:30), and
    corrections are re-sent in a later folder (test_corrections_...)."""
    tx = transactions(demo).with_columns(
        day=pl.col("ordered_at").dt.date(),
        after_midnight=pl.col("ordered_at").dt.time() < time(0, 30),
    )
    history = tx.filter(pl.col("folder") == GO_LIVE)
    assert history["day"].min() == HISTORY_START
    assert history.filter(~pl.col("after_midnight"))["day"].max() == GO_LIVE
    assert history.filter(pl.col("after_midnight"))["day"].max() == GO_LIVE + ONE_DAY
    daily = tx.filter(
        (pl.col("folder") > GO_LIVE)
        & (pl.col("folder") == pl.col("folder").min().over("order_id", "line_number"))
    ).with_columns(
        expected=pl.when("after_midnight")
        .then(pl.col("folder") + ONE_DAY)
        .otherwise(pl.col("folder"))
    )
    assert daily.height > 0
    assert daily["after_midnight"].sum() > 0
    assert (daily["day"] == daily["expected"]).all()
    # 1 % of orders are placed after midnight.
    assert 0.005 < tx["after_midnight"].mean() < 0.02

    payments = read(demo, "payments").with_columns(pl.col("payment_date").str.to_date())
    late = payments.filter(pl.col("folder") > GO_LIVE)
    assert (late["payment_date"] == late["folder"]).all()
    assert (payments.filter(pl.col("folder") == GO_LIVE)["payment_date"] <= GO_LIVE).all()


def test_transaction_count_is_within_5_percent_of_requested_lines(demo: DemoSummary) -> None:
    count = transactions(demo).height
    assert abs(count - LINES) <= 0.05 * LINES
    assert demo.rows["transactions"] == count


def test_top_fifth_of_customers_hold_70_to_90_percent_of_revenue(demo: DemoSummary) -> None:
    revenue = (
        transactions(demo)
        .group_by("customer_id")
        .agg(pl.col("line_amount").sum())
        .sort("line_amount", descending=True)
    )
    top = revenue.head(CUSTOMERS // 5)["line_amount"].sum()
    share = top / revenue["line_amount"].sum()
    assert 0.70 <= share <= 0.90


def test_some_accounts_exceed_500k_and_200k_a_year(demo: DemoSummary) -> None:
    last_year = (
        transactions(demo)
        .filter(pl.col("ordered_at") >= pl.datetime(2025, 1, 1))
        .group_by("customer_id")
        .agg(pl.col("line_amount").sum())
    )["line_amount"]
    assert 1 <= (last_year >= 500_000).sum() <= 0.1 * CUSTOMERS
    assert (last_year >= 200_000).sum() > (last_year >= 500_000).sum()


def test_returns_have_negative_quantity_amount_and_cost(demo: DemoSummary) -> None:
    tx = transactions(demo)
    returns = tx.filter(pl.col("quantity") < 0)
    assert 0.01 <= returns.height / tx.height <= 0.06
    assert (returns["line_amount"] < 0).all()
    assert (returns["line_cost"] < 0).all()
    sales = tx.filter(pl.col("quantity") > 0)
    assert sales.height + returns.height == tx.height
    assert (sales["line_amount"] > 0).all()


def test_line_amount_is_quantity_times_price_minus_discount(demo: DemoSummary) -> None:
    tx = transactions(demo).with_columns(
        expected_cents=(pl.col("quantity") * pl.col("unit_price") * 100).round()
        - (pl.col("discount_amount") * 100).round(),
        actual_cents=(pl.col("line_amount") * 100).round(),
    )
    assert (tx["expected_cents"] == tx["actual_cents"]).all()
    assert (tx["discount_amount"] > 0).sum() > 0.2 * tx.height
    assert tx["product_category"].n_unique() >= 6


def test_every_transaction_customer_was_sent_in_the_master_first(demo: DemoSummary) -> None:
    first_seen = (
        read(demo, "customers").group_by("customer_id").agg(pl.col("folder").min().alias("seen"))
    )
    tx = transactions(demo).join(first_seen, on="customer_id", how="left")
    assert tx["seen"].null_count() == 0
    assert (tx["seen"] <= tx["folder"]).all()
    go_live_master = read(demo, "customers").filter(pl.col("folder") == GO_LIVE)
    assert go_live_master["customer_id"].is_unique().all()
    assert go_live_master.height >= 0.95 * CUSTOMERS


def test_planted_churners_have_no_orders_after_churn_date(demo: DemoSummary) -> None:
    truth = pl.read_csv(demo.ground_truth_path, try_parse_dates=True)
    churners = truth.filter(pl.col("is_planted_churner") & pl.col("churn_date").is_not_null())
    assert churners.height >= 10
    last = (
        transactions(demo)
        .group_by("customer_id")
        .agg(pl.col("ordered_at").max().dt.date().alias("last_order"))
    )
    checked = churners.join(last, on="customer_id", how="left")
    assert (checked["last_order"] == checked["churn_date"]).all()
    recent = churners.filter(pl.col("churn_date") > date(2025, 6, 20))
    assert recent.height >= 1
    assert (churners["planted_signs"].is_not_null()).all()


def test_single_category_buyers_churn_more_often(demo: DemoSummary) -> None:
    truth = pl.read_csv(demo.ground_truth_path)
    rates = truth.group_by(pl.col("n_categories_planted") == 1).agg(
        pl.col("is_planted_churner").mean()
    )
    single = rates.filter(pl.col("n_categories_planted"))["is_planted_churner"].item()
    multi = rates.filter(~pl.col("n_categories_planted"))["is_planted_churner"].item()
    assert single > 1.5 * multi


def churners(summary: DemoSummary) -> pl.DataFrame:
    truth = pl.read_csv(summary.ground_truth_path, try_parse_dates=True)
    return truth.filter("is_planted_churner").select(
        "customer_id", "planted_stop_date", pl.col("planted_signs").fill_null("")
    )


def test_quiet_contact_churners_stop_talking_90_days_before_they_stop(demo: DemoSummary) -> None:
    events = (
        read(demo, "interactions")
        .unique("interaction_id")
        .with_columns(pl.col("occurred_at").str.to_datetime("%Y-%m-%d %H:%M:%S").dt.date())
    )
    days_before = (pl.col("planted_stop_date") - pl.col("occurred_at")).dt.total_days()
    per_window = (
        events.join(churners(demo), on="customer_id")
        .filter(pl.col("planted_signs").str.contains("quiet_contact"))
        .select(
            last_90=days_before.is_between(0, 89).sum(),
            days_180_to_270=days_before.is_between(180, 269).sum(),
        )
    )
    assert per_window["days_180_to_270"].item() >= 10
    assert per_window["last_90"].item() < 0.25 * per_window["days_180_to_270"].item()


def test_late_payment_churners_pay_later_in_their_last_180_days(demo: DemoSummary) -> None:
    invoices = read(demo, "invoices").select(
        "invoice_id", pl.col("invoice_date", "due_date").str.to_date()
    )
    lateness = (
        read(demo, "payments")
        .with_columns(pl.col("payment_date").str.to_date())
        .join(invoices, on="invoice_id")
        .join(churners(demo), on="customer_id")
        .filter(pl.col("planted_signs").str.contains("late_payment"))
        .with_columns(
            late=(pl.col("payment_date") - pl.col("due_date")).dt.total_days(),
            in_window=(pl.col("planted_stop_date") - pl.col("invoice_date")).dt.total_days() < 180,
        )
    )
    before = lateness.filter(~pl.col("in_window"))["late"].mean()
    during = lateness.filter(pl.col("in_window"))["late"].mean()
    assert during - before > 20


def test_complaint_churners_leave_complaints_open(demo: DemoSummary) -> None:
    open_complaints = (
        read(demo, "interactions")
        .filter((pl.col("interaction_type") == "complaint") & (pl.col("folder") == GO_LIVE))
        .filter(pl.col("status") == "open")
        .select("customer_id")
        .unique()
        .with_columns(has_open=pl.lit(True))
    )
    truth = (
        pl.read_csv(demo.ground_truth_path)
        .join(open_complaints, on="customer_id", how="left")
        .with_columns(
            pl.col("has_open").fill_null(False),
            planted=pl.col("planted_signs").fill_null("").str.contains("complaints"),
        )
    )
    planted = truth.filter("planted")["has_open"]
    others = truth.filter(~pl.col("planted"))["has_open"]
    assert planted.len() >= 5
    assert planted.mean() >= 0.7
    assert others.mean() <= 0.1


def test_orders_peak_in_q4_and_dip_at_chinese_new_year(demo: DemoSummary) -> None:
    monthly = (
        transactions(demo)
        .group_by(month=pl.col("ordered_at").dt.strftime("%Y-%m"))
        .agg(pl.len())
        .sort("month")
    )
    lines = dict(zip(monthly["month"], monthly["len"], strict=True))
    # Chinese New Year 2024 fell on 10 February; the dip spans 3..20 February.
    assert lines["2024-02"] < 0.7 * lines["2024-03"]
    summer = sum(lines[f"2024-{m:02d}"] for m in range(4, 9)) / 5
    assert lines["2024-12"] > 1.2 * summer


def test_keys_are_unique_within_each_business_date(demo: DemoSummary) -> None:
    contracts = yaml.safe_load(CONTRACTS.read_text(encoding="utf-8"))
    for source in SOURCES:
        frame = read(demo, source)
        key = [*contracts[source]["key"], "folder"]
        assert frame.select(pl.struct(key).is_unique().all()).item(), source
    assert read(demo, "invoices")["invoice_id"].is_unique().all()


def test_corrections_resend_a_line_with_fewer_units_within_a_week(demo: DemoSummary) -> None:
    """2 % of sale lines with two or more units dated from a week before go-live are re-sent
    once, 1 to 7 days after their order day, with fewer units at the same unit price, unit cost
    and discount rate; the rest of the line is as first sent."""
    tx = transactions(demo)
    key = ["order_id", "line_number"]
    resent = tx.filter(pl.struct(key).is_duplicated()).sort([*key, "folder"])
    first = resent.group_by(key, maintain_order=True).first()
    second = resent.group_by(key, maintain_order=True).last()
    assert resent.height == 2 * first.height
    # 2 % of the ~3,400 lines of two or more units dated from 11 December, less those whose
    # correction would land by go-live or after the end date: 48 with this seed.
    assert 30 <= first.height <= 70
    assert (second["folder"] > first["folder"]).all()
    assert (second["folder"] > GO_LIVE).all()
    delay = (second["folder"] - second["ordered_at"].dt.date()).dt.total_days()
    assert delay.min() >= 1 and delay.max() <= 7
    for column in ("customer_id", "ordered_at", "product_id", "product_category", "unit_price"):
        assert (first[column] == second[column]).all(), column
    assert (second["quantity"] < first["quantity"]).all()
    assert (second["quantity"] >= 1).all()
    unit_cost = pl.col("line_cost") / pl.col("quantity")
    assert (first.select(unit_cost) - second.select(unit_cost)).to_series().abs().max() < 1e-9
    # The discount keeps its rate, to the cent: 5 units with 10.00 off become 3 with 6.00 off.
    kept_rate = first["discount_amount"] * second["quantity"] / first["quantity"]
    rate_kept = (second["discount_amount"] - kept_rate).abs()
    assert rate_kept.max() <= 0.005 + 1e-9


def test_ground_truth_revenue_counts_the_latest_version_of_each_line(demo: DemoSummary) -> None:
    tx = transactions(demo).sort("folder")
    latest = tx.group_by("order_id", "line_number").agg(pl.all().last())
    revenue = latest.group_by("customer_id").agg(cents=(pl.col("line_amount") * 100).round().sum())
    truth = pl.read_csv(demo.ground_truth_path).join(revenue, on="customer_id", how="left")
    expected = truth["cents"].fill_null(0)
    assert ((truth["revenue_total"] * 100).round() == expected).all()
    # Corrections lower units, so the lines as first sent add up to more.
    first = tx.group_by("order_id", "line_number").agg(pl.col("line_amount").first())
    assert (first["line_amount"] * 100).round().sum() > expected.sum()


def test_invoices_fall_due_after_the_customer_terms(demo: DemoSummary) -> None:
    terms = (
        read(demo, "customers")
        .filter(pl.col("folder") == GO_LIVE)
        .select("customer_id", pl.col("payment_terms_days").cast(pl.Int64))
    )
    invoices = read(demo, "invoices").join(terms, on="customer_id")
    days = (pl.col("due_date").str.to_date() - pl.col("invoice_date").str.to_date()).dt.total_days()
    assert (invoices.select(days == pl.col("payment_terms_days")).to_series()).all()
    assert set(terms["payment_terms_days"].unique().to_list()) <= {30, 45, 60, 90}


def test_payments_include_late_very_late_unreferenced_and_never_paid(demo: DemoSummary) -> None:
    invoices = read(demo, "invoices").with_columns(
        pl.col("due_date").str.to_date(), pl.col("amount").cast(pl.Float64)
    )
    payments = read(demo, "payments").with_columns(pl.col("payment_date").str.to_date())
    assert 0.02 <= payments["invoice_id"].null_count() / payments.height <= 0.10
    paid = payments.join(invoices, on="invoice_id").with_columns(
        late=(pl.col("payment_date") - pl.col("due_date")).dt.total_days()
    )
    assert (paid["late"] <= 0).mean() > 0.5
    assert (paid["late"] > 90).sum() >= 5
    old_unpaid = invoices.filter(
        (pl.col("due_date") < date(2025, 6, 30))
        & (pl.col("amount") > 0)
        & ~pl.col("invoice_id").is_in(payments["invoice_id"].drop_nulls().implode())
    )
    assert old_unpaid.height >= 5


def test_enumerations_hold_only_contract_values(demo: DemoSummary) -> None:
    contracts = yaml.safe_load(CONTRACTS.read_text(encoding="utf-8"))
    for source in SOURCES:
        frame = read(demo, source)
        for column in contracts[source]["columns"]:
            if "allowed" in column:
                assert set(frame[column["name"]].unique()) <= set(column["allowed"])
            if column["type"] == "boolean":
                assert set(frame[column["name"]].drop_nulls().unique()) <= {"true", "false"}


def test_no_date_lies_after_the_business_date_of_its_folder(demo: DemoSummary) -> None:
    contracts = yaml.safe_load(CONTRACTS.read_text(encoding="utf-8"))
    for source in SOURCES:
        frame = read(demo, source)
        for column in contracts[source]["columns"]:
            if column["type"] not in ("date", "timestamp") or column.get("may_be_future"):
                continue
            day = pl.col(column["name"]).str.slice(0, 10).str.to_date()
            ahead = frame.filter(day > pl.col("folder"))
            # The contract allows one day: only orders placed before the 00:30 extract use it.
            if (source, column["name"]) == ("transactions", "ordered_at"):
                assert ahead.height > 0
                assert (ahead["ordered_at"].str.slice(11) < "00:30:00").all()
                ahead = ahead.filter(day > pl.col("folder") + ONE_DAY)
            assert ahead.height == 0, (source, column["name"])


def test_resolved_interactions_carry_resolved_at_and_open_ones_do_not(demo: DemoSummary) -> None:
    events = read(demo, "interactions").with_columns(
        pl.col("occurred_at", "resolved_at").str.to_datetime("%Y-%m-%d %H:%M:%S")
    )
    resolved = events.filter(pl.col("status") == "resolved")
    assert resolved["resolved_at"].null_count() == 0
    assert (resolved["resolved_at"] >= resolved["occurred_at"]).all()
    open_ = events.filter(pl.col("status") == "open")
    assert open_["resolved_at"].null_count() == open_.height
    assert open_.filter(pl.col("interaction_type") == "complaint").height >= 5
    assert set(events["interaction_type"].unique()) == {
        "task",
        "process",
        "praise",
        "complaint",
        "suggestion",
    }


def test_some_customers_send_no_statements_and_some_are_distressed(demo: DemoSummary) -> None:
    statements = read(demo, "customer_financials").with_columns(
        pl.col("current_assets", "current_liabilities", "net_profit").cast(pl.Float64)
    )
    reporting = statements["customer_id"].n_unique()
    assert 0.5 * CUSTOMERS <= reporting < CUSTOMERS
    distressed = statements.filter(
        (pl.col("current_assets") < pl.col("current_liabilities")) & (pl.col("net_profit") < 0)
    )
    assert distressed["customer_id"].n_unique() >= 3


def test_refuses_a_non_empty_output_folder_without_overwrite(demo: DemoSummary) -> None:
    with pytest.raises(DemoError, match="--overwrite"):
        generate_demo(demo.out_dir, lines=1_000)


def test_rejects_a_non_positive_line_count(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="lines must be at least 1, got 0"):
        generate_demo(tmp_path, lines=0)


def test_summary_prints_dates_and_row_counts(demo: DemoSummary) -> None:
    text = str(demo)
    assert "2025-12-17" in text and "2024-01-01" in text
    assert f"{demo.rows['transactions']:,}" in text
    assert str(demo.ground_truth_path) in text
