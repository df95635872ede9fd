"""How well churn scores and flags found the customers who really left: ROC AUC, precision
and recall."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import polars as pl


def _series(
    values: Sequence[float] | Sequence[bool] | pl.Series | np.ndarray, name: str
) -> pl.Series:
    series = values if isinstance(values, pl.Series) else pl.Series(name, values, strict=False)
    if series.null_count():
        raise ValueError(f"{name} has {series.null_count()} missing value(s); drop those rows")
    return series


def _booleans(
    values: Sequence[bool] | Sequence[int] | pl.Series | np.ndarray, name: str
) -> pl.Series:
    series = _series(values, name)
    if not series.cast(pl.Float64).is_in([0.0, 1.0]).all():
        raise ValueError(f"{name} must be true/false or 1/0 (labels: 1 = really churned)")
    return series.cast(pl.Boolean)


def roc_auc(
    scores: Sequence[float] | pl.Series | np.ndarray,
    labels: Sequence[bool] | Sequence[int] | pl.Series | np.ndarray,
) -> float:
    """ROC AUC of ``scores`` (higher = more likely positive) by the rank (Mann–Whitney) formula;
    tied scores get their average rank, so a tie between a positive and a negative counts ½."""
    score = _series(scores, "scores").cast(pl.Float64)
    label = _booleans(labels, "labels")
    if score.len() != label.len():
        raise ValueError(f"{score.len()} scores but {label.len()} labels; pass one of each per row")
    positives = int(label.sum())
    negatives = label.len() - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs at least one positive and one negative label")
    rank_sum = float(score.rank("average").filter(label).sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


class PrecisionRecall(NamedTuple):
    """Precision (share of flagged who are positive) and recall (share of positives flagged)."""

    precision: float | None
    recall: float | None
    true_positives: int
    flagged: int
    positives: int


def precision_recall(
    flags: Sequence[bool] | pl.Series | np.ndarray,
    labels: Sequence[bool] | Sequence[int] | pl.Series | np.ndarray,
) -> PrecisionRecall:
    """Precision and recall of boolean ``flags``; a ratio over nothing is None."""
    flag = _booleans(flags, "flags")
    label = _booleans(labels, "labels")
    if flag.len() != label.len():
        raise ValueError(f"{flag.len()} flags but {label.len()} labels; pass one of each per row")
    hits = int((flag & label).sum())
    flagged, positives = int(flag.sum()), int(label.sum())
    return PrecisionRecall(
        precision=hits / flagged if flagged else None,
        recall=hits / positives if positives else None,
        true_positives=hits,
        flagged=flagged,
        positives=positives,
    )
