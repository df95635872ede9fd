"""The churn section of config/scoring.yaml: shipped defaults and error messages."""

from __future__ import annotations

from pathlib import Path

from shipped_config import SHIPPED, config_error

from scoring.config import DEFAULT_CONFIG_PATH, load_scoring_config


def test_shipped_churn_defaults() -> None:
    churn = load_scoring_config(DEFAULT_CONFIG_PATH).churn
    assert (churn.model, churn.prediction_horizon_days, churn.horizon_cycle_multiple) == (
        "mbgnbd",
        90,
        6.0,
    )
    assert churn.min_repeat_buyers == 20
    assert [(r.label, r.min_probability) for r in churn.risk_levels] == [
        ("high", 0.8),
        ("medium", 0.5),
        ("low", 0.3),
        ("none", 0.0),
    ]
    calls = churn.call_list
    assert (calls.top_share, calls.top_n, calls.min_probability) == (0.05, None, 0.5)
    lifetime = churn.lifetime_value
    assert (lifetime.horizon_days, lifetime.annual_discount_rate, lifetime.value_basis) == (
        1095,
        0.10,
        "contribution",
    )
    dependence = churn.signals.product_dependence
    assert dependence.weight_by_products == {1: 2.0, 2: 1.0}
    assert dependence.weight_by_categories is None
    assert dependence.column == "distinct_products_trailing"
    assert dependence.name_zh == "产品依赖度低(仅购买一两种产品)"


def test_call_list_needs_a_size(tmp_path: Path) -> None:
    message = config_error(tmp_path, "    top_share: 0.05 ", "    top_share: null ")
    assert "churn.call_list: neither top_share nor top_n is set" in message
    assert "size the call list" in message


def test_call_list_share_must_be_a_fraction(tmp_path: Path) -> None:
    message = config_error(tmp_path, "    top_share: 0.05 ", "    top_share: 5 ")
    assert "churn.call_list.top_share: top_share 5.0 is outside (0, 1]" in message


def test_risk_levels_must_descend_by_probability(tmp_path: Path) -> None:
    message = config_error(
        tmp_path,
        "{label: medium, name_zh: 中风险, min_probability: 0.5}",
        "{label: medium, name_zh: 中风险, min_probability: 0.9}",
    )
    assert "churn.risk_levels[1].min_probability: risk levels not descending" in message


def test_discount_rate_and_cycle_multiple_are_checked(tmp_path: Path) -> None:
    message = config_error(tmp_path, "annual_discount_rate: 0.10", "annual_discount_rate: 10")
    assert "annual_discount_rate 10.0 is outside [0, 1)" in message
    assert "e.g. 0.10 for 10 %" in message
    message = config_error(tmp_path, "horizon_cycle_multiple: 6", "horizon_cycle_multiple: -1")
    assert "horizon_cycle_multiple -1.0 is negative" in message


PRODUCTS_LINE = "      weight_by_products: {1: 2, 2: 1}  # distinct_products_trailing -> weight\n"
CATEGORIES_COMMENTED = "      # weight_by_categories: {1: 2, 2: 1}"


def test_product_dependence_counts_start_at_one(tmp_path: Path) -> None:
    message = config_error(
        tmp_path, "weight_by_products: {1: 2, 2: 1}", "weight_by_products: {0: 2, 2: 1}"
    )
    assert "product count 0 < 1" in message


def test_product_dependence_can_count_categories_instead(tmp_path: Path) -> None:
    assert SHIPPED.count(PRODUCTS_LINE) == 1
    path = tmp_path / "scoring.yaml"
    path.write_text(
        SHIPPED.replace(PRODUCTS_LINE, "      weight_by_categories: {1: 3}\n"), encoding="utf-8"
    )
    dependence = load_scoring_config(path).churn.signals.product_dependence
    assert dependence.column == "distinct_categories_trailing"
    assert dependence.weights == {1: 3.0}
    assert dependence.weight == 3.0


def test_product_dependence_takes_exactly_one_count(tmp_path: Path) -> None:
    both = config_error(tmp_path, CATEGORIES_COMMENTED, CATEGORIES_COMMENTED.replace("# ", ""))
    assert "product_dependence: both weight_by_products and weight_by_categories given" in both
    assert "give one: weight_by_products: {1: 2, 2: 1}" in both
    neither = config_error(tmp_path, PRODUCTS_LINE, "")
    assert "product_dependence: neither of weight_by_products and weight_by_categories" in neither
