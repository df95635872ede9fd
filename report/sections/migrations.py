"""Sections on movement between levels: credit grades with their quarter-over-quarter
migration, and the tier migrations from the previous scored date and month over month."""

from __future__ import annotations

from datetime import date

import polars as pl

from report import charts
from report.data import ReportData
from report.elements import Chart, Section
from report.sections.common import (
    GONE,
    NEW,
    count_chart,
    count_table,
    counted,
    display,
    lacks,
    scheme_levels,
)

SCHEME_NAMES = {
    "pyramid_tier": "客户金字塔 pyramid tier",
    "abc_class": "ABC分类 ABC class",
    "ladder_tier": "用量阶梯 volume ladder",
    "key_account_status": "大客户状态 key-account status",
    "lifecycle_stage": "生命周期 lifecycle stage",
    "churn_risk_level": "流失风险 churn risk level",
    "credit_grade": "信用等级 credit grade",
}


def migration_matrix(
    data: ReportData, scheme: str, rows: pl.DataFrame
) -> tuple[list[str], list[str], list[list[int]]]:
    """Rows (from_level, to_level, customers) as a matrix in the scheme's level order, with
    'new' as the first row and 'gone' as the last column when they occur."""
    present = rows["from_level"].to_list() + rows["to_level"].to_list()
    levels = [lvl for lvl in scheme_levels(data, scheme, present) if lvl not in (NEW, GONE)]
    froms = ([NEW] if NEW in present else []) + levels
    tos = levels + ([GONE] if GONE in present else [])
    cells = {(r["from_level"], r["to_level"]): r["customers"] for r in rows.to_dicts()}
    matrix = [[int(cells.get((f, t), 0) or 0) for t in tos] for f in froms]
    return (
        [display(data, scheme, f) for f in froms],
        [display(data, scheme, t) for t in tos],
        matrix,
    )


def credit_section(data: ReportData) -> Section:
    section = Section(
        "credit",
        "客户信用等级 Credit grades",
        "按季度评级(截至业务日期最近一个已结束季度)。"
        " Graded per quarter: the latest quarter ended by the business date.",
    )
    if lacks(data, section, "credit_grade", "credit grades are not shown"):
        return section
    quarter = (
        data.customers["credit_quarter"].drop_nulls().max() if data.has("credit_quarter") else None
    )
    rows = counted(data, "credit_grade", "credit_grade")
    section.charts.append(
        count_chart(
            "chart-credit-grades", f"信用等级分布 Credit grades<br><sub>{quarter or ''}</sub>", rows
        )
    )
    section.tables.append(count_table("table-credit-grades", rows, "信用等级 grade"))
    moves = data.credit_migrations
    if moves.height:
        previous = moves["previous_credit_quarter"].drop_nulls().max()
        froms, tos, matrix = migration_matrix(data, "credit_grade", moves)
        section.charts.append(
            Chart(
                "chart-credit-migration",
                charts.heatmap(
                    "信用等级迁移 Grade migration"
                    f"<br><sub>{previous or '—'} → {quarter or ''}</sub>",
                    froms,
                    tos,
                    matrix,
                ),
            )
        )
        if previous is None:
            section.notes.append(
                "没有上一季度的评级,所有客户为新增。 No earlier quarter was graded: every "
                "customer is new."
            )
    else:
        section.notes.append("没有信用等级迁移数据 no credit grade migrations published")
    return section


def migration_section(data: ReportData) -> Section:
    section = Section(
        "migrations",
        "层级迁移 Tier migrations",
        "客户在层级之间的迁移,格中为客户数:先是上一个评分日期到本日期,再是月环比。"
        " Customers moving between levels, the count in each cell: from the previous scored "
        "business date, then month over month.",
    )
    moves = data.migrations
    if moves.height:
        previous = moves["previous_as_of_date"].drop_nulls().max()
        if previous is None:
            section.notes.append(
                "这是第一个评分日期,所有客户为新增。 This is the first scored date: every "
                "customer is new."
            )
        _migration_charts(data, section, moves, previous, "chart-migration", "")
    else:
        section.notes.append("本日期没有迁移数据 no migrations published for this business date")
    monthly = data.monthly_migrations
    if monthly.height:
        previous = monthly["previous_as_of_date"].max()
        _migration_charts(
            data, section, monthly, previous, "chart-migration-month", "月环比 month over month · "
        )
    else:
        section.notes.append(
            "没有一个月前的评分日期,暂无月环比。 No scored date a month or more before this one "
            "is held yet: the month-over-month heat maps appear once there is one."
        )
    return section


def _migration_charts(
    data: ReportData,
    section: Section,
    moves: pl.DataFrame,
    previous: date | None,
    id_prefix: str,
    period: str,
) -> None:
    for scheme in moves["scheme"].unique(maintain_order=True).to_list():
        froms, tos, matrix = migration_matrix(
            data, scheme, moves.filter(pl.col("scheme") == scheme)
        )
        section.charts.append(
            Chart(
                f"{id_prefix}-{scheme.replace('_', '-')}",
                charts.heatmap(
                    f"{SCHEME_NAMES.get(scheme, scheme)}<br><sub>{period}{previous or '—'} → "
                    f"{data.business_date}</sub>",
                    froms,
                    tos,
                    matrix,
                    height=280 + 22 * len(froms),
                ),
            )
        )
