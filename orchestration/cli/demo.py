"""``kam demo``: write the demo generator's landing files into the home."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from orchestration.cli.common import UserError, settings_of


def cmd_demo(args: argparse.Namespace) -> int:
    from demo import DemoError, generate_demo

    settings = settings_of(args)
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
