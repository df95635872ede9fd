"""Scoring configuration: shipped defaults, error messages with key paths, version hash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scoring.config import (
    DEFAULT_CONFIG_PATH,
    ScoringConfigError,
    default_config,
    load_scoring_config,
)
from scoring.labels import label_table
from scoring.metrics import FACT_COLUMNS, FACTS_MODEL_YML

SHIPPED = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str, name: str = "scoring.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    assert old in SHIPPED, old
    return _write(tmp_path, SHIPPED.replace(old, new, count))


def _error(path: Path) -> str:
    with pytest.raises(ScoringConfigError) as info:
        load_scoring_config(path)
    return str(info.value)


# --------------------------------------------------------------------------- shipped defaults


def test_shipped_config_holds_the_spec_defaults() -> None:
    config = default_config()
    tier, credit = config.tier, config.credit
    assert tier.pyramid.metric == "revenue_trailing"
    assert tier.pyramid.shares == (0.01, 0.04, 0.15, 0.80)
    assert [lv.label for lv in tier.pyramid.levels] == ["vip", "major", "regular", "small"]
    assert tier.abc.shares == (0.80, 0.15, 0.05)
    assert [(r.label, r.min_value) for r in tier.ladder.rules] == [
        ("C", 200_000),
        ("A1", 500_000),
        ("A2", 200_000),
        ("B1", 50_000),
        ("B2", 20_000),
    ]
    assert tier.ladder.otherwise.label == "D"
    assert tier.key_account.min_revenue_share == 0.05
    assert tier.key_account.score_threshold == "mean"
    assert set(tier.key_account.criteria) == {
        "volume",
        "profit_contribution",
        "relationship",
        "policy_support",
        "growth_potential",
        "credit",
    }
    assert (credit.total_points, credit.financial_points) == (100, 30)
    assert {n: c.points for n, c in credit.categories.items()} == {
        "character": 20,
        "payment_record": 50,
        "solvency": 10,
        "operations": 10,
        "profitability": 10,
    }
    assert [len(c.indicators) for c in credit.categories.values()] == [5, 6, 3, 4, 2]
    assert [(g.label, g.min_score) for g in credit.grades] == [
        ("AAA", 90),
        ("AA", 80),
        ("A", 70),
        ("B", 60),
        ("C", 0),
    ]
    assert credit.missing_financials.policy == "neutral"
    assert credit.missing_financials.neutral_fraction == 0.5
    churn = config.churn.signals
    assert churn.no_recent_order.cycle_multiple == 2.0
    assert churn.revenue_drop.max_ratio == 0.5
    assert churn.open_complaints.min_count == 1
    assert churn.product_dependence.weight_by_products == {1: 2.0, 2: 1.0}
    assert churn.payment_worsening.min_increase_days == 15
    assert churn.contact_quiet.max_ratio == 0.5
    assert re.fullmatch(r"[0-9a-f]{12}", config.version)
    assert config.source == DEFAULT_CONFIG_PATH


def test_label_table_lists_every_label_with_its_chinese_name() -> None:
    table = label_table(default_config())
    pyramid = table.filter(scheme="pyramid_tier").select("label", "label_zh", "sort_order")
    assert pyramid.rows() == [
        ("vip", "VIP客户", 1),
        ("major", "主要客户", 2),
        ("regular", "普通客户", 3),
        ("small", "小客户", 4),
    ]
    ladder = table.filter(scheme="ladder_tier")["label"].to_list()
    assert ladder == ["A1", "A2", "B1", "B2", "C", "D"]
    assert table.filter(scheme="credit_grade")["label_zh"].to_list()[0] == "AAA级"
    assert table["label_zh"].null_count() == 0


# --------------------------------------------------------------------------- version


def test_version_is_stable_under_comment_whitespace_and_key_order_changes(tmp_path: Path) -> None:
    reformatted = "# a new comment at the top\n\n" + SHIPPED.replace(
        "    metric: revenue_trailing          # or gross_profit_trailing\n", ""
    ).replace("  pyramid:\n", "  pyramid:\n    metric:    revenue_trailing   # moved\n", 1).replace(
        "min_revenue_share: 0.05", "min_revenue_share: 0.050"
    ).replace("\n", "   \n")
    path = _write(tmp_path, reformatted)
    assert load_scoring_config(path).version == default_config().version


def test_version_ignores_keys_written_at_their_default(tmp_path: Path) -> None:
    path = _variant(
        tmp_path, "    open_complaints:\n", "    open_complaints:\n      enabled: true\n"
    )
    assert load_scoring_config(path).version == default_config().version


def test_version_changes_when_a_value_changes(tmp_path: Path) -> None:
    path = _variant(tmp_path, "min_revenue_share: 0.05", "min_revenue_share: 0.06")
    assert load_scoring_config(path).version != default_config().version


# --------------------------------------------------------------------------- errors


def test_error_for_shares_not_summing_to_one_names_file_line_and_key(tmp_path: Path) -> None:
    path = _variant(
        tmp_path, "shares: [0.01, 0.04, 0.15, 0.80]", "shares: [0.01, 0.05, 0.15, 0.80]"
    )
    message = _error(path)
    assert f"{path}:11:5: tier.pyramid.shares: shares sum to 1.01, not 1" in message
    assert "add up to exactly 1" in message


def test_error_for_one_bad_share_points_at_its_index(tmp_path: Path) -> None:
    path = _variant(
        tmp_path, "shares: [0.01, 0.04, 0.15, 0.80]", "shares: [0.01, -0.04, 0.23, 0.80]"
    )
    assert f"{path}:11:20: tier.pyramid.shares[1]: share -0.04 is outside 0..1" in _error(path)


def test_error_for_unknown_key(tmp_path: Path) -> None:
    path = _variant(tmp_path, "    neutral_fraction: 0.5", "    neutral_fracton: 0.5")
    message = _error(path)
    assert "credit.missing_financials.neutral_fracton: unknown key 'neutral_fracton'" in message
    assert "fix its spelling" in message


def test_error_for_wrong_type(tmp_path: Path) -> None:
    path = _variant(tmp_path, "min_revenue_share: 0.05", 'min_revenue_share: "5%"')
    message = _error(path)
    assert "tier.key_account.min_revenue_share: Input should be a valid number" in message
    assert "write a number without quotes" in message


def test_error_for_bands_not_descending(tmp_path: Path) -> None:
    path = _variant(tmp_path, "{at_least: 0.95, points: 12}", "{at_least: 0.99, points: 12}")
    message = _error(path)
    assert (
        "credit.categories.payment_record.indicators.on_time_payment_rate.bands[1].at_least: "
        "bands not descending: at_least 0.99 follows 0.98"
    ) in message


def test_error_for_grades_not_descending(tmp_path: Path) -> None:
    path = _variant(tmp_path, "min_score: 80}", "min_score: 95}")
    assert "credit.grades[1].min_score: grade bands not descending" in _error(path)


def test_error_for_negative_weight(tmp_path: Path) -> None:
    anchor = "\n        bands: &percentile"
    path = _variant(tmp_path, "        weight: 1" + anchor, "        weight: -1" + anchor)
    message = _error(path)
    assert "tier.key_account.criteria.volume.weight: weight -1.0 is negative" in message


def test_error_for_negative_churn_weight(tmp_path: Path) -> None:
    path = _variant(
        tmp_path, "      weight: 2\n      min_count: 1", "      weight: -2\n      min_count: 1"
    )
    assert "churn.signals.open_complaints.weight: weight -2.0 is negative" in _error(path)


def test_error_for_label_missing_chinese_name(tmp_path: Path) -> None:
    path = _variant(tmp_path, "{label: major, name_zh: 主要客户}", "{label: major}")
    message = _error(path)
    assert f"{path}:14:9: tier.pyramid.levels[1].name_zh: required key is missing" in message


def test_error_for_unknown_metric_suggests_the_closest_name(tmp_path: Path) -> None:
    path = _variant(tmp_path, "metric: revenue_growth_trailing", "metric: revenue_grwth_trailing")
    message = _error(path)
    assert "criteria.growth_potential.metric: unknown metric 'revenue_grwth_trailing'" in message
    assert "did you mean 'revenue_growth_trailing'?" in message


def test_a_rule_may_name_every_column_the_facts_model_documents(tmp_path: Path) -> None:
    # order_days_lifetime is a documented fact (dbt_project/models/marts/_marts__models.yml)
    # that a hand-kept list of metric names once missed.
    path = _variant(tmp_path, "metric: revenue_growth_trailing", "metric: order_days_lifetime")
    criterion = load_scoring_config(path).tier.key_account.criteria["growth_potential"]
    assert criterion.metric == "order_days_lifetime"
    documented = yaml.safe_load(FACTS_MODEL_YML.read_text(encoding="utf-8"))["models"]
    facts = next(m for m in documented if m["name"] == "fct_customer_facts")
    assert {c["name"] for c in facts["columns"]} == FACT_COLUMNS
    assert {"customer_id", "revenue_trailing", "distinct_products_trailing"} <= FACT_COLUMNS


def test_error_when_financial_points_do_not_match_categories(tmp_path: Path) -> None:
    path = _variant(tmp_path, "financial_points: 30", "financial_points: 25")
    assert "credit.financial_points: financial categories sum to 30" in _error(path)


def test_error_when_indicator_points_do_not_sum_to_category(tmp_path: Path) -> None:
    head = "      name_zh: 品质特性\n      points: "
    path = _variant(tmp_path, head + "20", head + "25")
    message = _error(path)
    assert "credit.categories.character.points: indicators' max_points sum to 20" in message


def test_error_for_undefined_ladder_condition(tmp_path: Path) -> None:
    path = _variant(tmp_path, "conditions: [good_payment]}", "conditions: [good_paymnt]}")
    assert "tier.ladder.rules[1].conditions[0]: condition 'good_paymnt' is not defined" in (
        _error(path)
    )


def test_error_for_unknown_missing_financials_policy(tmp_path: Path) -> None:
    path = _variant(tmp_path, "policy: neutral", "policy: average")
    message = _error(path)
    assert "credit.missing_financials.policy: Input should be 'neutral', 'zero' or 'rescale'" in (
        message
    )


def test_error_for_duplicate_key(tmp_path: Path) -> None:
    path = _variant(tmp_path, "  abc:\n", "  pyramid: {}\n  abc:\n")
    assert f"{path}:19:3: tier.pyramid: key appears twice" in _error(path)


def test_error_for_invalid_yaml_gives_line_and_column(tmp_path: Path) -> None:
    path = _variant(tmp_path, "shares: [0.80, 0.15, 0.05]", "shares: [0.80, 0.15, 0.05")
    message = _error(path)
    assert f"{path}:22:12: not valid YAML" in message


def test_error_for_missing_file(tmp_path: Path) -> None:
    assert "file not found" in _error(tmp_path / "absent.yaml")


def test_error_reports_every_problem_at_once(tmp_path: Path) -> None:
    text = SHIPPED.replace("min_revenue_share: 0.05", "min_revenue_share: 5").replace(
        "financial_points: 30", "financial_points: 25"
    )
    with pytest.raises(ScoringConfigError) as info:
        load_scoring_config(_write(tmp_path, text))
    assert len(info.value.problems) == 2
