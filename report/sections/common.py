"""What every section of the page uses: level order and display names, missing-column notes,
table rows, counts per level."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from report import charts
from report.data import ReportData
from report.elements import Chart, Column, Section, Table

NEW, GONE = "new", "gone"


ENDPOINT_NAMES = {NEW: "新增 new", GONE: "流出 gone"}

# The names of the figures most sections show, as headers, axes and headline labels.
CUSTOMERS = "客户数 customers"
TRAILING_REVENUE = "近12月收入 trailing revenue"
# A level's (or a manager's) customer count and trailing revenue, as table columns.
CUSTOMER_COUNT = Column("customers", CUSTOMERS, "int")
REVENUE_TOTAL = Column("revenue", TRAILING_REVENUE, "money")


def absent_columns(data: ReportData, *columns: str) -> list[str]:
    return [c for c in columns if not data.has(c)]


def absent_note(columns: Sequence[str], consequence: str) -> str:
    names = ", ".join(columns)
    return (
        f"已发布数据中没有列 {names} — the published customer scores have no column {names}: "
        f"{consequence}"
    )


def lacks(data: ReportData, section: Section, column: str, consequence: str) -> bool:
    """Whether the published scores lack ``column``; if they do, ``section`` says so and what
    it leaves out."""
    if data.has(column):
        return False
    section.notes.append(absent_note([column], consequence))
    return True


def scheme_levels(data: ReportData, scheme: str, present: Sequence[str | None]) -> list[str]:
    """The scheme's labels in sort order, then any value present that the labels lack."""
    ordered = [label for label, _ in data.labels.get(scheme, [])]
    extra = sorted({p for p in present if p is not None and p not in ordered})
    return ordered + extra


def display(data: ReportData, scheme: str, label: str | None) -> str:
    if label in ENDPOINT_NAMES:
        return ENDPOINT_NAMES[label]
    if label is None:
        return "(无 none)"
    zh = data.label_zh(scheme, label)
    return zh if zh == label or label.lower() in zh.lower() else f"{zh} {label}"


def revenue_expr(data: ReportData) -> pl.Expr:
    return pl.col("revenue_trailing") if data.has("revenue_trailing") else pl.lit(None, pl.Float64)


def present(data: ReportData, *columns: Column) -> list[Column]:
    """The table columns whose data the published scores hold."""
    return [c for c in columns if data.has(c.key)]


def customer_columns(data: ReportData) -> list[Column]:
    return present(
        data,
        Column("customer_id", "客户编号 customer"),
        Column("customer_name", "客户名称 name"),
        Column("account_manager", "客户经理 account manager"),
        Column("pyramid_tier_zh", "金字塔 pyramid"),
        Column("revenue_trailing", TRAILING_REVENUE, "money"),
    )


def customer_order(data: ReportData) -> list[str]:
    """How a list of customers is sorted: best revenue first where ranked."""
    return ["revenue_rank"] if data.has("revenue_rank") else ["customer_id"]


def table_rows(frame: pl.DataFrame, columns: Sequence[Column]) -> list[dict[str, object]]:
    keys = [c.key for c in columns if c.key in frame.columns]
    return frame.select(keys).to_dicts()


def counted(data: ReportData, scheme: str, column: str) -> list[dict[str, object]]:
    grouped = data.customers.group_by(column).agg(
        customers=pl.len(), revenue=revenue_expr(data).sum()
    )
    by_level = {r[column]: r for r in grouped.to_dicts()}
    return [
        {
            "level": display(data, scheme, level),
            "code": level,
            "customers": by_level.get(level, {}).get("customers", 0),
            "revenue": by_level.get(level, {}).get("revenue") or 0.0,
        }
        for level in scheme_levels(data, scheme, list(by_level))
    ]


def count_table(
    table_id: str, rows: list[dict[str, object]], level_header: str, *extra: Column
) -> Table:
    """The rows of :func:`counted` as a table, with ``extra`` columns after them."""
    return Table(
        table_id,
        [
            Column("level", level_header),
            Column("code", "代码 code"),
            CUSTOMER_COUNT,
            REVENUE_TOTAL,
            *extra,
        ],
        rows,
    )


def count_chart(
    chart_id: str, title: str, rows: list[dict[str, object]], extra: list[str] | None = None
) -> Chart:
    """A bar of customers per level from the rows of :func:`counted`."""
    return Chart(
        chart_id,
        charts.bars(
            title,
            [r["level"] for r in rows],
            [r["customers"] for r in rows],
            CUSTOMERS,
            extra=extra,
        ),
    )
