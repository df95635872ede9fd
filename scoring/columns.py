"""The score columns, declared once: name, kind of value and Chinese name.

Each scoring step selects its output columns from here (``columns_of``), the published copy's
column comments take the Chinese names (``COLUMN_NAMES_ZH``), and the score suite
(expectations/scores.py) checks the kinds (``expected_kinds``). What each column means is in
docs/scoring.md. Columns that depend on the configuration (one rating per key-account criterion,
points per credit category) are added by ``expected_kinds``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from scoring.config import ScoringConfig

#: Kinds of value, as the score suite tells them apart (expectations/schema.py).
Kind = Literal["string", "decimal", "integer", "boolean", "date"]
Step = Literal["keys", "tier", "relationship", "churn", "credit", "credit_grades", "run"]


class ScoreColumn(NamedTuple):
    """A row of :data:`SCORE_COLUMNS`."""

    name: str
    kind: Kind
    step: Step
    name_zh: str | None = None


def _columns(step: Step, *rows: tuple[str, Kind, str | None]) -> list[ScoreColumn]:
    return [ScoreColumn(name, kind, step, zh) for name, kind, zh in rows]


S, N, I, B, D = "string", "decimal", "integer", "boolean", "date"  # noqa: E741

SCORE_COLUMNS: tuple[ScoreColumn, ...] = (
    *_columns("keys", ("as_of_date", D, None), ("customer_id", S, None)),
    *_columns(
        "tier",
        ("pyramid_tier", S, "客户金字塔层级"),
        ("pyramid_tier_zh", S, "客户金字塔层级(中文)"),
        ("pyramid_rank", I, "客户金字塔排名"),
        ("abc_class", S, "ABC分类"),
        ("abc_class_zh", S, "ABC分类(中文)"),
        ("cumulative_revenue_share", N, "累计交易额占比"),
        ("ladder_tier", S, "客户等级"),
        ("ladder_tier_zh", S, "客户等级(中文)"),
        ("revenue_rank", I, "交易额排名"),
        ("is_key_account_candidate", B, "是否大客户候选"),
        ("multi_criteria_score", N, "多指标综合评分"),
        ("multi_criteria_mean", N, "候选客户综合评分平均分"),
        ("key_account_score_threshold", N, "综合评分门槛"),
        ("is_key_account", B, "是否大客户"),
        ("key_account_reasons", S, "大客户认定依据"),
        ("key_account_reasons_zh", S, "大客户认定依据(中文)"),
        ("key_account_status", S, "大客户状态"),
        ("key_account_status_zh", S, "大客户状态(中文)"),
        ("is_one_off_buyer", B, "是否一次性采购客户"),
    ),
    *_columns(
        "relationship",
        ("has_service_gap", B, "是否存在服务缺口"),
        ("service_gaps", S, "服务缺口"),
        ("service_gaps_zh", S, "服务缺口(中文)"),
        ("cost_to_serve_share_trailing", N, "服务成本占比"),
        ("share_of_wallet", N, "占客户采购份额"),
        ("share_of_wallet_missing", B, "缺少份额数据"),
        ("contribution_after_handling_trailing", N, "扣除订单处理成本后的贡献"),
        ("is_unprofitable", B, "是否亏损客户"),
        ("lifecycle_stage", S, "客户生命周期阶段"),
        ("lifecycle_stage_zh", S, "客户生命周期阶段(中文)"),
        ("is_top_customer", B, "是否前十大客户"),
    ),
    *_columns(
        "churn",
        ("churn_probability", N, "流失概率"),
        ("probability_alive", N, "活跃概率"),
        ("expected_purchases", N, "预期购买次数"),
        ("expected_revenue_next_period", N, "预期下期交易额"),
        ("churn_model", S, "流失模型"),
        ("churn_model_status", S, "流失模型状态"),
        ("churn_model_note", S, "流失模型说明"),
        ("churn_score", N, "流失预警信号分"),
        ("churn_risk_level", S, "流失风险等级"),
        ("churn_risk_level_zh", S, "流失风险等级(中文)"),
        ("is_churn_risk", B, "是否流失预警"),
        ("churn_reasons", S, "流失预警原因"),
        ("churn_reasons_zh", S, "流失预警原因(中文)"),
        ("expected_purchase_value", N, "预期单次购买金额"),
        ("customer_lifetime_value", N, "客户终身价值"),
        ("value_at_risk", N, "流失损失金额"),
        ("churn_call_priority", I, "挽留优先顺序"),
    ),
    *_columns("run", ("config_version", S, None)),
    *_columns(
        "credit",
        ("credit_score", N, "信用评分"),
        ("credit_grade", S, "信用等级"),
        ("credit_grade_zh", S, "信用等级(中文)"),
        ("credit_financials_missing", B, "缺少财务报表"),
    ),
    # Columns of the quarterly credit_grades table only.
    *_columns(
        "credit_grades",
        ("credit_missing_indicators", S, "缺失数据的指标"),
        ("credit_quarter", S, "信用评估季度"),
    ),
)

#: Chinese name of every score column that has one (column comments of the published copy).
COLUMN_NAMES_ZH: dict[str, str] = {c.name: c.name_zh for c in SCORE_COLUMNS if c.name_zh}


def columns_of(step: Step) -> tuple[str, ...]:
    """The output columns of one scoring step, in their published order."""
    return tuple(c.name for c in SCORE_COLUMNS if c.step == step)


def expected_kinds(config: ScoringConfig) -> dict[str, Kind]:
    """Every score column of ``customer_scores`` with its kind, for this configuration."""
    kinds: dict[str, Kind] = {}
    for column in SCORE_COLUMNS:
        if column.step == "credit_grades":
            continue
        kinds[column.name] = column.kind
        if column.name == "is_one_off_buyer":
            kinds |= {f"key_account_rating_{c}": N for c in config.tier.key_account.criteria}
    kinds |= {f"credit_points_{c}": N for c in config.credit.categories}
    return kinds
