"""``kam report`` and ``kam docs``: build what readers of the published warehouse open."""

from __future__ import annotations

import argparse

from orchestration.cli.common import UserError, parse_date, settings_of
from warehouse.settings import environment


def cmd_report(args: argparse.Namespace) -> int:
    """Build the report as the nightly job does, from the published copy (docs/report.md)."""
    import dagster as dg

    from orchestration.assets.report import REPORT_SUBDIR, run_gates
    from orchestration.instance import dagster_home_of
    from report import ReportDataError, build_report
    from report.browser import BrowserMissingError, take_screenshots

    settings = settings_of(args)
    business_date = parse_date(args.date, "--date") if args.date else None
    dagster_home = dagster_home_of(settings.home)

    def gates_of_run(run_id: str):
        """The checks of the run that scored the date, from the Dagster home kam runs use."""
        if not (dagster_home / "dagster.yaml").is_file():
            return None
        with (
            environment({"DAGSTER_HOME": str(dagster_home)}),
            dg.DagsterInstance.get() as instance,
        ):
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


def cmd_docs(args: argparse.Namespace) -> int:
    from orchestration.dbt_docs import DocsError, build_docs, serve_docs

    settings = settings_of(args)
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
