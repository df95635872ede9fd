"""``kam backtest`` and ``kam bgnbd``: measure and fit the churn models outside the nightly run."""

from __future__ import annotations

import argparse
from datetime import date

from orchestration.cli.common import UserError, parse_date, settings_of


def cmd_backtest(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from scoring.config import ScoringConfigError, load_scoring_config
    from warehouse import churn_quality
    from warehouse.settings import connect_warehouse

    settings = settings_of(args)
    start = parse_date(args.start, "--start") if args.start else date.min
    end = parse_date(args.end, "--end") if args.end else date.max
    try:
        config = load_scoring_config(settings.scoring_config_path)
    except ScoringConfigError as exc:
        raise UserError(str(exc)) from None
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; run `kam run` first")
    horizon = config.churn.prediction_horizon_days
    with connect_warehouse(settings.warehouse_path) as con:
        available = churn_quality.fact_dates(con)
        dates = [d for d in churn_quality.measurable_dates(available, horizon) if start <= d <= end]
        if not dates:
            raise UserError(
                f"no business date in the range has its outcome in the history: a date D "
                f"needs customer facts as of D and as of D + {horizon} days "
                f"({len(available)} date(s) with facts: "
                f"{available[0] if available else '-'} … {available[-1] if available else '-'}); "
                "run (or backfill) those dates first"
            )
        run_id = "backtest-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        rows = churn_quality.measure(con, config, dates, run_id)
    print(churn_quality.markdown(rows))
    print(
        f"\n{len(dates)} date(s) measured into scores.churn_model_quality (run {run_id}); "
        "the next `kam run` publishes them as churn_model_quality."
    )
    return 0


def cmd_bgnbd(args: argparse.Namespace) -> int:
    from scoring.bgnbd import bgnbd_summary_json

    if not args.summary.is_file():
        raise UserError(f"summary file {args.summary} does not exist")
    try:
        print(bgnbd_summary_json(args.summary, model=args.model))
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    return 0
