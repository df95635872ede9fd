"""English labels and their Chinese names, as configured, for output columns and BI lookups."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from scoring.config import Level, ScoringConfig

#: Chinese names of the score columns written by ``scoring.tier`` and ``scoring.credit``.
COLUMN_NAMES_ZH: dict[str, str] = {
    "pyramid_tier": "客户金字塔层级",
    "pyramid_tier_zh": "客户金字塔层级(中文)",
    "pyramid_rank": "客户金字塔排名",
    "abc_class": "ABC分类",
    "abc_class_zh": "ABC分类(中文)",
    "cumulative_revenue_share": "累计交易额占比",
    "ladder_tier": "客户等级",
    "ladder_tier_zh": "客户等级(中文)",
    "multi_criteria_score": "多指标综合评分",
    "multi_criteria_mean": "综合评分平均分",
    "is_key_account": "是否大客户",
    "key_account_reasons": "大客户认定依据",
    "credit_score": "信用评分",
    "credit_grade": "信用等级",
    "credit_grade_zh": "信用等级(中文)",
    "credit_financials_missing": "缺少财务报表",
    "credit_missing_indicators": "缺失数据的指标",
    "credit_quarter": "信用评估季度",
}


def label_to_zh(column: str, levels: Sequence[Level], alias: str | None = None) -> pl.Expr:
    """Expression mapping the English labels in ``column`` to their Chinese names."""
    mapping = {level.label: level.name_zh for level in levels}
    return (
        pl.col(column)
        .replace_strict(mapping, default=None, return_dtype=pl.String)
        .alias(alias or f"{column}_zh")
    )


def label_table(config: ScoringConfig) -> pl.DataFrame:
    """Every configured label with its Chinese name and sort order, one row per scheme and label."""
    ladder = config.tier.ladder
    ladder_levels = [*ladder.rules, ladder.otherwise]
    if ladder.display_order:
        by_label = {level.label: level for level in ladder_levels}
        ladder_levels = [by_label[label] for label in ladder.display_order]
    schemes: dict[str, Sequence[Level]] = {
        "pyramid_tier": config.tier.pyramid.levels,
        "abc_class": config.tier.abc.classes,
        "ladder_tier": ladder_levels,
        "credit_grade": config.credit.grades,
        "churn_risk_level": config.churn.risk_levels,
    }
    rows = [
        {"scheme": scheme, "label": level.label, "label_zh": level.name_zh, "sort_order": order}
        for scheme, levels in schemes.items()
        for order, level in enumerate(levels, start=1)
    ]
    return pl.DataFrame(
        rows,
        schema={"scheme": pl.String, "label": pl.String, "label_zh": pl.String,
                "sort_order": pl.Int32},
    )
