"""The ``kam`` command line: generate demo data, run the nightly job, check, document."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path

from warehouse.settings import DBT_PROJECT_DIR, Settings, SettingsError, load_settings


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


DESCRIPTION = (
    "kam: the nightly key-account warehouse. Generate demo landing files, check the "
    "configuration and landing folders, run or backfill business dates, build the dbt docs "
    "and the report. Global options (--home, --verbose, --quiet) may also follow the command."
)


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


def _global_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """--home, --verbose and --quiet: on the top parser with their defaults, and on each command
    without (``argparse.SUPPRESS``), so that they may follow the command without resetting a
    value given before it."""
    value = (lambda default: default) if defaults else (lambda default: argparse.SUPPRESS)
    parser.add_argument(
        "--home",
        default=value(None),
        help="kam home folder (default: $KAM_HOME, else ./var)",
    )
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "--verbose",
        action="store_true",
        default=value(False),
        help="show everything: Dagster's log of each step (INFO) and dbt's output, besides the "
        "step lines and the summary",
    )
    loudness.add_argument(
        "--quiet",
        action="store_true",
        default=value(False),
        help="show only the summary of a run, not a line per step",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _global_options(parser, defaults=True)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)

    def command(name: str, summary: str, description: str = "") -> argparse.ArgumentParser:
        """A subcommand whose help shows ``summary`` in the list and a description of its own."""
        return sub.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}. {description}".strip(),
            parents=[common],
        )

    demo = command(
        "demo",
        "generate deterministic demo landing files",
        "A made-up company's exports with planted key accounts and churners, written under "
        "<home>/landing (kept if landing files are already there, unless --force). Large sizes "
        "show a progress line while the files are written.",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=42,
        help="random seed; same seed, same bytes (default: %(default)s)",
    )
    demo.add_argument(
        "--lines", type=int, default=200_000, help="transaction lines (default: %(default)s)"
    )
    demo.add_argument(
        "--customers",
        type=int,
        default=None,
        help="customers (default: one per 100 lines, at least 50)",
    )
    demo.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2025, 12, 31),
        help="last business date of the data (default: %(default)s)",
    )
    demo.add_argument(
        "--force", action="store_true", help="replace existing landing files (default: keep them)"
    )
    demo.set_defaults(handler=_cmd_demo)

    prepare = command(
        "prepare",
        "parse the dbt project (builds the manifest) and give the Dagster home a dagster.yaml",
        "The Dagster definitions load the manifest; the dagster.yaml sets kam's event log "
        "storage and the warehouse pool's limit. An existing dagster.yaml is kept as it is.",
    )
    prepare.set_defaults(handler=_cmd_prepare)

    run = command(
        "run",
        "run the nightly job for one business date",
        "Ingest the landed files, build the dbt models, score, check and publish, in this "
        "process. Prints a line per finished step (step, rows where known, seconds), then a "
        "summary; exit code 0 if the run succeeded, 1 if it failed, 2 for a usage error.",
    )
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
        "reviewing the move): it is recorded as a warning instead of blocking; repeatable "
        "(default: none)",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models from all landed history instead of only "
        "what landed since their last run (never needed for correctness; default: incremental)",
    )
    run.set_defaults(handler=_cmd_run)

    backfill = command(
        "backfill",
        "run the job for each date of a range, in order",
        "One run per business date, oldest first, stopping at the first that fails. Before "
        "each date it prints 'date i/n' and, from the second on, the time the rest should take.",
    )
    backfill.add_argument("--start", required=True, help="first business date YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last business date YYYY-MM-DD")
    backfill.set_defaults(handler=_cmd_backfill)

    backtest = command(
        "backtest",
        "measure the churn probability on past business dates whose outcome is known",
        "A date D is measured when the warehouse holds facts as of D and as of D + horizon; "
        "the results go to scores.churn_model_quality beside the simple baselines.",
    )
    backtest.add_argument("--start", help="first business date YYYY-MM-DD (default: all)")
    backtest.add_argument("--end", help="last business date YYYY-MM-DD (default: all)")
    backtest.set_defaults(handler=_cmd_backtest)

    bgnbd = command(
        "bgnbd",
        "fit the BG/NBD repeat-buying model to a summary file",
        "Prints the fitted parameters and log-likelihood as JSON.",
    )
    bgnbd.add_argument(
        "--summary", required=True, type=Path, help="CSV with columns frequency,recency,T"
    )
    bgnbd.add_argument(
        "--model",
        choices=["bgnbd", "mbgnbd"],
        default="bgnbd",
        help="BG/NBD or its modified form MBG/NBD (default: %(default)s)",
    )
    bgnbd.set_defaults(handler=_cmd_bgnbd)

    docs = command(
        "docs",
        "build the dbt docs site, score tables included, and serve it",
        "Generates the dbt docs of the warehouse under <home>/dbt_docs (the score tables "
        "declared as the dbt source 'scores', described from docs/scoring.md and "
        "docs/bi-tables.md; column types from the warehouse, if a run has "
        "written one) and serves it on http://127.0.0.1:PORT until Ctrl-C.",
    )
    docs.add_argument(
        "--port", type=int, default=8080, help="port to serve on (default: %(default)s)"
    )
    docs.add_argument(
        "--no-serve",
        action="store_true",
        help="only build the site; open <home>/dbt_docs/target/static_index.html as a file",
    )
    docs.set_defaults(handler=_cmd_docs)

    check = command(
        "check",
        "check the configuration and the landing folders without running anything",
        "Reads scoring.yaml, the mappings, kam's KAM_* settings and every landing folder (folder "
        "names, file encodings, headers against the mappings) with the run's own checks, and "
        "lists every problem with its fix. Exit code 0: no problem; 1: problems listed.",
    )
    check.set_defaults(handler=_cmd_check)

    contracts = command(
        "contracts",
        "print the input contracts as Markdown",
        "The columns each source must provide, with types and rules (docs/contracts.md).",
    )
    contracts.set_defaults(handler=_cmd_contracts)

    _add_map_parser(sub, common)
    _add_report_parser(sub, common)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kam")
    except PackageNotFoundError:
        return "(not installed; run make setup)"


def _cmd_demo(args: argparse.Namespace) -> int:
    from demo import DemoError, generate_demo

    settings = load_settings()
    landing = settings.landing_dir
    if landing.exists() and any(landing.iterdir()) and not args.force:
        print(f"landing files already present in {landing}; keeping them (--force regenerates)")
        return 0
    try:
        with demo_progress(settings.home / "landing", shown=args.lines >= LARGE_DEMO_LINES):
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


# From this many transaction lines (about half a minute of writing) `kam demo` shows progress.
LARGE_DEMO_LINES = 1_000_000


@contextlib.contextmanager
def demo_progress(folder: Path, *, shown: bool, every: float = 0.5) -> Iterator[None]:
    """While the block runs, show the files and megabytes written under ``folder`` so far and
    the time taken (Rich; redrawn in place on a terminal, a final line otherwise)."""
    if not shown:
        yield
        return
    import threading

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    def written() -> str:
        files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
        size = sum(p.stat().st_size for p in files if p.exists())
        return f"{len(files):,} files, {size / 1e6:,.0f} MB written"

    done = threading.Event()
    with Progress(
        SpinnerColumn(), TextColumn("demo landing files: {task.description}"), TimeElapsedColumn()
    ) as progress:
        task = progress.add_task(written())

        def watch() -> None:
            while not done.wait(every):
                progress.update(task, description=written())

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()
            progress.update(task, description=written())


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
        quiet=args.quiet,
        full_refresh=args.full_refresh,
        accept_gates=args.accept_gate,
    )
    return 0 if ok else 1


def _cmd_backfill(args: argparse.Namespace) -> int:
    settings = load_settings()
    start, end = _parse_date(args.start, "--start"), _parse_date(args.end, "--end")
    if end < start:
        raise UserError(f"--end {end} is before --start {start}; swap them")
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    began = time.monotonic()
    for done, day in enumerate(days):
        print(backfill_progress(done, len(days), day, time.monotonic() - began), flush=True)
        if not run_job(settings, day, verbose=args.verbose, quiet=args.quiet):
            print(f"backfill stopped at {day}; fix the problem and rerun from --start {day}")
            return 1
    print(f"backfill of {len(days)} date(s) done in {_duration(time.monotonic() - began)}")
    return 0


def backfill_progress(done: int, total: int, day: date, elapsed: float) -> str:
    """``date 3/14 2025-03-03 … about 2 min left``: the time left is the mean time of the dates
    done so far times the dates left (this one included); none before the first is done."""
    line = f"date {done + 1}/{total} {day}"
    if done:
        line += f" … about {_duration(elapsed / done * (total - done))} left"
    return line


def _duration(seconds: float) -> str:
    """A rounded, readable duration: ``40 s``, ``2 min``, ``1 h 5 min``."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _cmd_backtest(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from scoring.config import ScoringConfigError, load_scoring_config
    from warehouse import churn_quality
    from warehouse.settings import connect_warehouse

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


def _add_map_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    mapping = sub.add_parser(
        "map",
        help="propose a mapping file for a sample export",
        description="Propose a mapping file for a sample export (CSV or text, Parquet or .xlsx): "
        "its headers are matched to the source's contract (English and Chinese names); the "
        "encoding, delimiter and date formats are read from the sample. Reports what is "
        "missing and what kam derives without it, and writes the file for you to review "
        "(docs/mappings.md).",
        parents=[common],
    )
    mapping.add_argument("source", help="the source the export feeds, e.g. transactions")
    mapping.add_argument("file", type=Path, help="a sample export")
    mapping.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write the proposal (default: ./<source>.yaml); review it, then move it "
        "to the mappings folder (<config>/mappings/<source>.yaml)",
    )
    mapping.add_argument("--sheet", default=None, help="Excel: the sheet (default: the first)")
    mapping.add_argument("--force", action="store_true", help="replace an existing output file")
    mapping.set_defaults(handler=_cmd_map)


def _cmd_map(args: argparse.Namespace) -> int:
    from ingestion.mapping import MappingError, load_mapping
    from ingestion.propose import ProposalError, propose_mapping

    try:
        proposal = propose_mapping(args.source, args.file, sheet=args.sheet)
    except ProposalError as exc:
        raise UserError(str(exc)) from None
    output = args.output or Path(f"{args.source}.yaml")
    if output.exists() and not args.force:
        raise UserError(f"{output} exists; give another --output, or --force to replace it")
    output.write_text(proposal.yaml(), encoding="utf-8")
    print(proposal.report())
    if not proposal.missing_required:
        try:
            load_mapping(output, args.source)
        except MappingError as exc:
            raise UserError(f"the proposal does not validate: {exc}") from None
    target = load_settings().mappings_dir / f"{args.source}.yaml"
    print(f"wrote {output}: review it, then move it to {target}")
    return 1 if proposal.missing_required else 0


def _add_report_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    report = sub.add_parser(
        "report",
        help="build the HTML report of a business date from the published warehouse",
        description="Build the HTML report of a business date from the published warehouse, "
        "as the nightly job does (docs/report.md).",
        parents=[common],
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
        "(needs Debian's chromium and Playwright for Python; default: none)",
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


def _cmd_docs(args: argparse.Namespace) -> int:
    from orchestration.dbt_docs import DocsError, build_docs, serve_docs

    settings = load_settings()
    try:
        site = build_docs(settings)
        catalog = (
            f"column types from {settings.warehouse_path}"
            if site.with_catalog
            else f"no warehouse at {settings.warehouse_path} yet: descriptions only"
        )
        print(f"dbt docs built in {site.target_dir} ({catalog})")
        print(f"  as one file: {site.static_page}")
        if args.no_serve:
            return 0
        print(f"serving on http://127.0.0.1:{args.port} (Ctrl-C stops)", flush=True)
        serve_docs(site, args.port)
    except DocsError as exc:
        raise UserError(str(exc)) from None
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from orchestration.preflight import check

    # Settings kam cannot use are among the problems listed, not a reason to stop.
    report = check(load_settings({**os.environ, "KAM_DUCKDB_MEMORY_LIMIT": ""}))
    print(report.text())
    return 0 if report.ok else 1


def _cmd_contracts(args: argparse.Namespace) -> int:
    from ingestion.contracts import contracts_markdown

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
    quiet: bool = False,
    full_refresh: bool = False,
    accept_gates: Sequence[str] = (),
) -> bool:
    """Run the nightly job for ``business_date`` in this process: print a line per step as it
    finishes (unless ``quiet``), then a summary."""
    from orchestration.dbt_project import ManifestMissingError
    from orchestration.instance import DagsterHomeError
    from orchestration.runner import (
        BusinessDateError,
        RunLockedError,
        StepProgress,
        execute_nightly,
    )

    # Bound now: while the job runs, stdout is redirected into the run's log file.
    out = sys.stdout

    def show(step: StepProgress) -> None:
        print(step.line(), file=out, flush=True)

    if not quiet:
        print(f"kam run for {business_date}: a line per step as it finishes", flush=True)
    try:
        outcome = execute_nightly(
            settings,
            business_date,
            verbose=verbose,
            full_refresh=full_refresh,
            accept_gates=accept_gates,
            on_step=None if quiet else show,
        )
    except (BusinessDateError, DagsterHomeError, ManifestMissingError, RunLockedError) as exc:
        raise UserError(str(exc)) from None
    print(outcome.report())
    return outcome.success


if __name__ == "__main__":
    raise SystemExit(main())
