"""English labels and their Chinese names, as configured, for output columns and BI lookups."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from scoring.config import Level, ScoringConfig

#: Key-account reasons in their fixed order, with the Chinese names published beside them.
KEY_ACCOUNT_REASONS_ZH: dict[str, str] = {
    "revenue_share": "交易额占比达标",
    "strategic": "战略客户",
    "score": "综合评分不低于候选平均分",
}

#: key_account_status labels (migrations track them like the tiers).
KEY_ACCOUNT_STATUS: tuple[Level, ...] = (
    Level(label="key_account", name_zh="大客户"),
    Level(label="candidate", name_zh="候选大客户"),
    Level(label="other", name_zh="其他客户"),
)


#: Service gaps in their fixed order, with their Chinese names.
SERVICE_GAPS_ZH: dict[str, str] = {
    "no_recent_contact": "重点客户长期未联系",
    "too_few_contacts": "联系人员不足",
    "overserved": "服务成本占比远超交易额占比",
}

#: The columns of :func:`label_table` (scores.score_labels).
LABEL_SCHEMA = {
    "scheme": pl.String,
    "label": pl.String,
    "label_zh": pl.String,
    "sort_order": pl.Int32,
}

#: Daily schemes whose moves between consecutive business dates are tracked (score_migrations).
MIGRATING_SCHEMES = (
    "pyramid_tier",
    "abc_class",
    "ladder_tier",
    "key_account_status",
    "lifecycle_stage",
    "churn_risk_level",
)


def label_to_zh(column: str, levels: Sequence[Level], alias: str | None = None) -> pl.Expr:
    """Expression mapping the English labels in ``column`` to their Chinese names."""
    mapping = {level.label: level.name_zh for level in levels}
    return (
        pl.col(column)
        .replace_strict(mapping, default=None, return_dtype=pl.String)
        .alias(alias or f"{column}_zh")
    )


def _named(names_zh: dict[str, str]) -> tuple[Level, ...]:
    return tuple(Level(label=label, name_zh=name) for label, name in names_zh.items())


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
        "key_account_status": KEY_ACCOUNT_STATUS,
        "key_account_reason": _named(KEY_ACCOUNT_REASONS_ZH),
        "lifecycle_stage": config.relationship.lifecycle.levels,
        "service_gap": _named(SERVICE_GAPS_ZH),
        "credit_grade": config.credit.grades,
        "churn_risk_level": config.churn.risk_levels,
    }
    rows = [
        {"scheme": scheme, "label": level.label, "label_zh": level.name_zh, "sort_order": order}
        for scheme, levels in schemes.items()
        for order, level in enumerate(levels, start=1)
    ]
    return pl.DataFrame(rows, schema=LABEL_SCHEMA)
