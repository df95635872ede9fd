"""The ``kam`` command line: generate demo data, run the nightly job, fit the churn model."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, Settings, SettingsError, load_settings


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.verbose:
        # Library deprecation and beta notices are for developers, not for someone running a date.
        warnings.simplefilter("ignore")
    if args.home:
        os.environ["KAM_HOME"] = str(Path(args.home).resolve())
    try:
        return args.handler(args)
    except (UserError, SettingsError) as exc:
        print(f"kam: error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description=__doc__)
    parser.add_argument("--home", help="kam home folder (default: $KAM_HOME or ./var)")
    parser.add_argument(
        "--verbose", action="store_true", help="show the full Dagster and dbt log of a run"
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="generate deterministic demo landing files")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--lines", type=int, default=200_000, help="transaction lines")
    demo.add_argument("--customers", type=int, default=None)
    demo.add_argument("--end-date", type=date.fromisoformat, default=date(2025, 12, 31))
    demo.add_argument("--force", action="store_true", help="replace existing landing files")
    demo.set_defaults(handler=_cmd_demo)

    prepare = sub.add_parser(
        "prepare",
        help="parse the dbt project (builds the manifest) and give the Dagster home a dagster.yaml",
    )
    prepare.set_defaults(handler=_cmd_prepare)

    run = sub.add_parser("run", help="run the nightly job for one business date")
    run.add_argument(
        "--date",
        default=None,
        help="business date YYYY-MM-DD, or 'latest' (default: the newest business date "
        "with a landed folder)",
    )
    run.add_argument(
        "--accept-gate",
        action="append",
        default=[],
        metavar="CHECK",
        help="accept a failed score gate for this run only (e.g. churn_share_shift after "
        "reviewing the move): it is recorded as a warning instead of blocking; repeatable",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models from all landed history instead of only "
        "what landed since their last run (never needed for correctness)",
    )
    run.set_defaults(handler=_cmd_run)

    backfill = sub.add_parser("backfill", help="run the job for each date of a range, in order")
    backfill.add_argument("--start", required=True, help="first business date YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last business date YYYY-MM-DD")
    backfill.set_defaults(handler=_cmd_backfill)

    backtest = sub.add_parser(
        "backtest",
        help="measure the churn probability on past business dates whose outcome is known "
        "(facts as of D and D + horizon), against the baselines, into churn_model_quality",
    )
    backtest.add_argument("--start", help="first business date YYYY-MM-DD (default: all)")
    backtest.add_argument("--end", help="last business date YYYY-MM-DD (default: all)")
    backtest.set_defaults(handler=_cmd_backtest)

    bgnbd = sub.add_parser("bgnbd", help="fit the BG/NBD repeat-buying model to a summary file")
    bgnbd.add_argument(
        "--summary", required=True, type=Path, help="CSV with columns frequency,recency,T"
    )
    bgnbd.add_argument("--model", choices=["bgnbd", "mbgnbd"], default="bgnbd")
    bgnbd.set_defaults(handler=_cmd_bgnbd)

    contracts = sub.add_parser("contracts", help="print the input contracts as Markdown")
    contracts.set_defaults(handler=_cmd_contracts)

    _add_report_parser(sub)
    return parser


def _cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.demo import DemoError, generate_demo

    settings = load_settings()
    landing = settings.landing_dir
    if landing.exists() and any(landing.iterdir()) and not args.force:
        print(f"landing files already present in {landing}; keeping them (--force regenerates)")
        return 0
    try:
        summary = generate_demo(
            settings.home,
            seed=args.seed,
            lines=args.lines,
            customers=args.customers,
            end_date=args.end_date,
            overwrite=args.force,
        )
    except DemoError as exc:
        raise UserError(str(exc)) from None
    if summary.landing_dir != landing:
        import shutil

        if landing.exists():
            shutil.rmtree(landing)
        landing.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(summary.landing_dir, landing)
    print(summary)
    return 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    from orchestration.instance import DagsterHomeError, dagster_home_of, ensure_instance_config

    settings = load_settings()
    prepare_dbt(settings)
    print(f"dbt manifest ready in {DBT_PROJECT_DIR / 'target'}")
    # Before any run, so that `make ui` (dagster dev) and the runs it launches use it too.
    dagster_home = dagster_home_of(settings.home)
    try:
        written = ensure_instance_config(dagster_home)
    except DagsterHomeError as exc:
        raise UserError(str(exc)) from None
    print(f"Dagster home {dagster_home}: dagster.yaml {'written' if written else 'kept as it is'}")
    return 0


def prepare_dbt(settings: Settings, target_path: Path | None = None) -> None:
    """Parse the dbt project once so the Dagster definitions can load its manifest.

    dbt keeps its partial-parse state keyed on the profile, which holds the warehouse path: the
    parse uses the path the runs of ``settings`` will use, so their first night partial-parses
    too. ``target_path`` (default: the project's ``target``) is where the state is written; the
    first run in a home copies the project's state into its own ``dbt_target`` if it has none.
    """
    from dbt.cli.main import dbtRunner

    os.environ["KAM_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    target = ["--target-path", str(target_path)] if target_path is not None else []
    result = dbtRunner().invoke(
        [
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            *target,
        ]
    )
    if not result.success:
        raise UserError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")


def _cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    business_date = resolve_business_date(args.date, settings)
    if args.date is None:
        print(f"kam run: no --date given; running the newest landed business date {business_date}")
    ok = run_job(
        settings,
        business_date,
        verbose=args.verbose,
        full_refresh=args.full_refresh,
        accept_gates=args.accept_gate,
    )
    return 0 if ok else 1


def _cmd_backfill(args: argparse.Namespace) -> int:
    settings = load_settings()
    start, end = _parse_date(args.start, "--start"), _parse_date(args.end, "--end")
    if end < start:
        raise UserError(f"--end {end} is before --start {start}; swap them")
    day = start
    while day <= end:
        if not run_job(settings, day, verbose=args.verbose):
            print(f"backfill stopped at {day}; fix the problem and rerun from --start {day}")
            return 1
        day += timedelta(days=1)
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from orchestration import churn_quality
    from orchestration.settings import connect_warehouse
    from scoring.config import ScoringConfigError, load_scoring_config

    settings = load_settings()
    start = _parse_date(args.start, "--start") if args.start else date.min
    end = _parse_date(args.end, "--end") if args.end else date.max
    try:
        config = load_scoring_config(settings.scoring_config_path)
    except ScoringConfigError as exc:
        raise UserError(str(exc)) from None
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; run `kam run` first")
    horizon = config.churn.prediction_horizon_days
    with connect_warehouse(settings.warehouse_path) as con:
        available = churn_quality.fact_dates(con)
        dates = [
            d for d in churn_quality.measurable_dates(available, horizon) if start <= d <= end
        ]
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


def _cmd_bgnbd(args: argparse.Namespace) -> int:
    from scoring.bgnbd import bgnbd_summary_json

    if not args.summary.is_file():
        raise UserError(f"summary file {args.summary} does not exist")
    try:
        print(bgnbd_summary_json(args.summary, model=args.model))
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    return 0


def _add_report_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report", help="build the HTML report of a business date from the published warehouse"
    )
    report.add_argument(
        "--date", default=None, help="business date YYYY-MM-DD (default: the newest scored date)"
    )
    report.add_argument(
        "--screenshots",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write desktop and phone PNG screenshots of the report into DIR "
        "(needs Debian's chromium and Playwright for Python)",
    )
    report.set_defaults(handler=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    """Build the report as the nightly job does, from the published copy (docs/report.md)."""
    import dagster as dg

    from orchestration.assets.report import REPORT_SUBDIR, run_gates
    from orchestration.instance import dagster_home_of
    from report import ReportDataError, build_report
    from report.browser import BrowserMissingError, take_screenshots

    settings = load_settings()
    business_date = _parse_date(args.date, "--date") if args.date else None
    dagster_home = dagster_home_of(settings.home)

    def gates_of_run(run_id: str):
        """The checks of the run that scored the date, from the Dagster home kam runs use."""
        if not (dagster_home / "dagster.yaml").is_file():
            return None
        os.environ["DAGSTER_HOME"] = str(dagster_home)
        with dg.DagsterInstance.get() as instance:
            return run_gates(instance, run_id)

    try:
        result = build_report(
            settings.published_path,
            settings.publish_dir / REPORT_SUBDIR,
            business_date,
            gates_of_run=gates_of_run,
        )
    except ReportDataError as exc:
        raise UserError(str(exc)) from None
    print(
        f"report for {result.business_date}: {result.path} "
        f"({result.size_bytes / 1e6:.1f} MB, {result.charts} charts, {result.seconds:.1f} s)"
    )
    if result.latest_path:
        print(f"  latest: {result.latest_path}")
    if args.screenshots:
        try:
            for path in take_screenshots(result.path, args.screenshots):
                print(f"  screenshot: {path}")
        except BrowserMissingError as exc:
            raise UserError(str(exc)) from None
    return 0


def _cmd_contracts(args: argparse.Namespace) -> int:
    from orchestration.ingestion.contracts import contracts_markdown

    print(contracts_markdown(), end="")
    return 0


def resolve_business_date(value: str | None, settings: Settings) -> date:
    """Turn the ``--date`` argument into a business date: none or ``latest`` is the newest
    date with a landed folder (of any source)."""
    if value is None or value == "latest":
        dates = sorted(
            d.name
            for source in settings.landing_dir.glob("*")
            if source.is_dir()
            for d in source.iterdir()
            if d.is_dir() and _is_iso_date(d.name)
        )
        if not dates:
            raise UserError(
                f"no landed folders under {settings.landing_dir}; run `kam demo` or "
                "copy exports to <landing>/<source>/<YYYY-MM-DD>/"
            )
        return _parse_date(dates[-1], f"landing folder {dates[-1]}")
    return _parse_date(value, "--date")


def _is_iso_date(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return len(name) == 10


def _parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"{what} {value!r} is not a date; use YYYY-MM-DD, e.g. 2025-12-31"
        ) from None


def run_job(
    settings: Settings,
    business_date: date,
    *,
    verbose: bool = False,
    full_refresh: bool = False,
    accept_gates: Sequence[str] = (),
) -> bool:
    """Run the nightly job for ``business_date`` in this process and print a summary."""
    from orchestration.dbt_project import ManifestMissingError
    from orchestration.instance import DagsterHomeError
    from orchestration.runner import BusinessDateError, execute_nightly

    try:
        outcome = execute_nightly(
            settings,
            business_date,
            verbose=verbose,
            full_refresh=full_refresh,
            accept_gates=accept_gates,
        )
    except (BusinessDateError, DagsterHomeError, ManifestMissingError) as exc:
        raise UserError(str(exc)) from None
    print(outcome.report())
    return outcome.success


if __name__ == "__main__":
    raise SystemExit(main())
