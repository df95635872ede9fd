"""Keys of config/scoring.yaml that come in pairs of which exactly one is given, and the lists
of levels that go with a list of shares: a mistake names the key path, what is wrong and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from shipped_config import config_error

BAND = "{at_least: 0.95, points: 12}"
BANDS = "credit.categories.payment_record.indicators.on_time_payment_rate.bands[1]"
COMPARISON = '{metric: days_past_due, op: "<=", value: 30}'
CONDITION = "        any_of:\n          - {metric: revenue_trailing"
CANDIDATES = "pyramid_levels: [vip, major]    #"
VALUE_MAP = "points_by_value: {direct: 7, distributor: 5, retail_member: 3}"


CASES = [
    (
        BAND,
        "{points: 12}",
        f"{BANDS}: neither of at_least and at_most given; exactly one is needed"
        " — fix: write e.g. {at_least: 0.95, points: 12} or {at_most: 30, points: 4}",
    ),
    (
        BAND,
        "{at_least: 0.95, at_most: 0.99, points: 12}",
        f"{BANDS}: both at_least and at_most given; exactly one is needed",
    ),
    (
        COMPARISON,
        '{metric: days_past_due, op: "<=", value: 30, other_metric: tenure_days}',
        "tier.ladder.conditions.good_payment.all_of[1]: both value and other_metric given;"
        " exactly one is needed — fix: write e.g. {metric: days_past_due, op: '<=', value: 30}",
    ),
    (
        COMPARISON,
        '{metric: days_past_due, op: "<="}',
        "tier.ladder.conditions.good_payment.all_of[1]: neither of value and other_metric given",
    ),
    (
        CONDITION,
        "        all_of: [{metric: tenure_days, op: '<', value: 365}]\n" + CONDITION,
        "tier.ladder.conditions.growth_potential: both all_of and any_of given; exactly one is"
        " needed — fix: list the comparisons under all_of (every one must hold) or any_of (one is"
        " enough)",
    ),
    (
        CANDIDATES,
        "pyramid_levels: [vip, major]\n      top_n: 20    #",
        "tier.key_account.candidates: both pyramid_levels and top_n given; exactly one is needed"
        " — fix: write e.g. {pyramid_levels: [vip, major]} or {top_n: 20}",
    ),
    (
        CANDIDATES,
        "pyramid_levels: []    #",
        "tier.key_account.candidates: neither of pyramid_levels and top_n given",
    ),
    (
        VALUE_MAP,
        VALUE_MAP + "\n        bands: [{at_least: 1, points: 9}]",
        "tier.key_account.criteria.policy_support: both bands and points_by_value given; exactly"
        " one is needed — fix: use bands for numbers, points_by_value for categories such as"
        " industry",
    ),
    (
        VALUE_MAP,
        "points_by_value: {}",
        "tier.key_account.criteria.policy_support: neither of bands and points_by_value given",
    ),
    (
        "shares: [0.80, 0.15, 0.05]",
        "shares: [0.80, 0.20]",
        "tier.abc.classes: 3 classes but 2 shares — fix: give one share of cumulative revenue"
        " per class, top class first",
    ),
    (
        "    - {label: small, name_zh: 小客户}\n",
        "",
        "tier.pyramid.levels: 3 levels but 4 shares — fix: give one share per level, at least"
        " two levels, top level first",
    ),
]


@pytest.mark.parametrize(("old", "new", "reported"), CASES)
def test_a_pair_given_both_or_neither_ways_is_reported(
    tmp_path: Path, old: str, new: str, reported: str
) -> None:
    assert reported in config_error(tmp_path, old, new)


LABEL_FIX = "— fix: give each label its own name"
REPEATS = [
    (
        "{label: major, name_zh: 主要客户}",
        "{label: vip, name_zh: 主要客户}",
        ":14:10: tier.pyramid.levels[1].label: label 'vip' appears twice",
    ),
    (
        "{label: B, name_zh: B类客户}",
        "{label: A, name_zh: B类客户}",
        ":24:10: tier.abc.classes[1].label: label 'A' appears twice",
    ),
    (
        "otherwise: {label: D, name_zh: D类客户}",
        "otherwise: {label: B2, name_zh: D类客户}",
        ":63:17: tier.ladder.otherwise.label: label 'B2' appears twice",
    ),
    (
        "{label: A, name_zh: A级, min_score: 70}",
        "{label: AA, name_zh: A级, min_score: 70}",
        ":192:8: credit.grades[2].label: label 'AA' appears twice",
    ),
    (
        "{label: low, name_zh: 低风险, min_probability: 0.3}",
        "{label: high, name_zh: 低风险, min_probability: 0.3}",
        ":451:8: churn.risk_levels[2].label: label 'high' appears twice",
    ),
]


@pytest.mark.parametrize(("old", "new", "reported"), REPEATS)
def test_a_repeated_label_is_reported_where_the_repeat_stands(
    tmp_path: Path, old: str, new: str, reported: str
) -> None:
    message = config_error(tmp_path, old, new)
    assert f"{tmp_path / 'scoring.yaml'}{reported} {LABEL_FIX}" in message


def test_an_indicator_name_used_by_two_categories_is_reported_at_the_second(
    tmp_path: Path,
) -> None:
    message = config_error(tmp_path, "        current_ratio:\n", "        purchase_scale:\n")
    assert (
        f"{tmp_path / 'scoring.yaml'}:325:9: credit.categories.solvency.indicators.purchase_scale:"
        " indicator name 'purchase_scale' appears twice — fix: give each indicator name its own"
        " name"
    ) in message


def test_points_that_do_not_add_up_name_the_key_to_change(tmp_path: Path) -> None:
    # cooperation_years (max_points 4) is the only indicator whose bands open with these two.
    bands = "max_points: 4\n          bands:\n            - {at_least: 5, points: %d}\n" + (
        "            - {at_least: 3"
    )
    best = config_error(tmp_path, bands % 4, bands % 3)
    assert (
        "credit.categories.character.indicators.cooperation_years.max_points: the best band"
        " gives 3.0 points but max_points is 4.0 — fix: let the best band award max_points, or"
        " lower max_points"
    ) in best
    total = config_error(tmp_path, "total_points: 100", "total_points: 90")
    assert (
        "credit.categories: category points sum to 100, not total_points (90) — fix: make the"
        " categories' points add up to total_points"
    ) in total
