"""The churn call list: who to call first, and its section."""

from __future__ import annotations

import polars as pl

from report import charts
from report.data import ReportData
from report.elements import Chart, Column, Section, Table
from report.sections.common import absent_columns, absent_note, present, table_rows

# Rows of the call list shown in its own section; each account manager's section lists all of
# their customers on it.
CALL_LIST_ROWS = 30

# What orders the call list, first found wins: (column, highest first).
ORDERING_COLUMNS = {
    "churn_call_priority": False,
    "churn_probability": True,
    "value_at_risk": True,
    "churn_score": True,
}


def call_list(data: ReportData) -> pl.DataFrame:
    """The day's call list, first call first: customers flagged ``is_churn_risk`` by
    ``churn_call_priority`` (or, without those columns, by what exists)."""
    frame = data.customers
    if data.has("is_churn_risk"):
        frame = frame.filter(pl.col("is_churn_risk"))
    for column, descending in ORDERING_COLUMNS.items():
        if data.has(column):
            return frame.sort(column, descending=descending, nulls_last=True)
    return frame.clear()


def call_list_columns(data: ReportData) -> list[Column]:
    return present(
        data,
        Column("churn_call_priority", "优先级 priority", "int"),
        Column("customer_id", "客户编号 customer"),
        Column("customer_name", "客户名称 name"),
        Column("account_manager", "客户经理 account manager"),
        Column("churn_probability", "流失概率 churn probability", "prob"),
        Column("churn_risk_level_zh", "风险等级 risk level"),
        Column("value_at_risk", "风险价值 value at risk", "money"),
        Column("churn_reasons_zh", "预警原因 reasons"),
        Column("days_since_last_order", "未下单天数 days since last order", "int"),
        Column("days_since_last_contact", "未联系天数 days since last contact", "int"),
    )


def churn_section(data: ReportData) -> Section:
    section = Section(
        "churn",
        "流失预警拨打名单 Churn call list",
        "按拨打优先级排序的流失风险客户。 Customers flagged as likely to leave, in the order "
        "to call them.",
    )
    absent = absent_columns(
        data,
        "is_churn_risk",
        "churn_call_priority",
        "churn_probability",
        "value_at_risk",
        "churn_reasons_zh",
    )
    if absent:
        section.notes.append(absent_note(absent, "the list shows the churn columns that exist"))
    calls = call_list(data)
    if data.has("churn_probability") and data.has("value_at_risk") and calls.height:
        names = calls.select(
            pl.concat_str(
                [
                    pl.col("customer_id"),
                    *([pl.col("customer_name")] if data.has("customer_name") else []),
                ],
                separator=" ",
                ignore_nulls=True,
            )
        ).to_series()
        section.charts.append(
            Chart(
                "chart-churn",
                charts.scatter(
                    f"拨打名单 Call list<br><sub>{calls.height:,} 客户 customers</sub>",
                    calls["churn_probability"].to_list(),
                    calls["value_at_risk"].to_list(),
                    names.to_list(),
                    "流失概率 churn probability",
                    "风险价值 value at risk",
                ),
            )
        )
    columns = call_list_columns(data)
    shown = calls.head(CALL_LIST_ROWS)
    section.tables.append(
        Table(
            "table-call-list",
            columns,
            table_rows(shown, columns),
            caption=f"前 {shown.height:,} / 共 {calls.height:,} 位 first {shown.height:,} of "
            f"{calls.height:,} customers on the list",
            note=""
            if calls.height
            else "今日名单为空 nobody is on today's call list"
            if any(data.has(c) for c in ORDERING_COLUMNS)
            else "没有流失列,无法列出名单 no churn columns: no call list can be made",
        )
    )
    return section
