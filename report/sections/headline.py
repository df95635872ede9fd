"""The headline figures at the top of the page."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from report.data import ReportData
from report.elements import Figure, Gate
from report.sections.common import CUSTOMERS, TRAILING_REVENUE


def headline(data: ReportData, gates: Sequence[Gate] | None) -> list[Figure]:
    c = data.customers
    figures = [
        Figure("headline-date", "业务日期 business date", data.business_date.isoformat(), "text"),
        Figure("headline-customers", CUSTOMERS, c.height),
    ]
    if data.has("revenue_trailing"):
        figures.append(_sum("headline-revenue", TRAILING_REVENUE, c["revenue_trailing"]))
    if data.has("is_key_account"):
        figures.append(
            Figure("headline-key-accounts", "大客户 key accounts", int(c["is_key_account"].sum()))
        )
    if data.has("is_churn_risk"):
        flagged = c.filter(pl.col("is_churn_risk"))
        figures.append(Figure("headline-churn-flagged", "流失预警 churn flagged", flagged.height))
        if data.has("value_at_risk"):
            figures.append(
                _sum(
                    "headline-value-at-risk",
                    "风险价值 value at risk (flagged)",
                    flagged["value_at_risk"],
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


def _sum(figure_id: str, label: str, amounts: pl.Series) -> Figure:
    """A headline amount of money: the sum of ``amounts``."""
    return Figure(figure_id, label, float(amounts.sum()), "money")
