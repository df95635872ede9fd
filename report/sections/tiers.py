"""Sections on how customers are tiered: the pyramid and Pareto curve, the volume ladder, the
key accounts."""

from __future__ import annotations

import polars as pl

from report import charts
from report.data import ReportData
from report.elements import Chart, Column, Section, Table
from report.sections.common import (
    CUSTOMER_COUNT,
    absent_columns,
    absent_note,
    count_chart,
    count_table,
    counted,
    customer_columns,
    customer_order,
    display,
    lacks,
    present,
    scheme_levels,
    table_rows,
)


def pyramid_section(data: ReportData) -> Section:
    section = Section(
        "pyramid",
        "客户金字塔与二八法则 Customer pyramid and Pareto",
        "每层客户数及其近12月收入占比;帕累托曲线按收入从高到低累计。"
        " Customers per level and their share of trailing revenue; the Pareto curve accumulates "
        "revenue from the best customer down.",
    )
    absent = absent_columns(data, "pyramid_tier", "revenue_trailing")
    if absent:
        section.notes.append(absent_note(absent, "the pyramid is not shown"))
    else:
        total = float(data.customers["revenue_trailing"].sum()) or 1.0
        rows = counted(data, "pyramid_tier", "pyramid_tier")
        for row in rows:
            row["revenue_share"] = row["revenue"] / total
        section.charts.append(
            Chart(
                "chart-pyramid",
                charts.pyramid(
                    [r["level"] for r in rows],
                    [r["customers"] for r in rows],
                    [r["revenue_share"] for r in rows],
                ),
            )
        )
        section.tables.append(
            count_table(
                "table-pyramid",
                rows,
                "层级 level",
                Column("revenue_share", "收入占比 revenue share", "share"),
            )
        )
    _pareto(data, section)
    return section


def _pareto(data: ReportData, section: Section) -> None:
    absent = absent_columns(data, "abc_class", "cumulative_revenue_share")
    if absent:
        section.notes.append(absent_note(absent, "the Pareto curve is not shown"))
        return
    sort_by = ["cumulative_revenue_share"] + (["pyramid_rank"] if data.has("pyramid_rank") else [])
    ranked = (
        data.customers.sort(sort_by, nulls_last=True)
        .with_columns(
            customer_share=(pl.int_range(1, pl.len() + 1) / pl.len()),
            # Customers without positive revenue add nothing: the curve stays at its end.
            revenue_share=pl.col("cumulative_revenue_share")
            .fill_null(strategy="forward")
            .fill_null(0.0),
        )
        .select("customer_share", "revenue_share", "abc_class")
    )
    n = ranked.height
    if n == 0:
        return
    ends = (
        ranked.with_row_index()
        .group_by("abc_class")
        .agg(
            pl.col("index").max().alias("last"),
            pl.len().alias("customers"),
            pl.col("revenue_share").max().alias("cumulative"),
        )
    )
    ends_by_class = {r["abc_class"]: r for r in ends.to_dicts()}
    levels = scheme_levels(data, "abc_class", list(ends_by_class))
    keep = {0, n - 1, *(r["last"] for r in ends.to_dicts())}
    step = max(1, n // charts.PARETO_MAX_POINTS)
    shown = ranked.with_row_index().filter(
        (pl.col("index") % step == 0) | pl.col("index").is_in(sorted(keep))
    )
    names = {level: display(data, "abc_class", level) for level in levels}
    present = [level for level in levels if level in ends_by_class]
    section.charts.append(
        Chart(
            "chart-pareto",
            charts.pareto(
                shown["customer_share"].to_list(),
                shown["revenue_share"].to_list(),
                shown["abc_class"].to_list(),
                names,
                [(lvl, (ends_by_class[lvl]["last"] + 1) / n) for lvl in present[:-1]],
                [ends_by_class[lvl]["cumulative"] for lvl in present[:-1]],
            ),
        )
    )
    rows = []
    previous = 0.0
    for level in levels:
        end = ends_by_class.get(level)
        customers = end["customers"] if end else 0
        cumulative = end["cumulative"] if end else previous
        rows.append(
            {
                "level": names[level],
                "customers": customers,
                "customer_share": customers / n,
                "revenue_share": (cumulative or 0.0) - previous,
                "cumulative": cumulative,
            }
        )
        previous = cumulative or previous
    section.tables.append(
        Table(
            "table-abc",
            [
                Column("level", "ABC分类 class"),
                CUSTOMER_COUNT,
                Column("customer_share", "客户占比 share of customers", "share"),
                Column("revenue_share", "收入占比 revenue share", "share"),
                Column("cumulative", "累计收入占比 cumulative", "share"),
            ],
            rows,
            caption="收入占比按正收入计 revenue shares are of positive trailing revenue",
        )
    )


def ladder_section(data: ReportData) -> Section:
    section = Section(
        "ladder",
        "用量阶梯 Volume ladder",
        "按年用量与回款、利润、增长条件分级(docs/scoring.md)。"
        " Levels by annual volume and payment, profit and growth conditions.",
    )
    if lacks(data, section, "ladder_tier", "the ladder is not shown"):
        return section
    rows = counted(data, "ladder_tier", "ladder_tier")
    section.charts.append(
        count_chart(
            "chart-ladder",
            "用量阶梯 Volume ladder<br><sub>客户数 customers</sub>",
            rows,
            extra=[f"近12月收入 revenue {r['revenue']:,.0f}" for r in rows],
        )
    )
    section.tables.append(count_table("table-ladder", rows, "阶梯 ladder tier"))
    return section


def key_account_section(data: ReportData) -> Section:
    section = Section(
        "key-accounts",
        "大客户 Key accounts",
        "按手册规则认定(docs/scoring.md),附认定理由与服务缺口(覆盖标记)。"
        " Key accounts by the handbooks' rules: why each is one, and its coverage flags.",
    )
    if lacks(data, section, "is_key_account", "key accounts are not listed"):
        return section
    keys = data.customers.filter(pl.col("is_key_account"))
    if data.has("key_account_reasons"):
        reasons = [label for label, _ in data.labels.get("key_account_reason", [])]
        exploded = (
            keys.select(pl.col("key_account_reasons").str.split(";"))
            .explode("key_account_reasons")["key_account_reasons"]
            .drop_nulls()
            .str.strip_chars()
            .to_list()
        )
        reasons += sorted(set(exploded) - set(reasons))
        counts = [exploded.count(r) for r in reasons]
        names = [display(data, "key_account_reason", r) for r in reasons]
        section.charts.append(
            Chart(
                "chart-key-account-reasons",
                charts.bars(
                    f"认定理由 Why key accounts<br><sub>{keys.height:,} 大客户 key accounts</sub>",
                    names,
                    counts,
                    "大客户数 key accounts",
                ),
            )
        )
    else:
        section.notes.append(absent_note(["key_account_reasons"], "reasons are not counted"))
    sort = customer_order(data)
    columns = customer_columns(data) + present(
        data,
        Column("key_account_reasons_zh", "认定理由 reasons"),
        Column("service_gaps_zh", "服务缺口 service gaps"),
        Column("days_since_last_contact", "未联系天数 days since contact", "int"),
        Column("credit_grade", "信用 credit"),
    )
    missing = absent_columns(data, "key_account_reasons_zh", "service_gaps_zh")
    if missing:
        section.notes.append(absent_note(missing, "those columns are left out of the list"))
    section.tables.append(
        Table(
            "table-key-accounts",
            columns,
            table_rows(keys.sort(sort, nulls_last=True), columns),
            caption=f"{keys.height:,} 大客户 key accounts, 按收入排名 by revenue rank",
        )
    )
    return section
