"""The comparison of bench/backtest_parity.py (and backtest_parity_demo.py): the bench's figures
against ``kam backtest``'s, equal to ``TOLERANCE``; and its report: one markdown row per date,
each figure once where they agree and both where they differ, exit status 1 if any differs."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from churn_quality import MARGIN  # bench/ is on the import path (a folder of scripts)

from scoring.churn_calibration import BASELINES
from warehouse.churn_quality import SCHEMA as QUALITY_SCHEMA

#: Largest difference between the two ways that still counts as equal.
TOLERANCE = 1e-9
#: What identifies a figure; the bench's figures have these and ``value``, typed as the
#: ``scores.churn_model_quality`` rows they are compared with.
KEYS = ["as_of_date", "score", "metric", "decile"]
FIGURES = pl.Schema({name: QUALITY_SCHEMA[name] for name in [*KEYS, "value"]})


def compare(kam_rows: pl.DataFrame, bench_rows: pl.DataFrame) -> pl.DataFrame:
    """Every figure of either side, with both values and whether they agree."""
    return (
        bench_rows.rename({"value": "bench"})
        .join(
            kam_rows.select(*KEYS, kam="value").with_columns(
                pl.col("decile").cast(FIGURES["decile"])
            ),
            on=KEYS,
            how="full",
            coalesce=True,
            nulls_equal=True,
        )
        .with_columns(
            equal=(pl.col("bench") - pl.col("kam")).abs().le(TOLERANCE)
            | (pl.col("bench").is_null() & pl.col("kam").is_null())
        )
        .with_columns(pl.col("equal").fill_null(False))
        .sort(KEYS, nulls_last=False)
    )


def report(comparison: pl.DataFrame, json_path: Path | None) -> None:
    """Print the comparison as markdown, write every figure to ``json_path`` if given, and exit
    with status 1 if any figure differs."""
    print(markdown(comparison))
    if json_path:
        json_path.write_text(json.dumps(comparison.to_dicts(), indent=2, default=str))
    if not comparison["equal"].all():
        raise SystemExit(1)


def markdown(comparison: pl.DataFrame) -> str:
    """One row per date: each figure once where bench and ``kam backtest`` agree, both where
    they differ (``bench / kam``); then how many figures agree, deciles included."""
    columns = [
        ("AUC kam", "churn_probability", "auc"),
        ("AUC BG/NBD expected purchases", "bgnbd_expected_purchases", "auc"),
        ("AUC recency", "days_since_last_order", "auc"),
        ("AUC frequency", "order_days_lifetime", "auc"),
        ("customers", "churn_probability", "customers"),
        ("churned", "churn_probability", "churned"),
        ("flagged", "churn_probability", "flagged"),
        ("precision", "churn_probability", "precision"),
        ("recall", "churn_probability", "recall"),
        ("calibrated", "churn_probability", "calibrated"),
    ]
    lines = [
        "| as of | " + " | ".join(name for name, _, _ in columns) + " | bar met | equal |",
        "|---|" + "---:|" * len(columns) + "---|---|",
    ]
    for (day,), part in comparison.sort("as_of_date").group_by("as_of_date", maintain_order=True):
        figures = {
            (r["score"], r["metric"]): r
            for r in part.filter(pl.col("decile").is_null()).iter_rows(named=True)
        }
        cells = []
        for _, score, metric in columns:
            row = figures.get((score, metric))
            if row is None:
                cells.append("–")
            elif row["equal"]:
                cells.append(_cell(row["bench"], metric))
            else:
                cells.append(f"**{_cell(row['bench'], metric)} / {_cell(row['kam'], metric)}**")
        aucs = {
            s: figures[(s, "auc")]["kam"]
            for s in ("churn_probability", *BASELINES)
            if (s, "auc") in figures and figures[(s, "auc")]["kam"] is not None
        }
        best = max((v for s, v in aucs.items() if s != "churn_probability"), default=None)
        met = (
            "–"
            if best is None or "churn_probability" not in aucs
            else ("yes" if aucs["churn_probability"] >= best - MARGIN else "**no**")
        )
        lines.append(
            f"| {day} | "
            + " | ".join(cells)
            + f" | {met} | {part['equal'].sum()} of {part.height} |"
        )
    differing = comparison.filter(~pl.col("equal"))
    lines.append("")
    lines.append(
        f"{comparison['equal'].sum()} of {comparison.height} figures equal (to {TOLERANCE:g}), "
        "deciles of the calibration table included; bar = best baseline − "
        f"{MARGIN}."
    )
    for row in differing.iter_rows(named=True):
        where = "" if row["decile"] is None else f" decile {row['decile']}"
        lines.append(
            f"- differs: {row['as_of_date']} {row['score']} {row['metric']}{where}: "
            f"bench {row['bench']!r}, kam backtest {row['kam']!r}"
        )
    return "\n".join(lines)


def _cell(value: float | None, metric: str) -> str:
    if value is None:
        return "–"
    if metric in {"customers", "churned", "flagged"}:
        return f"{value:,.0f}"
    if metric == "calibrated":
        return "yes" if value else "no"
    return f"{value:.4f}"
