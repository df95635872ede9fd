"""Suite for the customer scores of one as-of date (columns: docs/scoring.md), with drift checks
against the previous business date of the same history (thresholds: ``gates`` in
config/scoring.yaml)."""

from __future__ import annotations

import math
from decimal import Decimal

import great_expectations.expectations as gxe
import pandas as pd

from expectations import rules
from expectations.outcome import CheckOutcome, Severity, SuiteOutcome
from expectations.runner import run_expectations
from expectations.schema import column_types_outcome
from scoring import churn
from scoring.bgnbd import MODELS
from scoring.columns import expected_kinds
from scoring.config import GatesConfig, ScoringConfig, default_config
from scoring.labels import KEY_ACCOUNT_STATUS

REQUIRED_COLUMNS = ("customer_id",)
CHURN_MODEL_STATUSES = churn.STATUSES
CHURN_MODELS = (*MODELS, churn.MODEL_FREE)


def expected_columns(config: ScoringConfig) -> dict[str, str]:
    """Every documented score column and its type family (see expectations.schema), as
    scoring/columns.py declares them."""
    return dict(expected_kinds(config))


def validate_scores(
    frame: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    thresholds: GatesConfig = GatesConfig(),  # noqa: B008 (frozen, immutable)
    config: ScoringConfig | None = None,
) -> SuiteOutcome:
    """Check one as-of date of scores; compare with ``previous`` (the scores of the previous
    business date of the same history) if given.

    Only the documented columns present are checked; missing ones are listed by the
    ``expected_columns_present`` warning (``customer_id`` missing is an error).
    """
    config = config or default_config()
    types = expected_columns(config)
    present = set(frame.columns)
    checks = [
        rules.columns_present(
            REQUIRED_COLUMNS,
            f"required columns present: {', '.join(REQUIRED_COLUMNS)}",
            check="required_columns_present",
        ),
        rules.columns_present(
            types,
            "every score column of scoring/columns.py is present (absent ones unchecked)",
            check="expected_columns_present",
            severity="warn",
        ),
        rules.not_empty("the scores"),
    ]
    checks += [e for e in _value_checks(config) if e.configuration.kwargs["column"] in present]
    checks += _drift_checks(frame, previous, thresholds)
    outcomes = run_expectations("customer_scores", frame, checks)
    outcomes.insert(3, column_types_outcome(frame, types))
    outcomes.append(_pyramid_outcome(frame, config))
    outcomes.extend(_skipped_drift(frame, previous, thresholds))
    last = ["pyramid_proportions", *_DRIFT_DESCRIPTIONS]  # distribution checks at the end
    outcomes.sort(key=lambda o: last.index(o.name) if o.name in last else -1)
    return SuiteOutcome("customer_scores", outcomes)


def _value_checks(config: ScoringConfig) -> list[gxe.Expectation]:
    """Keys, not-null labels, ranges and label sets from the scoring configuration."""
    tier, credit, churn = config.tier, config.credit, config.churn
    ladder = [*tier.ladder.rules, tier.ladder.otherwise]
    labels = {
        "pyramid_tier": tier.pyramid.levels,
        "abc_class": tier.abc.classes,
        "ladder_tier": ladder,
        "key_account_status": KEY_ACCOUNT_STATUS,
        "lifecycle_stage": config.relationship.lifecycle.levels,
        "churn_risk_level": churn.risk_levels,
        "credit_grade": credit.grades,
    }
    checks = [
        rules.not_null("customer_id", role="key"),
        rules.unique("customer_id", "one row per customer"),
        rules.single_as_of_date(),
        rules.unique("pyramid_rank", "ranks are unique per business date"),
    ]
    for column, levels in labels.items():
        if column != "credit_grade":  # null: a customer new since the quarter end, not yet graded
            checks.append(rules.not_null(column))
        checks.append(rules.in_set(column, [lv.label for lv in levels]))
        checks.append(rules.in_set(f"{column}_zh", [lv.name_zh for lv in levels]))
    flags = (
        "is_key_account",
        "is_key_account_candidate",
        "is_one_off_buyer",
        "has_service_gap",
        "share_of_wallet_missing",
        "is_unprofitable",
        "is_top_customer",
        "is_churn_risk",
    )
    checks += [rules.not_null(c) for c in flags]
    max_score = 9 * sum(c.weight for c in tier.key_account.criteria.values())
    ranges = [
        ("pyramid_rank", 1, None, "≥ 1"),
        ("revenue_rank", 1, None, "≥ 1"),
        ("cost_to_serve_share_trailing", 0, 1, "within 0..1"),
        ("share_of_wallet", 0, None, "≥ 0"),
        ("cumulative_revenue_share", 0, 1, "within 0..1"),
        ("multi_criteria_score", 0, max_score, f"within 0..{max_score:g} (9 × total weight)"),
        ("multi_criteria_mean", 0, max_score, f"within 0..{max_score:g}"),
        *[(f"key_account_rating_{c}", 1, 9, "within 1..9") for c in tier.key_account.criteria],
        ("churn_probability", 0, 1, "within 0..1"),
        ("probability_alive", 0, 1, "within 0..1"),
        ("expected_purchase_value", 0, None, "≥ 0"),
        ("expected_purchases", 0, None, "≥ 0"),
        ("churn_score", 0, None, "≥ 0"),
        ("value_at_risk", 0, None, "≥ 0 (floored)"),
        ("churn_call_priority", 1, None, "≥ 1"),
        ("credit_score", 0, credit.total_points, f"within 0..{credit.total_points:g}"),
        *[
            (f"credit_points_{name}", 0, cat.points, f"within 0..{cat.points:g}")
            for name, cat in credit.categories.items()
        ],
    ]
    checks += [rules.between(c, low, high, text) for c, low, high, text in ranges]
    checks.append(rules.in_set("churn_model", CHURN_MODELS))
    checks.append(rules.in_set("churn_model_status", CHURN_MODEL_STATUSES, severity="warn"))
    return checks


def _drift_checks(
    frame: pd.DataFrame,
    previous: pd.DataFrame | None,
    thresholds: GatesConfig,
) -> list[gxe.Expectation]:
    """GE expectations for grade spread, churn share shift and customer count drop."""
    checks = []
    graded = int(frame["credit_grade"].notna().sum()) if "credit_grade" in frame else 0
    if graded >= thresholds.grade_spread_min_customers:
        checks.append(
            rules.column_check(
                gxe.ExpectColumnUniqueValueCountToBeBetween,
                "credit_grade",
                "spread",
                "warn",
                "credit grades are not all one grade (number of distinct grades ≥ 2)",
                min_value=2,
            )
        )
    if previous is None:
        return checks
    before = _churn_share(previous)
    if before is not None and "is_churn_risk" in frame:
        tiers = (("error", thresholds.churn_share_error), ("warn", thresholds.churn_share_warn))
        for severity, limit in tiers:
            checks.append(
                rules.expect(
                    gxe.ExpectColumnMeanToBeBetween,
                    check="churn_share_shift",
                    severity=severity,
                    description=(
                        f"share of is_churn_risk customers within ±{100 * limit:g} pp of the "
                        f"previous business date ({100 * before:.1f} %)"
                    ),
                    column="is_churn_risk",
                    min_value=max(0.0, before - limit),
                    max_value=min(1.0, before + limit),
                )
            )
    least = math.ceil(len(previous) * (1 - thresholds.customer_drop_error) - 1e-9)
    checks.append(
        rules.expect(
            gxe.ExpectTableRowCountToBeBetween,
            check="customer_count_drop",
            severity="error",
            description=(
                f"customer count fell by at most {100 * thresholds.customer_drop_error:g} % from "
                f"the previous business date ({len(previous)} → at least {least})"
            ),
            min_value=least,
        )
    )
    return checks


def _churn_share(frame: pd.DataFrame) -> float | None:
    if "is_churn_risk" not in frame:
        return None
    flags = frame["is_churn_risk"].dropna()
    return float(flags.astype(bool).mean()) if len(flags) else None


def _skipped_drift(
    frame: pd.DataFrame, previous: pd.DataFrame | None, thresholds: GatesConfig
) -> list[CheckOutcome]:
    """Passed outcomes saying why a drift check could not run, so every run lists every check."""
    skipped = []
    graded = int(frame["credit_grade"].notna().sum()) if "credit_grade" in frame else 0
    if graded < thresholds.grade_spread_min_customers:
        skipped.append(
            _not_checked(
                "credit_grade_spread",
                "warn",
                f"{graded} graded customers, fewer than {thresholds.grade_spread_min_customers}",
            )
        )
    if previous is None:
        why = "no earlier business date scored (a first run, or the oldest date of a backfill)"
        skipped.append(_not_checked("churn_share_shift", "error", why))
        skipped.append(_not_checked("customer_count_drop", "error", why))
    elif _churn_share(previous) is None or "is_churn_risk" not in frame:
        skipped.append(
            _not_checked(
                "churn_share_shift", "error", "no is_churn_risk in this or the previous date"
            )
        )
    return skipped


_DRIFT_DESCRIPTIONS = {
    "credit_grade_spread": "credit grades are not all one grade",
    "churn_share_shift": "share of is_churn_risk customers close to the previous business date",
    "customer_count_drop": "customer count did not fall sharply from the previous business date",
}


def _not_checked(name: str, severity: Severity, why: str) -> CheckOutcome:
    return CheckOutcome(name, severity, True, _DRIFT_DESCRIPTIONS[name], f"not checked: {why}")


def largest_remainder(n: int, shares: tuple[float, ...]) -> list[int]:
    """Exact level sizes: ⌊n × share⌋ each, leftovers to the largest fractions, higher first."""
    quotas = [Decimal(repr(s)) * n for s in shares]
    counts = [int(q) for q in quotas]
    by_fraction = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in by_fraction[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _pyramid_outcome(frame: pd.DataFrame, config: ScoringConfig) -> CheckOutcome:
    """Pyramid level sizes within ±1 of the largest-remainder counts (docs/scoring.md)."""
    pyramid = config.tier.pyramid
    labels = [lv.label for lv in pyramid.levels]
    description = (
        "pyramid level sizes match the configured shares "
        f"({' / '.join(f'{100 * s:g} %' for s in pyramid.shares)}) within ±1 customer"
    )
    if "pyramid_tier" not in frame:
        return CheckOutcome(
            "pyramid_proportions", "error", True, description, "not checked: no pyramid_tier"
        )
    n = len(frame)
    quota = largest_remainder(n, pyramid.shares)
    eligible, note = _eligible(frame, config)
    expected = _expected_sizes(quota, eligible)
    # Without the metric a short upper level cannot be told from a fault: only cap it.
    low = [max(0, e - 1) if eligible is not None else 0 for e in expected[:-1]]
    low.append(max(0, expected[-1] - 1))
    high = [e + 1 for e in expected[:-1]] + [expected[-1] + 1 if eligible is not None else n]
    observed = frame["pyramid_tier"].value_counts().reindex(labels, fill_value=0).tolist()
    off = [
        f"{label} {got} (expected {want})"
        for label, got, want, lo, hi in zip(labels, observed, expected, low, high, strict=True)
        if not lo <= got <= hi
    ]
    shown = " / ".join(f"{label} {got}" for label, got in zip(labels, observed, strict=True))
    details = f"{n} customers: {shown}; expected {' / '.join(map(str, expected))}{note}"
    if off:
        details = f"off by more than 1: {', '.join(off)}; {details}"
    return CheckOutcome("pyramid_proportions", "error", not off, description, details)


def _expected_sizes(quota: list[int], eligible: int | None) -> list[int]:
    """Level sizes when only ``eligible`` customers may enter the upper levels (None: all)."""
    sizes, taken = [], 0
    for count in quota[:-1]:
        # Customers with zero / negative / missing metric always go to the last level.
        sizes.append(count if eligible is None else min(count, max(0, eligible - taken)))
        taken += count
    return [*sizes, sum(quota) - sum(sizes)]


def _eligible(frame: pd.DataFrame, config: ScoringConfig) -> tuple[int | None, str]:
    """Customers with a positive ranking metric, or None when the frame cannot tell."""
    metric = config.tier.pyramid.metric
    if metric in frame:
        values = pd.to_numeric(frame[metric], errors="coerce")
        return int((values > 0).sum()), ""
    if "cumulative_revenue_share" in frame and config.tier.abc.metric == metric:
        # null exactly for zero, negative or missing revenue (docs/scoring.md, ABC)
        return int(frame["cumulative_revenue_share"].notna().sum()), ""
    return None, f" (no {metric} or cumulative_revenue_share: upper levels may be short)"
