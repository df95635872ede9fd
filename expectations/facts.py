"""Suite for ``fct_customer_facts`` of one as-of date (columns: docs/facts.md)."""

from __future__ import annotations

import sys

import great_expectations.expectations as gxe
import pandas as pd

from expectations import rules
from expectations.outcome import SuiteOutcome
from expectations.runner import run_expectations
from expectations.schema import column_types_outcome
from ingestion.contracts import load_contracts

WINDOWS_ALL = ("lifetime", "trailing", "recent")
WINDOWS_LT = ("lifetime", "trailing")
FINITE = sys.float_info.max  # ±inf is out of range; NaN counts as null (ratios with no data)


def _windows(stem: str, windows: tuple[str, ...]) -> list[str]:
    return [f"{stem}_{w}" for w in windows]


COUNTS = [
    *_windows("order_count", WINDOWS_ALL),
    *_windows("return_count", WINDOWS_ALL),
    "order_days_lifetime",
    "tenure_days",
    "days_since_last_order",
    *_windows("distinct_categories", WINDOWS_LT),
    *_windows("distinct_products", WINDOWS_LT),
    "payment_count_trailing",
    "days_past_due",
    "max_days_past_due_trailing",
    "max_days_past_due_recent",
    *_windows("interaction_count", WINDOWS_ALL),
    "interaction_count_prior_recent",
    *[
        c
        for t in ("task", "process", "praise", "complaint", "suggestion")
        for c in _windows(f"{t}_count", WINDOWS_LT)
    ],
    "open_complaint_count",
    "contact_employee_count_trailing",
    "days_since_last_contact",
    "active_trailing_windows",
    "observed_trailing_windows",
    "statement_age_days",
    "payment_terms_days",
    "cost_to_serve_trailing",
]
NON_NEGATIVE = [
    "credit_limit",
    "cooperation_years",
    *_windows("average_order_value", WINDOWS_ALL),
    *_windows("largest_order_amount", WINDOWS_LT),
    *_windows("return_amount", WINDOWS_ALL),
    *_windows("paid_amount", WINDOWS_LT),
    *_windows("largest_payment_amount", WINDOWS_LT),
    *_windows("average_payment_amount", WINDOWS_LT),
    *_windows("average_collection_days", WINDOWS_ALL),
    "overdue_amount",
    *_windows("average_days_past_due", ("trailing", "recent")),
    "long_overdue_amount",
    "mean_days_between_orders",
    "current_ratio",
    "debt_to_asset_ratio",
    "asset_turnover",
    "receivable_days",
    "inventory_days",
    "cost_of_goods_sold_annualised",
]
SHARES = [
    *_windows("revenue_share", WINDOWS_LT),
    "on_time_payment_rate_trailing",
    "on_time_payment_rate_recent",
    "largest_trailing_window_share",
    *[c for t in ("praise", "complaint", "suggestion") for c in _windows(f"{t}_share", WINDOWS_LT)],
]
FINITE_RATIOS = [
    *_windows("gross_margin_rate", WINDOWS_ALL),
    "average_outstanding_ratio_trailing",
    "average_outstanding_balance_trailing",
    "dso_days",
    "expected_sales_next_period",
    "quick_ratio",
    "net_profit_margin",
    "return_on_assets",
]
AMOUNTS = [  # signed money (returns and credit notes make them negative): type only
    *_windows("revenue", WINDOWS_ALL),
    *_windows("gross_profit", WINDOWS_ALL),
    "revenue_recent_last_year",
    "revenue_prior_trailing",
    *_windows("invoiced_amount", WINDOWS_LT),
    "outstanding_balance",
    "contribution_trailing",
]
DATES = [
    "as_of_date",
    "first_cooperation_date",
    "first_order_date",
    "last_order_date",
    "last_contact_date",
    "statement_period_end_date",
]
STRINGS = [
    "customer_id",
    "customer_name",
    "industry",
    "province",
    "city",
    "channel_type",
    "account_manager",
    "status",
]
COLUMN_TYPES: dict[str, str] = (
    dict.fromkeys(STRINGS, "string")
    | dict.fromkeys(DATES, "date")
    | {"is_strategic": "boolean", "has_financial_statement": "boolean"}
    | {"qualitative_rating": "integer"}
    | dict.fromkeys(COUNTS, "integer")
    | dict.fromkeys(NON_NEGATIVE + SHARES + FINITE_RATIOS + AMOUNTS, "decimal")
    | {"revenue_growth": "decimal"}
)
# Counts and amounts of a customer with no activity are 0, never null (docs/facts.md).
NEVER_NULL = [
    "as_of_date",
    "customer_id",
    *_windows("order_count", WINDOWS_ALL),
    *_windows("revenue", WINDOWS_ALL),
    *_windows("interaction_count", WINDOWS_ALL),
]


def validate_customer_facts(frame: pd.DataFrame) -> SuiteOutcome:
    """Check one as-of date of customer facts: columns, types, key, ranges, enums, shares."""
    present = set(frame.columns)
    checks = [
        rules.columns_present(COLUMN_TYPES, "every column of docs/facts.md is present"),
        rules.not_empty("the facts"),
    ]
    for column in (c for c in NEVER_NULL if c in present):
        checks.append(rules.not_null(column))
    if "customer_id" in present:
        checks.append(rules.unique("customer_id", "one row per customer"))
    if "as_of_date" in present:
        checks.append(rules.single_as_of_date())
    bounds = (
        [(c, 0, FINITE, "≥ 0") for c in COUNTS + NON_NEGATIVE]
        + [(c, 0, 1, "within 0..1") for c in SHARES]
        + [(c, -FINITE, FINITE, "a finite number") for c in FINITE_RATIOS]
        + [("revenue_growth", -1, FINITE, "≥ −1 (revenue cannot fall below 0)")]
        + [("qualitative_rating", 1, 5, "within 1..5")]
    )
    for column, low, high, text in bounds:
        if column in present:
            checks.append(rules.between(column, low, high, text))
    customers = load_contracts()["customers"]
    for column in ("channel_type", "status"):
        allowed = customers.column(column).allowed or ()
        if column in present:
            checks.append(rules.in_set(column, allowed))
    if "revenue_share_trailing" in present:
        checks.append(
            rules.column_check(
                gxe.ExpectColumnSumToBeBetween,
                "revenue_share_trailing",
                "sum",
                "error",
                "revenue_share_trailing sums to at most 1 over all customers",
                max_value=1 + 1e-6,
            )
        )
    outcomes = run_expectations("customer_facts", frame, checks)
    outcomes.insert(1, column_types_outcome(frame, COLUMN_TYPES))
    return SuiteOutcome("customer_facts", outcomes)
