"""The ``kam`` command line's grammar: commands, options and their help."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path

from orchestration.cli.churn import cmd_backtest, cmd_bgnbd
from orchestration.cli.demo import cmd_demo
from orchestration.cli.inputs import cmd_check, cmd_contracts, cmd_map
from orchestration.cli.outputs import cmd_docs, cmd_report
from orchestration.cli.prepare import cmd_prepare
from orchestration.cli.runs import cmd_backfill, cmd_run
from orchestration.cli.spark import cmd_spark_server
from warehouse.settings import ENGINES, SPARK_CONNECT_PORT, remote_address

#: Runs a command with its parsed arguments and returns the exit code.
Handler = Callable[[argparse.Namespace], int]

DESCRIPTION = (
    "kam: the nightly key-account warehouse. Generate demo landing files, check the "
    "configuration and landing folders, run or backfill business dates, build the dbt docs "
    "and the report. Global options (--home, --verbose, --quiet) may also follow the command."
)


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


def _engine_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="where dbt builds the warehouse: duckdb (embedded) or spark (a local Spark "
        "session: needs Java 17 and the spark extra, docs/spark.md); default: $KAM_ENGINE, "
        "else duckdb",
    )
    command.add_argument(
        "--spark-remote",
        default=None,
        type=_spark_connect_url,
        metavar="URL",
        help="with --engine spark: work through the Spark Connect server at URL "
        "(sc://host:port, e.g. one kam spark-server runs) instead of local Spark sessions; "
        "default: $KAM_SPARK_REMOTE",
    )


def _spark_connect_url(value: str) -> str:
    try:
        remote_address(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a Spark Connect URL: write it as sc://host:port "
            "(e.g. sc://localhost:15002)"
        ) from None
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _global_options(parser, defaults=True)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)

    def command(
        name: str, handler: Handler, summary: str, description: str = ""
    ) -> argparse.ArgumentParser:
        """A subcommand run by ``handler``, whose help shows ``summary`` in the list and a
        description of its own."""
        parser = sub.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}. {description}".strip(),
            parents=[common],
        )
        parser.set_defaults(handler=handler)
        return parser

    demo = command(
        "demo",
        cmd_demo,
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

    command(
        "prepare",
        cmd_prepare,
        "parse the dbt project (builds the manifest) and give the Dagster home a dagster.yaml",
        "The Dagster definitions load the manifest; the dagster.yaml turns telemetry off and "
        "sets the warehouse pool's limit. An existing dagster.yaml is kept as it is (one an "
        "earlier kam wrote is renewed).",
    )

    run = command(
        "run",
        cmd_run,
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
    _engine_option(run)

    backfill = command(
        "backfill",
        cmd_backfill,
        "run the job for each date of a range, in order",
        "One run per business date, oldest first, stopping at the first that fails. Before "
        "each date it prints 'date i/n' and, from the second on, the time the rest should take.",
    )
    backfill.add_argument("--start", required=True, help="first business date YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last business date YYYY-MM-DD")
    _engine_option(backfill)

    spark_server = command(
        "spark-server",
        cmd_spark_server,
        "run a Spark Connect server over this home's Spark warehouse until Ctrl-C",
        "The server holds the Spark engine's catalog and settings (dbt_project/profiles.yml, "
        "target spark); nights run through it with KAM_SPARK_REMOTE=sc://localhost:PORT and "
        "--engine spark, without a Java process per step. Needs Java 17 and the spark extra.",
    )
    spark_server.add_argument(
        "--port",
        type=int,
        default=SPARK_CONNECT_PORT,
        help="port to listen on (default: %(default)s)",
    )

    backtest = command(
        "backtest",
        cmd_backtest,
        "measure the churn probability on past business dates whose outcome is known",
        "A date D is measured when the warehouse holds facts as of D and as of D + horizon; "
        "the results go to scores.churn_model_quality beside the simple baselines.",
    )
    backtest.add_argument("--start", help="first business date YYYY-MM-DD (default: all)")
    backtest.add_argument("--end", help="last business date YYYY-MM-DD (default: all)")

    bgnbd = command(
        "bgnbd",
        cmd_bgnbd,
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

    docs = command(
        "docs",
        cmd_docs,
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

    command(
        "check",
        cmd_check,
        "check the configuration and the landing folders without running anything",
        "Reads scoring.yaml, the mappings, kam's KAM_* settings and every landing folder (folder "
        "names, file encodings, headers against the mappings) with the run's own checks, and "
        "lists every problem with its fix. Exit code 0: no problem; 1: problems listed.",
    )

    command(
        "contracts",
        cmd_contracts,
        "print the input contracts as Markdown",
        "The columns each source must provide, with types and rules (docs/contracts.md).",
    )

    _add_map_parser(sub, common)
    _add_report_parser(sub, common)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kam")
    except PackageNotFoundError:
        return "(not installed; run make setup)"


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
    mapping.set_defaults(handler=cmd_map)


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
    report.set_defaults(handler=cmd_report)
