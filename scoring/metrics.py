"""Names the scoring rules may refer to: customer-facts columns and a few derived metrics.

A rule in ``config/scoring.yaml`` names a metric; :func:`metric_expr` turns the name into a
Polars expression. Derived metrics are small, documented formulas over facts columns.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

_FACT_COLUMN_NAMES = """
    as_of_date customer_id customer_name industry province city channel_type account_manager
    status is_strategic qualitative_rating payment_terms_days credit_limit first_cooperation_date
    cooperation_years first_order_date last_order_date days_since_last_order
    order_count_lifetime order_count_trailing order_count_recent
    revenue_lifetime revenue_trailing revenue_recent
    gross_profit_lifetime gross_profit_trailing gross_profit_recent
    gross_margin_rate_lifetime gross_margin_rate_trailing gross_margin_rate_recent
    average_order_value_lifetime average_order_value_trailing average_order_value_recent
    largest_order_amount_lifetime largest_order_amount_trailing
    return_amount_lifetime return_amount_trailing return_amount_recent
    return_count_lifetime return_count_trailing return_count_recent
    tenure_days mean_days_between_orders expected_sales_next_period
    distinct_categories_lifetime distinct_categories_trailing
    distinct_products_lifetime distinct_products_trailing
    revenue_share_lifetime revenue_share_trailing revenue_recent_last_year revenue_prior_trailing
    active_trailing_windows observed_trailing_windows largest_trailing_window_share
    invoiced_amount_lifetime invoiced_amount_trailing paid_amount_lifetime paid_amount_trailing
    payment_count_trailing largest_payment_amount_lifetime largest_payment_amount_trailing
    average_payment_amount_lifetime average_payment_amount_trailing
    average_collection_days_lifetime average_collection_days_trailing
    outstanding_balance average_outstanding_balance_trailing average_outstanding_ratio_trailing
    overdue_amount days_past_due average_days_past_due_trailing average_days_past_due_recent
    max_days_past_due_trailing on_time_payment_rate_trailing average_collection_days_recent
    max_days_past_due_recent on_time_payment_rate_recent long_overdue_amount dso_days
    interaction_count_lifetime interaction_count_trailing interaction_count_recent
    interaction_count_prior_recent
    task_count_lifetime task_count_trailing process_count_lifetime process_count_trailing
    praise_count_lifetime praise_count_trailing complaint_count_lifetime complaint_count_trailing
    suggestion_count_lifetime suggestion_count_trailing
    praise_share_lifetime praise_share_trailing complaint_share_lifetime complaint_share_trailing
    suggestion_share_lifetime suggestion_share_trailing
    open_complaint_count last_contact_date contact_employee_count_trailing days_since_last_contact
    has_financial_statement statement_period_end_date statement_age_days
    current_ratio quick_ratio debt_to_asset_ratio net_profit_margin return_on_assets
    asset_turnover receivable_days inventory_days revenue_growth cost_of_goods_sold_annualised
    cost_to_serve_trailing contribution_trailing
"""

#: Columns of ``fct_customer_facts`` (docs/facts.md) a rule may name directly.
FACT_COLUMNS: frozenset[str] = frozenset(_FACT_COLUMN_NAMES.split())


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
