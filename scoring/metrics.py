"""Names the scoring rules may refer to: customer-facts columns and a few derived metrics.

A rule in ``config/scoring.yaml`` names a metric; :func:`metric_expr` turns the name into a
Polars expression. Derived metrics are small, documented formulas over facts columns.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import yaml

# The facts' columns are declared where dbt builds them: the model's yml (docs/facts.md too).
FACTS_MODEL_YML = (
    Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts" / "_marts__models.yml"
)


def _fact_columns(path: Path = FACTS_MODEL_YML) -> frozenset[str]:
    """The columns of ``fct_customer_facts`` documented in the marts' model yml."""
    models = yaml.safe_load(path.read_text(encoding="utf-8"))["models"]
    model = next(m for m in models if m["name"] == "fct_customer_facts")
    return frozenset(column["name"] for column in model["columns"])


#: Columns of ``fct_customer_facts`` (docs/facts.md) a rule may name directly.
FACT_COLUMNS: frozenset[str] = _fact_columns()


def _revenue_growth_trailing() -> pl.Expr:
    prior = pl.col("revenue_prior_trailing")
    return pl.when(prior > 0).then(pl.col("revenue_trailing") / prior - 1)


def _collection_days_over_terms() -> pl.Expr:
    terms = pl.col("payment_terms_days").fill_null(0)
    return pl.col("average_collection_days_trailing") - terms


def _overdue_share_of_balance() -> pl.Expr:
    balance = pl.col("outstanding_balance")
    return (
        pl.when(balance > 0)
        .then(pl.col("overdue_amount").fill_null(0) / balance)
        .when(balance.is_not_null())
        .then(0.0)
    )


def _quarter_or_year(stem: str) -> Callable[[], pl.Expr]:
    """The recent window's value (the quarter, at a quarter's end), or the trailing year's when
    the quarter has none (no payment fell in it)."""
    return lambda: pl.coalesce(pl.col(f"{stem}_recent"), pl.col(f"{stem}_trailing"))


def _collection_days_over_terms_quarter() -> pl.Expr:
    terms = pl.col("payment_terms_days").fill_null(0)
    return _quarter_or_year("average_collection_days")() - terms


def _contribution_margin_trailing() -> pl.Expr:
    revenue = pl.col("revenue_trailing")
    return pl.when(revenue > 0).then(pl.col("contribution_trailing") / revenue)


#: Derived metrics: name -> (formula for the docs, expression builder).
DERIVED_METRICS: dict[str, tuple[str, Callable[[], pl.Expr]]] = {
    "revenue_growth_trailing": (
        "revenue_trailing / revenue_prior_trailing - 1; null when revenue_prior_trailing <= 0",
        _revenue_growth_trailing,
    ),
    "collection_days_over_terms": (
        "average_collection_days_trailing - payment_terms_days (terms missing = 0 days)",
        _collection_days_over_terms,
    ),
    "contribution_margin_trailing": (
        "contribution_trailing / revenue_trailing (profit after cost to serve per unit of "
        "revenue); null when revenue_trailing <= 0 or without line cost",
        _contribution_margin_trailing,
    ),
    "on_time_payment_rate_quarter": (
        "on_time_payment_rate_recent (the quarter, at a quarter's end), or "
        "on_time_payment_rate_trailing when no payment fell in the quarter",
        _quarter_or_year("on_time_payment_rate"),
    ),
    "average_days_past_due_quarter": (
        "average_days_past_due_recent, or average_days_past_due_trailing when no payment fell "
        "in the quarter",
        _quarter_or_year("average_days_past_due"),
    ),
    "collection_days_over_terms_quarter": (
        "average_collection_days_recent (or _trailing when no payment fell in the quarter) − "
        "payment_terms_days (terms missing = 0 days)",
        _collection_days_over_terms_quarter,
    ),
    "overdue_share_of_balance": (
        "overdue_amount / outstanding_balance; 0 when nothing is owed (balance <= 0)",
        _overdue_share_of_balance,
    ),
}

KNOWN_METRICS: frozenset[str] = FACT_COLUMNS | frozenset(DERIVED_METRICS)


def metric_expr(name: str, schema: pl.Schema | None = None) -> pl.Expr:
    """Expression for a facts column or a derived metric (names checked by the config loader).

    With the frame's ``schema``, boolean columns become 0.0 / 1.0 so they compare with numbers.
    """
    if name in DERIVED_METRICS:
        return DERIVED_METRICS[name][1]().alias(name)
    if schema is not None and schema.get(name) == pl.Boolean:
        return pl.col(name).cast(pl.Float64)
    return pl.col(name)
