"""``kam run`` and ``kam backfill``: run business dates in this process, one line per step."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta

from orchestration.cli.common import UserError, is_iso_date, parse_date, settings_of
from orchestration.cli.prepare import prepare_if_changed
from warehouse.settings import Settings


def cmd_run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    business_date = resolve_business_date(args.date, settings)
    if args.date is None:
        print(f"kam run: no --date given; running the newest landed business date {business_date}")
    prepare_if_changed(settings)
    ok = run_job(
        settings,
        business_date,
        verbose=args.verbose,
        quiet=args.quiet,
        full_refresh=args.full_refresh,
        accept_gates=args.accept_gate,
    )
    return 0 if ok else 1


def cmd_backfill(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    start, end = parse_date(args.start, "--start"), parse_date(args.end, "--end")
    if end < start:
        raise UserError(f"--end {end} is before --start {start}; swap them")
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    from orchestration.runner import BusinessDateError, check_business_date

    for option, day in (("--start", start), ("--end", end)):
        try:
            check_business_date(settings, day)
        except BusinessDateError as exc:
            raise UserError(f"{option} {day}: {exc}") from None
    prepare_if_changed(settings)
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


def resolve_business_date(value: str | None, settings: Settings) -> date:
    """Turn the ``--date`` argument into a business date: none or ``latest`` is the newest
    date with a landed folder (of any source)."""
    if value is None or value == "latest":
        dates = sorted(
            d.name
            for source in settings.landing_dir.glob("*")
            if source.is_dir()
            for d in source.iterdir()
            if d.is_dir() and is_iso_date(d.name)
        )
        if not dates:
            raise UserError(
                f"no landed folders under {settings.landing_dir}; run `kam demo` or "
                "copy exports to <landing>/<source>/<YYYY-MM-DD>/"
            )
        return parse_date(dates[-1], f"landing folder {dates[-1]}")
    return parse_date(value, "--date")


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
    from orchestration.run_lock import RunLockedError
    from orchestration.run_progress import StepProgress
    from orchestration.runner import BusinessDateError, execute_nightly

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
