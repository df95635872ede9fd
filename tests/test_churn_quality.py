"""bench/churn_quality.py: CDNOW facts, the churn AUC it reports, and the demo evaluation."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from scoring.config import default_config

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_BENCH = Path(__file__).resolve().parents[1] / "bench" / "churn_quality.py"
_spec = importlib.util.spec_from_file_location("churn_quality", _BENCH)
assert _spec is not None and _spec.loader is not None
cq = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cq)


@pytest.fixture(scope="module")
def cdnow() -> pl.DataFrame:
    return cq.cdnow_frame(DATA / "CDNOW_sample.txt", default_config().churn)


def _pairwise_auc(score: np.ndarray, label: np.ndarray) -> float:
    """AUC by counting every (positive, negative) pair, ties ½: independent of ranks."""
    pos, neg = score[label][:, None], score[~label][None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def test_cdnow_facts_rebuild_published_summary() -> None:
    facts = (
        cq.cdnow_facts(cq.read_cdnow(DATA / "CDNOW_sample.txt"), cq.CDNOW_AS_OF)
        .with_columns(pl.col("customer_id").cast(pl.Int64))  # "0001" in the file, 1 in summary
        .collect()
    )
    summary = pl.read_csv(DATA / "cdnow_customers_summary.csv").select(
        pl.col("ID").alias("customer_id"), "frequency", "recency", "T"
    )
    joined = facts.join(summary, on="customer_id", how="full", coalesce=True)
    assert joined.height == 2357
    assert (joined["order_days_lifetime"] - 1 == joined["frequency"]).all()
    recency = (joined["last_order_date"] - joined["first_order_date"]).dt.total_days() / 7
    assert ((recency.round(2) - joined["recency"]).abs() < 1e-9).all()
    cycle = recency * 7 / joined["frequency"]  # days from first to last order / repeats
    repeat = joined["frequency"] > 0
    gap = (joined["mean_days_between_orders"] - cycle).filter(repeat).abs().max()
    assert gap is not None and gap < 1e-9
    assert joined.filter(pl.col("frequency") == 0)["mean_days_between_orders"].null_count() == 1411


def test_cdnow_churn_score_auc_equals_pairwise_count(cdnow: pl.DataFrame) -> None:
    label = cdnow["no_purchase"].to_numpy()
    assert int(label.sum()) == 1673  # 2,357 customers, 684 buy again in weeks 40-78
    report = cq.evaluate_cdnow(cdnow)
    pairwise = _pairwise_auc(cdnow["churn_score"].to_numpy(), label)
    assert report["auc_churn_score"] == round(pairwise, 4) == 0.6956
    # Plain BG/NBD P(alive) inverts the ranking (docs/churn-model.md: AUC 0.316 for buying).
    plain = _pairwise_auc(1 - cdnow["bgnbd_probability_alive"].to_numpy(), label)
    assert report["auc_bgnbd_one_minus_probability_alive"] == round(plain, 4) == 0.3158


def test_cdnow_fires_only_signs_with_inputs(cdnow: pl.DataFrame) -> None:
    fired = set(cdnow["churn_reasons"].drop_nulls().str.split(";").explode().unique())
    assert fired == {"no_recent_order", "model_inactive"}
    # Every one-time buyer is past twice the company median cycle and has P(alive) < 0.5.
    once = cdnow.filter(pl.col("frequency") == 0)
    assert once.height == 1411 and (once["churn_score"] == 6.0).all()


def _demo_row(
    customer_id: str, churner: bool, stop: dt.date | None, since_last: int, score: float
) -> dict[str, object]:
    return {
        "as_of_date": dt.date(2025, 12, 31),
        "customer_id": customer_id,
        "is_churn_risk": score >= 3,
        "churn_score": score,
        "probability_alive": 1 - score / 10,
        "expected_purchases": 10 - score,
        "churn_reasons": "no_recent_order" if score >= 3 else None,
        "days_since_last_order": since_last,
        "order_days_lifetime": 5,
        "segment": "churner" if churner else "stable",
        "is_planted_churner": churner,
        "planted_stop_date": stop,
        "planted_signs": "declining_orders" if churner else None,
    }


def test_demo_evaluation_keeps_recent_stops_among_active_customers() -> None:
    rows = [
        _demo_row("recent", True, dt.date(2025, 11, 1), 60, 6.0),  # stopped 60 days ago
        _demo_row("older", True, dt.date(2025, 3, 1), 300, 6.0),  # stopped 305 days ago
        _demo_row("gone", True, dt.date(2024, 11, 1), 425, 6.0),  # no order in 365 days
        _demo_row("false_alarm", False, None, 10, 3.0),
        _demo_row("quiet", False, None, 20, 0.0),
        _demo_row("missed", True, dt.date(2025, 12, 10), 25, 1.0),  # stopped 21 days ago
    ]
    frame = pl.DataFrame(rows).with_columns(
        stop_age_days=(pl.col("as_of_date") - pl.col("planted_stop_date")).dt.total_days(),
        recent_stop=pl.col("is_planted_churner")
        & ((pl.col("as_of_date") - pl.col("planted_stop_date")).dt.total_days() < 180),
        active_12m=pl.col("days_since_last_order") < 365,
        has_order=pl.lit(True),
    )
    report = cq.evaluate_demo(frame, 180)
    recent = report["recent_stop_among_active"]
    assert recent["left_out_older_churners"] == 1
    # Population recent, false_alarm, quiet, missed; positives recent, missed.
    assert (recent["customers"], recent["positives"], recent["flagged"]) == (4, 2, 2)
    assert (recent["precision"], recent["recall"], recent["false_positive_rate"]) == (0.5, 0.5, 0.5)
    # Scores 6, 1 (positives) vs 3, 0: pairs 6>3, 6>0, 1<3, 1>0 → 3/4.
    assert recent["auc_churn_score"] == 0.75
    # Days since last order 60, 25 vs 10, 20: all four pairs won.
    assert recent["auc_baseline_days_since_last_order"] == 1.0
    naive = report["all_planted_churners"]
    assert (naive["customers"], naive["positives"], naive["recall"]) == (6, 4, 0.75)
