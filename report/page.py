"""What the page holds: headline figures, sections with their charts and tables, worked out
from :class:`report.data.ReportData`. Rendering to HTML is :mod:`report.render`'s job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import plotly.graph_objects as go
import polars as pl

from report import charts
from report.data import ReportData

# Rows of the call list shown in its own section; each account manager's section lists all of
# their customers on it.
CALL_LIST_ROWS = 30
# Customers listed per account manager (best first); the rest are in customer_scores.
MANAGER_CUSTOMER_ROWS = 200
UNASSIGNED = "(未分配 unassigned)"

SCHEME_NAMES = {
    "pyramid_tier": "客户金字塔 pyramid tier",
    "abc_class": "ABC分类 ABC class",
    "ladder_tier": "用量阶梯 volume ladder",
    "key_account_status": "大客户状态 key-account status",
    "lifecycle_stage": "生命周期 lifecycle stage",
    "churn_risk_level": "流失风险 churn risk level",
    "credit_grade": "信用等级 credit grade",
}
NEW, GONE = "new", "gone"
ENDPOINT_NAMES = {NEW: "新增 new", GONE: "流出 gone"}


@dataclass
class Gate:
    """One quality check of the run that published the copy."""

    name: str
    passed: bool
    severity: str  # "ERROR" or "WARN"
    description: str = ""


@dataclass
class Column:
    key: str
    header: str
    kind: str = "text"  # text, int, money, share, prob, date


@dataclass
class Table:
    id: str
    columns: list[Column]
    rows: list[dict[str, object]]
    caption: str = ""
    note: str = ""
    # Folded under its caption (opened for printing): long lists that most readers skip.
    folded: bool = False


@dataclass
class Chart:
    id: str
    figure: go.Figure


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


@dataclass
class Figure:
    """A headline number."""

    id: str
    label: str
    value: object
    kind: str = "int"
    detail: str = ""


@dataclass
class Page:
    business_date: date
    publication: dict[str, str]
    headline: list[Figure]
    sections: list[Section]
    missing: list[str]


def build_page(data: ReportData, gates: Sequence[Gate] | None = None) -> Page:
    """The whole page for one business date."""
    sections = [
        _pyramid_section(data),
        _ladder_section(data),
        _key_account_section(data),
        _credit_section(data),
        _migration_section(data),
        _churn_section(data),
        _trend_section(data),
        _manager_section(data),
    ]
    return Page(
        business_date=data.business_date,
        publication=data.publication,
        headline=_headline(data, gates),
        sections=sections,
        missing=data.missing,
    )


# --- helpers -------------------------------------------------------------------------------


def _absent(data: ReportData, *columns: str) -> list[str]:
    return [c for c in columns if not data.has(c)]


def _absent_note(columns: Sequence[str], consequence: str) -> str:
    names = ", ".join(columns)
    return (
        f"已发布数据中没有列 {names} — the published customer scores have no column {names}: "
        f"{consequence}"
    )


def _levels(data: ReportData, scheme: str, present: Sequence[str | None]) -> list[str]:
    """The scheme's labels in sort order, then any value present that the labels lack."""
    ordered = [label for label, _ in data.labels.get(scheme, [])]
    extra = sorted({p for p in present if p is not None and p not in ordered})
    return ordered + extra


def _display(data: ReportData, scheme: str, label: str | None) -> str:
    if label in ENDPOINT_NAMES:
        return ENDPOINT_NAMES[label]
    if label is None:
        return "(无 none)"
    zh = data.label_zh(scheme, label)
    return zh if zh == label or label.lower() in zh.lower() else f"{zh} {label}"


def _revenue(data: ReportData) -> pl.Expr:
    return pl.col("revenue_trailing") if data.has("revenue_trailing") else pl.lit(None, pl.Float64)


def _customer_columns(data: ReportData) -> list[Column]:
    wanted = [
        Column("customer_id", "客户编号 customer"),
        Column("customer_name", "客户名称 name"),
        Column("account_manager", "客户经理 account manager"),
        Column("pyramid_tier_zh", "金字塔 pyramid"),
        Column("revenue_trailing", "近12月收入 trailing revenue", "money"),
    ]
    return [c for c in wanted if data.has(c.key)]


def _rows(frame: pl.DataFrame, columns: Sequence[Column]) -> list[dict[str, object]]:
    keys = [c.key for c in columns if c.key in frame.columns]
    return frame.select(keys).to_dicts()


# --- headline ------------------------------------------------------------------------------


def _headline(data: ReportData, gates: Sequence[Gate] | None) -> list[Figure]:
    c = data.customers
    figures = [
        Figure("headline-date", "业务日期 business date", data.business_date.isoformat(), "text"),
        Figure("headline-customers", "客户数 customers", c.height),
    ]
    if data.has("revenue_trailing"):
        figures.append(
            Figure(
                "headline-revenue",
                "近12月收入 trailing revenue",
                float(c["revenue_trailing"].sum()),
                "money",
            )
        )
    if data.has("is_key_account"):
        figures.append(
            Figure("headline-key-accounts", "大客户 key accounts", int(c["is_key_account"].sum()))
        )
    if data.has("is_churn_risk"):
        flagged = c.filter(pl.col("is_churn_risk"))
        figures.append(Figure("headline-churn-flagged", "流失预警 churn flagged", flagged.height))
        if data.has("value_at_risk"):
            figures.append(
                Figure(
                    "headline-value-at-risk",
                    "风险价值 value at risk (flagged)",
                    float(flagged["value_at_risk"].sum()),
                    "money",
                )
            )
    ingestion = data.ingestion
    if ingestion:
        figures.append(
            Figure(
                "headline-rows-loaded",
                "当日载入行数 rows loaded (this date)",
                ingestion["rows_loaded"],
                "int",
                f"{ingestion['files']:,} 文件 files",
            )
        )
        figures.append(
            Figure(
                "headline-rows-quarantined",
                "隔离行数 rows quarantined",
                ingestion["rows_quarantined"],
                "int",
                f"{ingestion['files_rejected']:,} 文件被拒 files rejected",
            )
        )
    if gates is None:
        figures.append(
            Figure(
                "headline-gates",
                "质量检查 quality gates",
                "未记录 not recorded",
                "text",
                "发布即表示无阻断性失败 a publication means no blocking check failed",
            )
        )
    else:
        failed = [g for g in gates if not g.passed and g.severity == "ERROR"]
        warned = [g for g in gates if not g.passed and g.severity != "ERROR"]
        figures.append(
            Figure(
                "headline-gates",
                "质量检查 quality gates",
                f"{len(gates) - len(failed) - len(warned):,} / {len(gates):,}",
                "text",
                f"失败 failed {len(failed)} · 警告 warned {len(warned)}"
                + "".join(f" · {g.name}" for g in [*failed, *warned][:5]),
            )
        )
    return figures


# --- pyramid and Pareto ---------------------------------------------------------------------


def _pyramid_section(data: ReportData) -> Section:
    section = Section(
        "pyramid",
        "客户金字塔与二八法则 Customer pyramid and Pareto",
        "每层客户数及其近12月收入占比;帕累托曲线按收入从高到低累计。"
        " Customers per level and their share of trailing revenue; the Pareto curve accumulates "
        "revenue from the best customer down.",
    )
    absent = _absent(data, "pyramid_tier", "revenue_trailing")
    if absent:
        section.notes.append(_absent_note(absent, "the pyramid is not shown"))
    else:
        counts = data.customers.group_by("pyramid_tier").agg(
            customers=pl.len(), revenue=pl.col("revenue_trailing").sum()
        )
        total = float(data.customers["revenue_trailing"].sum()) or 1.0
        by_level = {r["pyramid_tier"]: r for r in counts.to_dicts()}
        levels = _levels(data, "pyramid_tier", list(by_level))
        rows = [
            {
                "level": _display(data, "pyramid_tier", level),
                "code": level,
                "customers": by_level.get(level, {}).get("customers", 0),
                "revenue": by_level.get(level, {}).get("revenue", 0.0) or 0.0,
            }
            for level in levels
        ]
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
            Table(
                "table-pyramid",
                [
                    Column("level", "层级 level"),
                    Column("code", "代码 code"),
                    Column("customers", "客户数 customers", "int"),
                    Column("revenue", "近12月收入 trailing revenue", "money"),
                    Column("revenue_share", "收入占比 revenue share", "share"),
                ],
                rows,
            )
        )
    _pareto(data, section)
    return section


def _pareto(data: ReportData, section: Section) -> None:
    absent = _absent(data, "abc_class", "cumulative_revenue_share")
    if absent:
        section.notes.append(_absent_note(absent, "the Pareto curve is not shown"))
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
    levels = _levels(data, "abc_class", list(ends_by_class))
    keep = {0, n - 1, *(r["last"] for r in ends.to_dicts())}
    step = max(1, n // charts.PARETO_MAX_POINTS)
    shown = ranked.with_row_index().filter(
        (pl.col("index") % step == 0) | pl.col("index").is_in(sorted(keep))
    )
    names = {level: _display(data, "abc_class", level) for level in levels}
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
                Column("customers", "客户数 customers", "int"),
                Column("customer_share", "客户占比 share of customers", "share"),
                Column("revenue_share", "收入占比 revenue share", "share"),
                Column("cumulative", "累计收入占比 cumulative", "share"),
            ],
            rows,
            caption="收入占比按正收入计 revenue shares are of positive trailing revenue",
        )
    )


# --- volume ladder and key accounts ---------------------------------------------------------


def _counted(data: ReportData, scheme: str, column: str) -> list[dict[str, object]]:
    grouped = data.customers.group_by(column).agg(customers=pl.len(), revenue=_revenue(data).sum())
    by_level = {r[column]: r for r in grouped.to_dicts()}
    return [
        {
            "level": _display(data, scheme, level),
            "code": level,
            "customers": by_level.get(level, {}).get("customers", 0),
            "revenue": by_level.get(level, {}).get("revenue") or 0.0,
        }
        for level in _levels(data, scheme, list(by_level))
    ]


def _count_table(table_id: str, rows: list[dict[str, object]], level_header: str) -> Table:
    return Table(
        table_id,
        [
            Column("level", level_header),
            Column("code", "代码 code"),
            Column("customers", "客户数 customers", "int"),
            Column("revenue", "近12月收入 trailing revenue", "money"),
        ],
        rows,
    )


def _ladder_section(data: ReportData) -> Section:
    section = Section(
        "ladder",
        "用量阶梯 Volume ladder",
        "按年用量与回款、利润、增长条件分级(docs/scoring.md)。"
        " Levels by annual volume and payment, profit and growth conditions.",
    )
    if not data.has("ladder_tier"):
        section.notes.append(_absent_note(["ladder_tier"], "the ladder is not shown"))
        return section
    rows = _counted(data, "ladder_tier", "ladder_tier")
    section.charts.append(
        Chart(
            "chart-ladder",
            charts.bars(
                "用量阶梯 Volume ladder<br><sub>客户数 customers</sub>",
                [r["level"] for r in rows],
                [r["customers"] for r in rows],
                "客户数 customers",
                extra=[f"近12月收入 revenue {r['revenue']:,.0f}" for r in rows],
            ),
        )
    )
    section.tables.append(_count_table("table-ladder", rows, "阶梯 ladder tier"))
    return section


def _key_account_section(data: ReportData) -> Section:
    section = Section(
        "key-accounts",
        "大客户 Key accounts",
        "认定理由与服务缺口(覆盖标记)。 Why each key account is one, and its coverage flags.",
    )
    if not data.has("is_key_account"):
        section.notes.append(_absent_note(["is_key_account"], "key accounts are not listed"))
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
        names = [_display(data, "key_account_reason", r) for r in reasons]
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
        section.notes.append(_absent_note(["key_account_reasons"], "reasons are not counted"))
    sort = ["revenue_rank"] if data.has("revenue_rank") else ["customer_id"]
    columns = _customer_columns(data) + [
        c
        for c in (
            Column("key_account_reasons_zh", "认定理由 reasons"),
            Column("service_gaps_zh", "服务缺口 service gaps"),
            Column("days_since_last_contact", "未联系天数 days since contact", "int"),
            Column("credit_grade", "信用 credit"),
        )
        if data.has(c.key)
    ]
    missing = _absent(data, "key_account_reasons_zh", "service_gaps_zh")
    if missing:
        section.notes.append(_absent_note(missing, "those columns are left out of the list"))
    section.tables.append(
        Table(
            "table-key-accounts",
            columns,
            _rows(keys.sort(sort, nulls_last=True), columns),
            caption=f"{keys.height:,} 大客户 key accounts, 按收入排名 by revenue rank",
        )
    )
    return section


# --- credit --------------------------------------------------------------------------------


def _migration_matrix(
    data: ReportData, scheme: str, rows: pl.DataFrame
) -> tuple[list[str], list[str], list[list[int]]]:
    """Rows (from_level, to_level, customers) as a matrix in the scheme's level order, with
    'new' as the first row and 'gone' as the last column when they occur."""
    present = rows["from_level"].to_list() + rows["to_level"].to_list()
    levels = [lvl for lvl in _levels(data, scheme, present) if lvl not in (NEW, GONE)]
    froms = ([NEW] if NEW in present else []) + levels
    tos = levels + ([GONE] if GONE in present else [])
    cells = {(r["from_level"], r["to_level"]): r["customers"] for r in rows.to_dicts()}
    matrix = [[int(cells.get((f, t), 0) or 0) for t in tos] for f in froms]
    return (
        [_display(data, scheme, f) for f in froms],
        [_display(data, scheme, t) for t in tos],
        matrix,
    )


def _credit_section(data: ReportData) -> Section:
    section = Section(
        "credit",
        "客户信用等级 Credit grades",
        "按季度评级(截至业务日期最近一个已结束季度)。"
        " Graded per quarter: the latest quarter ended by the business date.",
    )
    if not data.has("credit_grade"):
        section.notes.append(_absent_note(["credit_grade"], "credit grades are not shown"))
        return section
    quarter = (
        data.customers["credit_quarter"].drop_nulls().max() if data.has("credit_quarter") else None
    )
    rows = _counted(data, "credit_grade", "credit_grade")
    section.charts.append(
        Chart(
            "chart-credit-grades",
            charts.bars(
                f"信用等级分布 Credit grades<br><sub>{quarter or ''}</sub>",
                [r["level"] for r in rows],
                [r["customers"] for r in rows],
                "客户数 customers",
            ),
        )
    )
    section.tables.append(_count_table("table-credit-grades", rows, "信用等级 grade"))
    moves = data.credit_migrations
    if moves.height:
        previous = moves["previous_credit_quarter"].drop_nulls().max()
        froms, tos, matrix = _migration_matrix(data, "credit_grade", moves)
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


def _migration_section(data: ReportData) -> Section:
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
        froms, tos, matrix = _migration_matrix(
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


# --- churn ---------------------------------------------------------------------------------


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


def _call_columns(data: ReportData) -> list[Column]:
    wanted = [
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
    ]
    return [c for c in wanted if data.has(c.key)]


def _churn_section(data: ReportData) -> Section:
    section = Section(
        "churn",
        "流失预警拨打名单 Churn call list",
        "按拨打优先级排序的流失风险客户。 Customers flagged as likely to leave, in the order "
        "to call them.",
    )
    absent = _absent(
        data,
        "is_churn_risk",
        "churn_call_priority",
        "churn_probability",
        "value_at_risk",
        "churn_reasons_zh",
    )
    if absent:
        section.notes.append(_absent_note(absent, "the list shows the churn columns that exist"))
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
    columns = _call_columns(data)
    shown = calls.head(CALL_LIST_ROWS)
    section.tables.append(
        Table(
            "table-call-list",
            columns,
            _rows(shown, columns),
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


# --- trends --------------------------------------------------------------------------------


def _trend_section(data: ReportData) -> Section:
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
        for level in _levels(data, "pyramid_tier", t["pyramid_tier"].to_list()):
            by_date = dict(
                t.filter(pl.col("pyramid_tier") == level)
                .select("as_of_date", "revenue_trailing")
                .iter_rows()
            )
            series[_display(data, "pyramid_tier", level)] = [
                by_date.get(d) or 0.0 for d in totals["as_of_date"].to_list()
            ]
        section.charts.append(
            Chart(
                "chart-trend-revenue",
                charts.lines(
                    "各层级近12月收入<br>Trailing revenue by tier",
                    dates,
                    series,
                    "近12月收入 trailing revenue",
                    stacked=True,
                ),
            )
        )
    if "key_accounts" in t.columns:
        section.charts.append(
            Chart(
                "chart-trend-key-accounts",
                charts.lines(
                    "大客户数 Key accounts",
                    dates,
                    {"大客户 key accounts": totals["key_accounts"].to_list()},
                    "大客户 key accounts",
                ),
            )
        )
    if "churn_flagged_value" in t.columns:
        section.charts.append(
            Chart(
                "chart-trend-churn",
                charts.lines(
                    "流失预警风险价值<br>Value at risk, churn-flagged customers",
                    dates,
                    {"风险价值 value at risk": totals["churn_flagged_value"].to_list()},
                    "风险价值 value at risk",
                ),
            )
        )
    elif "churn_flagged" in t.columns:
        section.notes.append(
            _absent_note(["value_at_risk"], "the trend counts flagged customers instead")
        )
        section.charts.append(
            Chart(
                "chart-trend-churn",
                charts.lines(
                    "流失预警客户数 Churn-flagged customers",
                    dates,
                    {"流失预警 flagged": totals["churn_flagged"].to_list()},
                    "客户数 customers",
                ),
            )
        )
    columns = [
        Column("as_of_date", "业务日期 business date", "date"),
        Column("customers", "客户数 customers", "int"),
        Column("revenue_trailing", "近12月收入 trailing revenue", "money"),
        Column("key_accounts", "大客户 key accounts", "int"),
        Column("churn_flagged", "流失预警 churn flagged", "int"),
        Column("churn_flagged_value", "风险价值 value at risk", "money"),
    ]
    columns = [c for c in columns if c.key in totals.columns]
    section.tables.append(Table("table-trends", columns, _rows(totals, columns)))
    return section


# --- account managers ----------------------------------------------------------------------


def manager_anchor(index: int) -> str:
    return f"manager-{index + 1}"


def _manager_section(data: ReportData) -> Section:
    section = Section(
        "managers",
        "客户经理 Account managers",
        "每位客户经理的客户与拨打名单。 Each account manager's customers and call list.",
    )
    if not data.has("account_manager"):
        section.notes.append(_absent_note(["account_manager"], "no per-manager sections"))
        return section
    manager = pl.col("account_manager").fill_null(UNASSIGNED)
    customers = data.customers.with_columns(account_manager=manager)
    calls = call_list(data).with_columns(account_manager=manager)
    call_counts = dict(calls.group_by("account_manager").len().iter_rows())
    summary = (
        customers.group_by("account_manager")
        .agg(
            customers=pl.len(),
            revenue=_revenue(data).sum(),
            key_accounts=(
                pl.col("is_key_account").sum() if data.has("is_key_account") else pl.lit(None)
            ),
        )
        .sort("revenue", "account_manager", descending=[True, False], nulls_last=True)
    )
    index_rows = []
    columns = _customer_columns(data) + [
        c
        for c in (
            Column("ladder_tier", "阶梯 ladder"),
            Column("key_account_status_zh", "大客户状态 key account"),
            Column("credit_grade", "信用 credit"),
            Column("churn_risk_level_zh", "流失风险 churn risk"),
            Column("service_gaps_zh", "服务缺口 service gaps"),
        )
        if data.has(c.key)
    ]
    sort = ["revenue_rank"] if data.has("revenue_rank") else ["customer_id"]
    call_columns = [c for c in _call_columns(data) if c.key != "account_manager"]
    for i, row in enumerate(summary.to_dicts()):
        name = row["account_manager"]
        anchor = manager_anchor(i)
        index_rows.append(
            {**row, "calls": call_counts.get(name, 0), "account_manager": name, "anchor": anchor}
        )
        theirs = customers.filter(pl.col("account_manager") == name).sort(sort, nulls_last=True)
        shown = theirs.head(MANAGER_CUSTOMER_ROWS)
        their_calls = calls.filter(pl.col("account_manager") == name)
        sub = Section(anchor, f"{name}")
        sub.tables.append(
            Table(
                f"table-{anchor}-calls",
                call_columns,
                _rows(their_calls, call_columns),
                caption=f"拨打名单 call list: {their_calls.height:,}",
                note="" if their_calls.height else "名单为空 nobody to call",
            )
        )
        sub.tables.append(
            Table(
                f"table-{anchor}-customers",
                [c for c in columns if c.key != "account_manager"],
                _rows(shown, columns),
                caption=f"客户 customers: {theirs.height:,}"
                + (
                    f"(显示前 {shown.height:,} showing the first {shown.height:,}; "
                    "全部见 customer_scores)"
                    if theirs.height > shown.height
                    else ""
                ),
                folded=True,
            )
        )
        section.subsections.append(sub)
    section.tables.append(
        Table(
            "table-managers",
            [
                Column("account_manager", "客户经理 account manager"),
                Column("customers", "客户数 customers", "int"),
                Column("revenue", "近12月收入 trailing revenue", "money"),
                Column("key_accounts", "大客户 key accounts", "int"),
                Column("calls", "拨打名单 call list", "int"),
            ],
            index_rows,
        )
    )
    return section
