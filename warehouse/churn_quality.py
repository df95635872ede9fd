"""Measured quality of the churn probability on the warehouse's own history: past business dates
whose outcome is known (facts as of D and D + horizon), against the simple baselines.

The nightly run measures the newest such date (:func:`measure_newest`); ``kam backtest``
measures a range (:func:`measure`). Results go to ``scores.churn_model_quality`` (published as
``churn_model_quality``; docs/churn-quality.md), one set of rows per date measured, replaced
when the date is measured again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import polars as pl

from scoring.churn_calibration import BASELINES, QUALITY_SCHEMA, backtest, calibration_dates
from scoring.config import ScoringConfig
from warehouse import score_store

QUALITY = score_store.CHURN_QUALITY

#: The measured figures, and when their outcome was known, under which configuration, by which run.
SCHEMA = pl.Schema(
    {
        **QUALITY_SCHEMA,
        "outcome_known_on": pl.Date(),
        "config_version": pl.String(),
        "run_id": pl.String(),
    }
)


def fact_dates(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Business dates with customer facts in the warehouse."""
    return [
        row[0]
        for row in con.execute(
            "select distinct as_of_date from marts.fct_customer_facts order by 1"
        ).fetchall()
    ]


def measurable_dates(
    available: Sequence[dt.date], horizon_days: int, *, until: dt.date | None = None
) -> list[dt.date]:
    """Dates D with facts as of D and as of D + horizon (≤ ``until``): their outcome is known."""
    have = set(available)
    horizon = dt.timedelta(days=horizon_days)
    return sorted(
        d for d in have if d + horizon in have and (until is None or d + horizon <= until)
    )


def measure(
    con: duckdb.DuckDBPyConnection,
    config: ScoringConfig,
    dates: Sequence[dt.date],
    run_id: str,
) -> pl.DataFrame:
    """Measure ``dates`` (each needs its outcome in the history) and replace their rows of
    ``scores.churn_model_quality``; returns the rows written.

    Each date is scored as the nightly run on it would have: calibrated on what was known
    then. Only the facts that needs are read (the date, its outcome date and the calibration
    dates of each).
    """
    available = fact_dates(con)
    horizon = config.churn.prediction_horizon_days
    step = dt.timedelta(days=horizon)
    needed: set[dt.date] = set()
    for day in dates:
        needed |= {day, day + step, *calibration_dates(available, day, horizon)}
    rows = pl.DataFrame(schema=SCHEMA)
    if dates:
        history = pl.concat(
            [score_store.read_facts(con, d) for d in sorted(needed)], how="diagonal_relaxed"
        )
        measured = backtest(history, config.churn, as_of_dates=dates)
        if measured.height:
            rows = measured.with_columns(
                outcome_known_on=pl.col("as_of_date") + pl.duration(days=horizon),
                config_version=pl.lit(config.version),
                run_id=pl.lit(run_id),
            ).select([pl.col(name).cast(dtype) for name, dtype in SCHEMA.items()])
    write(con, rows, dates)
    return rows


def measure_newest(
    con: duckdb.DuckDBPyConnection, config: ScoringConfig, as_of: dt.date, run_id: str
) -> pl.DataFrame:
    """Measure the newest date whose outcome is known by ``as_of`` (none: nothing measured,
    the table is still created so that it is always published)."""
    dates = measurable_dates(fact_dates(con), config.churn.prediction_horizon_days, until=as_of)
    return measure(con, config, dates[-1:], run_id)


def write(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, dates: Sequence[dt.date]) -> None:
    """Replace the rows of ``dates`` in the quality table (created empty if absent)."""
    con.execute(f"create schema if not exists {score_store.SCHEMA}")
    con.register("_quality", rows.to_arrow())
    try:
        con.execute(f"create table if not exists {QUALITY} as select * from _quality limit 0")
        for day in dates:
            con.execute(f"delete from {QUALITY} where as_of_date = ?", [day])
        con.execute(f"insert into {QUALITY} by name select * from _quality")
    finally:
        con.unregister("_quality")


def summary_line(con: duckdb.DuckDBPyConnection) -> str | None:
    """One line on the newest date measured, from a connection that can read the published
    ``churn_model_quality`` (or None when nothing was measured yet)."""
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    if "churn_model_quality" not in tables:
        return None
    newest = con.execute("select max(as_of_date) from churn_model_quality").fetchall()[0][0]
    if newest is None:
        return None
    values = {
        (score, metric): value
        for score, metric, value in con.execute(
            "select score, metric, value from churn_model_quality "
            "where as_of_date = ? and decile is null",
            [newest],
        ).fetchall()
    }
    auc = values.get(("churn_probability", "auc"))
    baselines = {b: values.get((b, "auc")) for b in BASELINES if values.get((b, "auc"))}
    best = max(baselines, key=lambda b: baselines[b]) if baselines else None
    parts = [
        f"  churn quality as of {newest}: AUC {auc:.3f}"
        if auc is not None
        else f"  churn quality as of {newest}: AUC not measurable"
    ]
    if best is not None:
        parts.append(f"best baseline {baselines[best]:.3f} ({best})")
    precision = values.get(("churn_probability", "precision"))
    flagged = values.get(("churn_probability", "flagged"))
    if flagged is not None:
        shown = f"{precision:.2f}" if precision is not None else "n/a"
        parts.append(f"precision {shown} of {int(flagged):,} flagged")
    return ", ".join(parts)


def markdown(rows: pl.DataFrame) -> str:
    """A table per date: AUC of kam's probability and of each baseline, precision and recall
    of the flag, and calibration by decile (mean predicted vs observed churn)."""
    if rows.height == 0:
        return "(no date measured)"
    lines = [
        "| as of | outcome known | customers | churned | AUC kam | "
        + " | ".join(f"AUC {b}" for b in BASELINES)
        + " | flagged | precision | recall |",
        "|---|---|---:|---:|---:|" + "---:|" * len(BASELINES) + "---:|---:|---:|",
    ]
    for day in sorted(set(rows["as_of_date"].to_list())):
        day_rows = rows.filter(pl.col("as_of_date") == day, pl.col("decile").is_null())
        v = {(s, m): x for s, m, x in day_rows.select("score", "metric", "value").iter_rows()}

        def cell(score: str, metric: str, digits: int = 3, *, v: dict = v) -> str:
            x = v.get((score, metric))
            return "–" if x is None else (f"{x:.{digits}f}" if digits else f"{int(x):,}")

        known = day_rows["outcome_known_on"][0]
        lines.append(
            f"| {day} | {known} | {cell('churn_probability', 'customers', 0)} | "
            f"{cell('churn_probability', 'churned', 0)} | {cell('churn_probability', 'auc')} | "
            + " | ".join(cell(b, "auc") for b in BASELINES)
            + f" | {cell('churn_probability', 'flagged', 0)} | "
            f"{cell('churn_probability', 'precision')} | {cell('churn_probability', 'recall')} |"
        )
    deciles = rows.filter(pl.col("decile").is_not_null())
    if deciles.height:
        newest = deciles["as_of_date"].max()
        wide = (
            deciles.filter(pl.col("as_of_date") == newest)
            .pivot(on="metric", index="decile", values="value")
            .sort("decile")
        )
        lines += [
            "",
            f"Calibration by decile of predicted probability, as of {newest}:",
            "",
            "| decile | mean predicted | observed churn rate |",
            "|---:|---:|---:|",
        ]
        for row in wide.iter_rows(named=True):
            predicted = row.get("mean_predicted")
            observed = row.get("observed_churn_rate")
            lines.append(
                f"| {row['decile']} | "
                f"{'–' if predicted is None else f'{predicted:.3f}'} | "
                f"{'–' if observed is None else f'{observed:.3f}'} |"
            )
    return "\n".join(lines)
