"""Relationship rules (docs/scoring.md, "Relationship"): service coverage, share of wallet,
unprofitable customers, lifecycle stage and the top customers, each worked out by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from scoring.config import Profitability, RelationshipConfig, TopCustomers, default_config
from scoring.relationship import relationship

CONFIG = default_config().relationship

#: A steady, unremarkable customer; each test overrides what it is about.
BASE: dict[str, object] = {
    "pyramid_tier": "regular",
    "is_key_account": False,
    "revenue_rank": 5,
    "days_since_last_contact": 10,
    "contact_employee_count_trailing": 2,
    "cost_to_serve_trailing": 0.0,
    "revenue_trailing": 100.0,
    "revenue_prior_trailing": 100.0,
    "revenue_lifetime": 300.0,
    "cost_of_goods_sold_annualised": None,
    "contribution_trailing": 20.0,
    "order_count_trailing": 4,
    "first_order_date": date(2020, 1, 1),
    "days_since_last_order": 30,
    "tenure_days": 2000,
}


def _scored(rows: dict[str, dict[str, object]]) -> pl.LazyFrame:
    return pl.LazyFrame([{"customer_id": cid, **BASE, **extra} for cid, extra in rows.items()])


def _by_id(out: pl.DataFrame, column: str) -> dict[str, object]:
    return dict(out.select("customer_id", column).iter_rows())


def test_service_gaps_for_key_accounts_vips_and_overserved_small_customers() -> None:
    out = relationship(
        _scored(
            {
                "ka_contacted": {"is_key_account": True, "days_since_last_contact": 30},
                "ka_31_days": {"is_key_account": True, "days_since_last_contact": 31},
                "ka_never": {
                    "is_key_account": True,
                    "days_since_last_contact": None,
                    "contact_employee_count_trailing": 0,
                },
                "vip_one_person": {"pyramid_tier": "vip", "contact_employee_count_trailing": 1},
                "regular_quiet": {
                    "days_since_last_contact": 400,
                    "contact_employee_count_trailing": 0,
                },
                # Company: cost to serve 900 + 50 + 50 = 1,000; revenue 80 + 6 × 100 + 320 =
                # 1,000. small_costly: cost share 0.9 against revenue share 0.08, 11.25 × (more
                # than 10 ×) -> overserved. small_cheap: cost 0.05 against revenue 0.32: not.
                "small_costly": {
                    "pyramid_tier": "small",
                    "cost_to_serve_trailing": 900.0,
                    "revenue_trailing": 80.0,
                },
                "small_cheap": {
                    "pyramid_tier": "small",
                    "cost_to_serve_trailing": 50.0,
                    "revenue_trailing": 320.0,
                },
                "regular_costly": {"cost_to_serve_trailing": 50.0},
            }
        ),
        CONFIG,
    ).collect()
    assert _by_id(out, "service_gaps") == {
        "ka_contacted": None,
        "ka_31_days": "no_recent_contact",
        "ka_never": "no_recent_contact;too_few_contacts",
        "vip_one_person": "too_few_contacts",
        "regular_quiet": None,
        "small_costly": "overserved",
        "small_cheap": None,
        "regular_costly": None,
    }
    assert _by_id(out, "service_gaps_zh")["ka_never"] == "重点客户长期未联系;联系人员不足"
    assert _by_id(out, "has_service_gap")["ka_31_days"] is True
    assert _by_id(out, "has_service_gap")["small_cheap"] is False
    assert _by_id(out, "cost_to_serve_share_trailing")["small_costly"] == pytest.approx(0.9)


def test_share_of_wallet_is_our_revenue_over_the_customers_annual_cost_of_goods() -> None:
    out = relationship(
        _scored(
            {
                "quarter": {"revenue_trailing": 250_000.0, "cost_of_goods_sold_annualised": 1e6},
                "no_statement": {"cost_of_goods_sold_annualised": None},
                "zero_cogs": {"cost_of_goods_sold_annualised": 0.0},
                "returns_only": {"revenue_trailing": -50.0, "cost_of_goods_sold_annualised": 1e3},
            }
        ),
        CONFIG,
    ).collect()
    assert _by_id(out, "share_of_wallet") == {
        "quarter": 0.25,
        "no_statement": None,
        "zero_cogs": None,
        "returns_only": 0.0,
    }
    assert _by_id(out, "share_of_wallet_missing") == {
        "quarter": False,
        "no_statement": True,
        "zero_cogs": True,
        "returns_only": False,
    }


def test_unprofitable_after_cost_to_serve_and_handling_cost_per_order() -> None:
    config = RelationshipConfig(profitability=Profitability(handling_cost_per_order=5.0))
    out = relationship(
        _scored(
            {
                # 20 − 5 × 4 = 0: not below zero.
                "break_even": {},
                # 20 − 5 × 5 = −5.
                "one_order_too_many": {"order_count_trailing": 5},
                "loss_already": {"contribution_trailing": -1.0, "order_count_trailing": 0},
                "no_cost_data": {"contribution_trailing": None},
            }
        ),
        config,
    ).collect()
    assert _by_id(out, "contribution_after_handling_trailing") == {
        "break_even": 0.0,
        "one_order_too_many": -5.0,
        "loss_already": -1.0,
        "no_cost_data": None,
    }
    assert _by_id(out, "is_unprofitable") == {
        "break_even": False,
        "one_order_too_many": True,
        "loss_already": True,
        "no_cost_data": False,
    }


def test_lifecycle_stage_first_matching_rule() -> None:
    out = relationship(
        _scored(
            {
                "prospect": {
                    "first_order_date": None,
                    "days_since_last_order": None,
                    "tenure_days": None,
                    "revenue_trailing": 0.0,
                },
                "lapsed": {"days_since_last_order": 366, "revenue_trailing": 0.0},
                "quiet_365": {"days_since_last_order": 365, "revenue_trailing": 10.0},
                "newcomer": {"tenure_days": 364, "revenue_prior_trailing": 0.0},
                "growing": {"revenue_trailing": 111.0},
                "at_110": {"revenue_trailing": 110.0},
                "declining": {"revenue_trailing": 89.0},
                "at_90": {"revenue_trailing": 90.0},
                "came_back": {"revenue_trailing": 50.0, "revenue_prior_trailing": 0.0},
            }
        ),
        CONFIG,
    ).collect()
    assert _by_id(out, "lifecycle_stage") == {
        "prospect": "prospect",
        "lapsed": "lapsed",
        "quiet_365": "declining",  # 10 < 0.9 × 100
        "newcomer": "newcomer",
        "growing": "growing",
        "at_110": "stable",
        "declining": "declining",
        "at_90": "stable",
        "came_back": "growing",
    }
    assert _by_id(out, "lifecycle_stage_zh")["lapsed"] == "沉睡客户"


def test_top_customers_are_the_first_n_by_revenue_rank() -> None:
    config = RelationshipConfig(top_customers=TopCustomers(count=2))
    out = relationship(
        _scored(
            {
                "first": {"revenue_rank": 1},
                "second": {"revenue_rank": 2},
                "third": {"revenue_rank": 3},
                "no_revenue": {"revenue_rank": None},
            }
        ),
        config,
    ).collect()
    assert _by_id(out, "is_top_customer") == {
        "first": True,
        "second": True,
        "third": False,
        "no_revenue": False,
    }
