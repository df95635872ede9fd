"""Every range a single key of config/scoring.yaml must keep: a value outside it is reported
with the file, the key path, the key and value, the allowed range and how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest
from shipped_config import SHIPPED, config_error

from scoring.config import ScoringConfigError, load_scoring_config

# (line in the shipped file, its bad variant, the whole problem reported: path, problem, fix)
CASES = [
    (
        "neutral_fraction: 0.5 ",
        "neutral_fraction: 1.5 ",
        "credit.missing_financials.neutral_fraction: neutral_fraction 1.5 is outside 0..1"
        " — fix: write 0.5 for half the points",
    ),
    (
        "min_revenue_share: 0.05",
        "min_revenue_share: 5",
        "tier.key_account.min_revenue_share: min_revenue_share 5.0 is outside 0..1"
        " — fix: write 0.05 for 5 %",
    ),
    (
        "max_window_share: null",
        "max_window_share: 0",
        "tier.key_account.steadiness.max_window_share: max_window_share 0.0 is outside (0, 1]"
        " — fix: write e.g. 0.9 for 90 %, or null to switch the rule off",
    ),
    (
        "min_active_windows: 2",
        "min_active_windows: 0",
        "tier.key_account.steadiness.min_active_windows: min_active_windows 0 is below 1"
        " — fix: use 2 (bought in at least two of the windows) or 1 to switch the rule off",
    ),
    (
        "pyramid_levels: [vip, major]    #",
        "top_n: 0    #",
        "tier.key_account.candidates.top_n: top_n 0 is below 1 — fix: use a count ≥ 1",
    ),
    (
        "        weight: 1\n        bands: &percentile",
        "        weight: -1\n        bands: &percentile",
        "tier.key_account.criteria.volume.weight: weight -1.0 is negative — fix: use a weight ≥ 0",
    ),
    (
        "count: 10",
        "count: 0",
        "relationship.top_customers.count: count 0 is below 1 — fix: use e.g. 10",
    ),
    (
        "customer_drop_error: 0.20",
        "customer_drop_error: 1.5",
        "gates.customer_drop_error: customer_drop_error 1.5 is outside 0..1"
        " — fix: write a fraction (0.2 = 20 %)",
    ),
    (
        "top_share: 0.05 ",
        "top_share: 0 ",
        "churn.call_list.top_share: top_share 0.0 is outside (0, 1]"
        " — fix: write a fraction of customers, e.g. 0.05 for 5 %",
    ),
    (
        "    top_n:  ",
        "    top_n: 0  ",
        "churn.call_list.top_n: top_n 0 is below 1 — fix: use a count ≥ 1",
    ),
    (
        "    min_probability: 0.5 ",
        "    min_probability: 1.5 ",
        "churn.call_list.min_probability: min_probability 1.5 is outside 0..1"
        " — fix: write a probability, e.g. 0.5",
    ),
    (
        "annual_discount_rate: 0.10",
        "annual_discount_rate: 1",
        "churn.lifetime_value.annual_discount_rate: annual_discount_rate 1.0 is outside [0, 1)"
        " — fix: write a yearly rate as a fraction, e.g. 0.10 for 10 %",
    ),
    (
        "      weight: 1\n      max_ratio",
        "      weight: -0.5\n      max_ratio",
        "churn.signals.contact_quiet.weight: weight -0.5 is negative — fix: use a weight ≥ 0",
    ),
    (
        "      cycle_multiple: 2.0 ",
        "      cycle_multiple: -1 ",
        "churn.signals.no_recent_order.cycle_multiple: cycle_multiple -1.0 is negative"
        " — fix: use a multiple of the customer's own order cycle, e.g. 2",
    ),
    (
        "      max_ratio: 0.5                  # revenue_recent",
        "      max_ratio: -0.5                  # revenue_recent",
        "churn.signals.revenue_drop.max_ratio: max_ratio -0.5 is negative"
        " — fix: write a ratio ≥ 0, e.g. 0.5 for half",
    ),
    (
        "      max_ratio: 0.5                  # interaction_count_recent",
        "      max_ratio: -2                  # interaction_count_recent",
        "churn.signals.contact_quiet.max_ratio: max_ratio -2.0 is negative"
        " — fix: write a ratio ≥ 0, e.g. 0.5 for half",
    ),
    (
        "      min_count: 1",
        "      min_count: 0",
        "churn.signals.open_complaints.min_count: min_count 0 is below 1 — fix: use a count ≥ 1",
    ),
    (
        "      min_increase_days: 15 ",
        "      min_increase_days: -5 ",
        "churn.signals.payment_worsening.min_increase_days: min_increase_days -5.0 is negative"
        " — fix: use a number of days ≥ 0",
    ),
    (
        "      max_probability_alive: 0.5 ",
        "      max_probability_alive: 1.5 ",
        "churn.signals.model_inactive.max_probability_alive: max_probability_alive 1.5 is"
        " outside 0..1 — fix: write a probability, e.g. 0.5",
    ),
    (
        "horizon_cycle_multiple: 6",
        "horizon_cycle_multiple: -1",
        "churn.horizon_cycle_multiple: horizon_cycle_multiple -1.0 is negative"
        " — fix: use 0 (off) or a multiple > 0",
    ),
    (
        "prediction_horizon_days: 90",
        "prediction_horizon_days: 0",
        "churn.prediction_horizon_days: prediction_horizon_days 0 is below 1"
        " — fix: use a number of days ≥ 1",
    ),
    (
        "min_repeat_buyers: 20",
        "min_repeat_buyers: 1",
        "churn.min_repeat_buyers: min_repeat_buyers 1 is below 2"
        " — fix: a model needs at least 2 repeat buyers",
    ),
    (
        "horizon_days: 1095",
        "horizon_days: 0",
        "churn.lifetime_value.horizon_days: horizon_days 0 is below 1"
        " — fix: use a number of days ≥ 1",
    ),
    (
        "max_days_without_contact: 30",
        "max_days_without_contact: -1",
        "relationship.service.max_days_without_contact: max_days_without_contact -1 is negative"
        " — fix: use a number of days ≥ 0",
    ),
    (
        "min_contact_employees: 2",
        "min_contact_employees: -2",
        "relationship.service.min_contact_employees: min_contact_employees -2 is negative"
        " — fix: use a number of people ≥ 0",
    ),
    (
        "handling_cost_per_order: 0",
        "handling_cost_per_order: -5",
        "relationship.profitability.handling_cost_per_order: handling_cost_per_order -5.0 is"
        " negative — fix: use a cost ≥ 0 (0 adds none)",
    ),
    (
        "new_tenure_days: 365",
        "new_tenure_days: -365",
        "relationship.lifecycle.new_tenure_days: new_tenure_days -365 is negative"
        " — fix: use a number of days ≥ 0",
    ),
    (
        "lapsed_days_since_last_order: 365",
        "lapsed_days_since_last_order: -1",
        "relationship.lifecycle.lapsed_days_since_last_order: lapsed_days_since_last_order -1 is"
        " negative — fix: use a number of days ≥ 0",
    ),
    (
        "growth_rate: 0.1",
        "growth_rate: -0.1",
        "relationship.lifecycle.growth_rate: growth_rate -0.1 is negative"
        " — fix: write e.g. 0.1: revenue more than 10 % above the year before",
    ),
    (
        "decline_rate: 0.1",
        "decline_rate: 1",
        "relationship.lifecycle.decline_rate: decline_rate 1.0 is outside [0, 1)"
        " — fix: write e.g. 0.1: revenue more than 10 % below the year before",
    ),
    (
        "grade_spread_min_customers: 20",
        "grade_spread_min_customers: -1",
        "gates.grade_spread_min_customers: grade_spread_min_customers -1 is negative"
        " — fix: use a count ≥ 0",
    ),
]


def test_nan_is_outside_every_fraction(tmp_path: Path) -> None:
    message = config_error(tmp_path, "min_revenue_share: 0.05", "min_revenue_share: .nan")
    assert "tier.key_account.min_revenue_share: min_revenue_share nan is outside 0..1" in message


def test_every_bad_key_of_a_section_is_reported_at_once(tmp_path: Path) -> None:
    text = SHIPPED.replace("horizon_days: 1095", "horizon_days: 0").replace(
        "annual_discount_rate: 0.10", "annual_discount_rate: 1.5"
    )
    path = tmp_path / "scoring.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScoringConfigError) as info:
        load_scoring_config(path)
    assert [p.split(": ", 2)[1] for p in info.value.problems] == [
        "churn.lifetime_value.horizon_days",
        "churn.lifetime_value.annual_discount_rate",
    ]


@pytest.mark.parametrize(("old", "new", "reported"), CASES, ids=[c[1] for c in CASES])
def test_a_value_out_of_range_names_key_value_range_and_fix(
    tmp_path: Path, old: str, new: str, reported: str
) -> None:
    message = config_error(tmp_path, old, new)
    assert f"{tmp_path / 'scoring.yaml'}:" in message
    assert reported in message


def test_the_edges_of_each_range_are_accepted(tmp_path: Path) -> None:
    edges = [
        ("neutral_fraction: 0.5 ", "neutral_fraction: 1 "),
        ("min_revenue_share: 0.05", "min_revenue_share: 0"),
        ("max_window_share: null", "max_window_share: 1"),
        ("min_active_windows: 2", "min_active_windows: 1"),
        ("top_share: 0.05 ", "top_share: 1 "),
        ("    min_probability: 0.5 ", "    min_probability: 0 "),
        ("annual_discount_rate: 0.10", "annual_discount_rate: 0"),
        ("customer_drop_error: 0.20", "customer_drop_error: 1"),
        ("horizon_cycle_multiple: 6", "horizon_cycle_multiple: 0"),
        ("count: 10", "count: 1"),
    ]
    text = SHIPPED
    for old, new in edges:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "scoring.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_scoring_config(path)
    steadiness = config.tier.key_account.steadiness
    assert config.credit.missing_financials.neutral_fraction == 1.0
    assert config.tier.key_account.min_revenue_share == 0.0
    assert (steadiness.max_window_share, steadiness.min_active_windows) == (1.0, 1)
    assert (config.churn.call_list.top_share, config.churn.call_list.min_probability) == (1, 0)
    assert config.churn.lifetime_value.annual_discount_rate == 0.0
    assert config.gates.customer_drop_error == 1.0
    assert config.churn.horizon_cycle_multiple == 0.0
    assert config.relationship.top_customers.count == 1
