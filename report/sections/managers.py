"""Each account manager's customers and call list, and the index of managers."""

from __future__ import annotations

import polars as pl

from report.data import ReportData
from report.elements import Column, Section, Table
from report.sections.churn import call_list, call_list_columns
from report.sections.common import (
    CUSTOMER_COUNT,
    REVENUE_TOTAL,
    customer_columns,
    customer_order,
    lacks,
    present,
    revenue_expr,
    table_rows,
)

# Customers listed per account manager (best first); the rest are in customer_scores.
MANAGER_CUSTOMER_ROWS = 200
UNASSIGNED = "(未分配 unassigned)"


def manager_anchor(index: int) -> str:
    return f"manager-{index + 1}"


def manager_section(data: ReportData) -> Section:
    section = Section(
        "managers",
        "客户经理 Account managers",
        "每位客户经理的客户与拨打名单。 Each account manager's customers and call list.",
    )
    if lacks(data, section, "account_manager", "no per-manager sections"):
        return section
    manager = pl.col("account_manager").fill_null(UNASSIGNED)
    customers = data.customers.with_columns(account_manager=manager)
    calls = call_list(data).with_columns(account_manager=manager)
    call_counts = dict(calls.group_by("account_manager").len().iter_rows())
    summary = (
        customers.group_by("account_manager")
        .agg(
            customers=pl.len(),
            revenue=revenue_expr(data).sum(),
            key_accounts=(
                pl.col("is_key_account").sum() if data.has("is_key_account") else pl.lit(None)
            ),
        )
        .sort("revenue", "account_manager", descending=[True, False], nulls_last=True)
    )
    index_rows = []
    columns = customer_columns(data) + present(
        data,
        Column("ladder_tier", "阶梯 ladder"),
        Column("key_account_status_zh", "大客户状态 key account"),
        Column("credit_grade", "信用 credit"),
        Column("churn_risk_level_zh", "流失风险 churn risk"),
        Column("service_gaps_zh", "服务缺口 service gaps"),
    )
    sort = customer_order(data)
    call_columns = [c for c in call_list_columns(data) if c.key != "account_manager"]
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
                table_rows(their_calls, call_columns),
                caption=f"拨打名单 call list: {their_calls.height:,}",
                note="" if their_calls.height else "名单为空 nobody to call",
            )
        )
        sub.tables.append(
            Table(
                f"table-{anchor}-customers",
                [c for c in columns if c.key != "account_manager"],
                table_rows(shown, columns),
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
                CUSTOMER_COUNT,
                REVENUE_TOTAL,
                Column("key_accounts", "大客户 key accounts", "int"),
                Column("calls", "拨打名单 call list", "int"),
            ],
            index_rows,
        )
    )
    return section
