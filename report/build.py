"""Build the report file for a business date next to the published copy."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from report.data import load_report_data
from report.elements import Gate
from report.page import build_page
from report.render import render_page

LATEST = "latest.html"


def report_name(business_date: date) -> str:
    return f"kam-report-{business_date.isoformat()}.html"


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote."""

    path: Path
    business_date: date
    # The stable ``latest.html``, or None when the date is older than the newest scored one
    # (a backfill does not move "latest" backwards).
    latest_path: Path | None
    size_bytes: int
    seconds: float
    customers: int
    charts: int


def build_report(
    published_path: Path,
    out_dir: Path,
    business_date: date | None = None,
    *,
    gates_of_run: Callable[[str], Sequence[Gate] | None] | None = None,
) -> ReportResult:
    """Write ``out_dir/kam-report-<date>.html`` for ``business_date`` (default: the newest
    scored date) from the published DuckDB copy, and ``latest.html`` when it is the newest.

    ``gates_of_run`` gives the quality checks of the run that scored the date (None when that
    run is unknown); the headline shows how many passed, failed and warned.
    """
    started = time.perf_counter()
    data = load_report_data(published_path, business_date)
    gates = None
    if gates_of_run is not None and data.scoring_run_id is not None:
        gates = gates_of_run(data.scoring_run_id)
    page = build_page(data, gates)
    html = render_page(page, generated_at=datetime.now(UTC).isoformat(timespec="seconds"))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / report_name(data.business_date)
    _write_atomically(path, html)
    latest = None
    if data.business_date >= data.newest_date:
        latest = out_dir / LATEST
        tmp = out_dir / f".{LATEST}.tmp"
        shutil.copyfile(path, tmp)
        os.replace(tmp, latest)
    charts = sum(
        len(s.charts) + sum(len(sub.charts) for sub in s.subsections) for s in page.sections
    )
    return ReportResult(
        path=path,
        business_date=data.business_date,
        latest_path=latest,
        size_bytes=path.stat().st_size,
        seconds=time.perf_counter() - started,
        customers=data.customers.height,
        charts=charts,
    )


def _write_atomically(path: Path, text: str) -> None:
    """A reader opening the file sees the old report or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
