"""Credit grade (客户信用等级): the quarterly 100-point scorecard of SPEC §4.

Each indicator turns one metric into points on its configured bands; categories sum their
indicators; the score sums the categories and is graded AAA … C. A customer without a usable
financial statement is flagged ``credit_financials_missing`` and its financial indicators follow
the configured policy (``neutral``, ``zero`` or ``rescale``) — never a silent zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from scoring.config import CreditConfig
from scoring.labels import label_to_zh
from scoring.metrics import metric_expr
from scoring.points import points_expr


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, e.g. 2024Q1 = 2024-01-01 … 2024-03-31."""

    year: int
    quarter: int

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        next_start = (
            date(self.year + 1, 1, 1)
            if self.quarter == 4
            else date(self.year, 3 * self.quarter + 1, 1)
        )
        return next_start - timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}"


def quarter_for(as_of_date: date) -> Quarter:
    """The quarter a credit grade evaluated on ``as_of_date`` covers: the latest full quarter,
    i.e. the latest quarter whose last day is on or before ``as_of_date``."""
    current = Quarter(as_of_date.year, (as_of_date.month - 1) // 3 + 1)
    if current.end == as_of_date:
        return current
    if current.quarter == 1:
        return Quarter(as_of_date.year - 1, 4)
    return Quarter(as_of_date.year, current.quarter - 1)


def financials_missing_expr(config: CreditConfig) -> pl.Expr:
    """True where the customer has no financial statement (or only one older than allowed)."""
    missing = ~pl.col("has_financial_statement").fill_null(False)
    max_age = config.missing_financials.max_statement_age_days
    if max_age is not None:
        missing = missing | (pl.col("statement_age_days") > max_age).fill_null(True)
    return missing


def score_credit(facts: pl.LazyFrame, config: CreditConfig) -> pl.LazyFrame:
    """Credit score, grade and breakdown per customer, from facts as of the quarter's end.

    Columns: credit_score, credit_grade, credit_grade_zh, credit_financials_missing,
    credit_missing_indicators, credit_points_<category>, credit_ind_<indicator>.
    """
    schema = facts.collect_schema()
    keys = ["as_of_date"] if "as_of_date" in schema else []
    policy = config.missing_financials.policy
    fin_missing = pl.col("credit_financials_missing")

    indicator_points: dict[str, pl.Expr] = {}
    missing_names: list[pl.Expr] = []
    for category in config.categories.values():
        for name, indicator in category.indicators.items():
            value = metric_expr(indicator.metric, schema)
            points = points_expr(value, indicator)
            absent = value.is_null()
            if category.financial:
                substitute = {
                    "neutral": pl.lit(
                        config.missing_financials.neutral_fraction * indicator.max_points
                    ),
                    "zero": pl.lit(0.0),
                    "rescale": pl.lit(None, dtype=pl.Float64),
                }[policy]
                points = pl.when(fin_missing).then(substitute).otherwise(points)
                absent = absent & ~fin_missing
            indicator_points[f"credit_ind_{name}"] = points.cast(pl.Float64)
            missing_names.append(pl.when(absent).then(pl.lit(name)))

    category_points: dict[str, pl.Expr] = {}
    for cat_name, category in config.categories.items():
        total = pl.sum_horizontal([pl.col(f"credit_ind_{n}") for n in category.indicators])
        if category.financial and policy == "rescale":
            total = pl.when(fin_missing).then(pl.lit(None, dtype=pl.Float64)).otherwise(total)
        category_points[f"credit_points_{cat_name}"] = total

    non_financial = [n for n, c in config.categories.items() if not c.financial]
    non_financial_max = config.total_points - config.financial_points
    all_points = pl.sum_horizontal([pl.col(f"credit_points_{n}") for n in config.categories])
    score = all_points
    if policy == "rescale":
        non_fin_points = pl.sum_horizontal([pl.col(f"credit_points_{n}") for n in non_financial])
        score = (
            pl.when(fin_missing)
            .then(non_fin_points * config.total_points / non_financial_max)
            .otherwise(all_points)
        )

    best, *others = config.grades
    grade = pl.when(pl.col("credit_score") >= best.min_score).then(pl.lit(best.label))
    for band in others:
        grade = grade.when(pl.col("credit_score") >= band.min_score).then(pl.lit(band.label))

    missing_list = pl.concat_list(missing_names).list.drop_nulls()
    return (
        facts.with_columns(credit_financials_missing=financials_missing_expr(config))
        .with_columns(**indicator_points)
        .with_columns(**category_points)
        .with_columns(credit_score=score.round(config.score_decimals))
        .with_columns(
            credit_grade=grade.otherwise(pl.lit(config.grades[-1].label)),
            credit_missing_indicators=pl.when(missing_list.list.len() > 0).then(
                missing_list.list.join(";")
            ),
        )
        .with_columns(label_to_zh("credit_grade", config.grades))
        .select(
            *keys,
            "customer_id",
            "credit_score",
            "credit_grade",
            "credit_grade_zh",
            "credit_financials_missing",
            "credit_missing_indicators",
            *category_points,
            *indicator_points,
        )
        .sort([*keys, "customer_id"])
    )


#: Facts columns that come from the customer's latest financial statement (docs/facts.md).
STATEMENT_COLUMNS = (
    "has_financial_statement",
    "statement_period_end_date",
    "statement_age_days",
    "current_ratio",
    "quick_ratio",
    "debt_to_asset_ratio",
    "net_profit_margin",
    "return_on_assets",
    "asset_turnover",
    "receivable_days",
    "inventory_days",
    "revenue_growth",
    "cost_of_goods_sold_annualised",
)


def with_statements_known_on(
    quarter_facts: pl.LazyFrame, facts_on_date: pl.LazyFrame, quarter: Quarter
) -> pl.LazyFrame:
    """Quarter-end facts with each customer's statement as known on a later grading date.

    A quarter's statement lands weeks after the quarter ends, so the facts as of the quarter's
    end never hold it. Where the facts of the grading date (``facts_on_date``) have a statement
    whose period ends on or before the quarter's end, that is the latest such statement known
    then — the quarter's own once it has landed — and it replaces the quarter-end facts'
    statement columns. Otherwise (no statement, or one already for a later period) the
    quarter-end facts keep theirs. ``statement_age_days`` is counted to the quarter's end.
    """
    schema = quarter_facts.collect_schema()
    columns = [c for c in STATEMENT_COLUMNS if c in schema]
    if "statement_period_end_date" not in columns:
        return quarter_facts
    later = facts_on_date.select("customer_id", *(pl.col(c).alias(f"_later_{c}") for c in columns))
    usable = (pl.col("_later_statement_period_end_date") <= quarter.end).fill_null(False)
    merged = quarter_facts.join(later, on="customer_id", how="left", maintain_order="left")
    return (
        merged.with_columns(
            *(
                pl.when(usable).then(pl.col(f"_later_{c}")).otherwise(pl.col(c)).alias(c)
                for c in columns
            )
        )
        .with_columns(
            *(
                [
                    (pl.lit(quarter.end, dtype=pl.Date) - pl.col("statement_period_end_date"))
                    .dt.total_days()
                    .cast(
                        pl.Int64
                        if schema["statement_age_days"] == pl.Null
                        else schema["statement_age_days"]
                    )
                    .alias("statement_age_days")
                ]
                if "statement_age_days" in columns
                else []
            )
        )
        .drop(*(f"_later_{c}" for c in columns))
    )


def score_credit_for_quarter(
    facts: pl.LazyFrame, config: CreditConfig, quarter: Quarter
) -> pl.LazyFrame:
    """:func:`score_credit` tagged with the quarter evaluated and the statement period it saw;
    pass facts as of ``quarter.end`` (with :func:`with_statements_known_on` for statements that
    landed after it)."""
    schema = facts.collect_schema()
    period = (
        facts.select("customer_id", pl.col("statement_period_end_date").cast(pl.Date))
        if "statement_period_end_date" in schema
        else facts.select(
            "customer_id", pl.lit(None, dtype=pl.Date).alias("statement_period_end_date")
        )
    )
    keys = ["as_of_date"] if "as_of_date" in schema else []
    period_end = pl.col("credit_statement_period_end_date")
    return (
        score_credit(facts, config)
        .with_columns(
            credit_quarter=pl.lit(quarter.label),
            credit_quarter_end_date=pl.lit(quarter.end, dtype=pl.Date),
        )
        .join(
            period.rename({"statement_period_end_date": "credit_statement_period_end_date"}),
            on="customer_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            credit_statement_of_quarter=(
                (period_end >= quarter.start) & (period_end <= quarter.end)
            ).fill_null(False)
        )
        .sort([*keys, "customer_id"])
    )
