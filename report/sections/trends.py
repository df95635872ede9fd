"""Trends over the business dates scored up to the page's."""

from __future__ import annotations

import polars as pl

from report import charts
from report.data import ReportData
from report.elements import Chart, Column, Section, Table
from report.sections.common import (
    CUSTOMERS,
    TRAILING_REVENUE,
    absent_note,
    display,
    scheme_levels,
    table_rows,
)


def trend_section(data: ReportData) -> Section:
    section = Section(
        "trends",
        "趋势 Trends",
        f"已评分的 {len(data.dates_held):,} 个业务日期。 Over the {len(data.dates_held):,} "
        "business dates scored up to this one.",
    )
    t = data.trends
    if not t.height:
        return section
    dates = [d.isoformat() for d in t["as_of_date"].unique().sort().to_list()]
    totals = t.group_by("as_of_date").agg(pl.exclude("pyramid_tier").sum()).sort("as_of_date")
    if "revenue_trailing" in t.columns:
        series = {}
        for level in scheme_levels(data, "pyramid_tier", t["pyramid_tier"].to_list()):
            by_date = dict(
                t.filter(pl.col("pyramid_tier") == level)
                .select("as_of_date", "revenue_trailing")
                .iter_rows()
            )
            series[display(data, "pyramid_tier", level)] = [
                by_date.get(d) or 0.0 for d in totals["as_of_date"].to_list()
            ]
        section.charts.append(
            Chart(
                "chart-trend-revenue",
                charts.lines(
                    "各层级近12月收入<br>Trailing revenue by tier",
                    dates,
                    series,
                    TRAILING_REVENUE,
                    stacked=True,
                ),
            )
        )

    def total_line(chart_id: str, title: str, column: str, name: str, axis: str) -> Chart:
        return Chart(chart_id, charts.lines(title, dates, {name: totals[column].to_list()}, axis))

    if "key_accounts" in t.columns:
        section.charts.append(
            total_line(
                "chart-trend-key-accounts",
                "大客户数 Key accounts",
                "key_accounts",
                "大客户 key accounts",
                "大客户 key accounts",
            )
        )
    if "churn_flagged_value" in t.columns:
        section.charts.append(
            total_line(
                "chart-trend-churn",
                "流失预警风险价值<br>Value at risk, churn-flagged customers",
                "churn_flagged_value",
                "风险价值 value at risk",
                "风险价值 value at risk",
            )
        )
    elif "churn_flagged" in t.columns:
        section.notes.append(
            absent_note(["value_at_risk"], "the trend counts flagged customers instead")
        )
        section.charts.append(
            total_line(
                "chart-trend-churn",
                "流失预警客户数 Churn-flagged customers",
                "churn_flagged",
                "流失预警 flagged",
                CUSTOMERS,
            )
        )
    columns = [
        Column("as_of_date", "业务日期 business date", "date"),
        Column("customers", CUSTOMERS, "int"),
        Column("revenue_trailing", TRAILING_REVENUE, "money"),
        Column("key_accounts", "大客户 key accounts", "int"),
        Column("churn_flagged", "流失预警 churn flagged", "int"),
        Column("churn_flagged_value", "风险价值 value at risk", "money"),
    ]
    columns = [c for c in columns if c.key in totals.columns]
    section.tables.append(Table("table-trends", columns, table_rows(totals, columns)))
    return section
