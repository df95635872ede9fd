"""Does a night cost more when more history is kept? One JSON report per run.

    .venv/bin/python bench/history.py --from DIR --earlier-dates 60 --json OUT

``DIR`` is a folder kept by ``bench/run.py --keep DIR`` (the go-live night and the next one have
run). The script copies it, gives the copy ``--earlier-dates`` more dates of history — the
go-live date's facts and score history repeated on each of that many dates before it, as if the
job had run every night since then — and runs the next two nights. The first of them publishes
the added history once (a first publication after the history grew); the second is the
measured night. With ``--earlier-dates 0`` the same two nights run on the plain copy, so two
reports compare the same night with and without the history. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import (  # noqa: E402  (bench/ is not a package)
    BenchmarkError,
    RssSampler,
    home_settings,
    run_nightly,
)
from run import _run_json, machine, versions  # noqa: E402


def add_history(warehouse: Path, first: date, dates: int) -> dict[str, int]:
    """Repeat ``first``'s rows of the history tables on the ``dates`` days before it, logged as
    their writers would have logged them; returns each table's row count after."""
    from warehouse import partition_writes

    counts = {}
    with duckdb.connect(str(warehouse)) as con:
        for table in partition_writes.HISTORY_TABLES:
            # One date at a time, oldest first, as nightly runs would have written them (so each
            # date's rows stay together in the table's storage).
            for k in range(dates, 0, -1):
                day = first - timedelta(days=k)
                con.execute(
                    f"insert into {table} select * replace (cast(? as date) as as_of_date) "
                    f"from {table} where as_of_date = ?",
                    [day, first],
                )
                partition_writes.record(con, table, day)
            counts[table] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    return counts


def measure(source: Path, work: Path, dates: int) -> dict[str, Any]:
    """Copy ``source`` to ``work``, add ``dates`` earlier dates, run the next two nights."""
    from warehouse.settings import environment

    shutil.copytree(source, work, symlinks=True)
    settings = home_settings(work)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        first, last = con.execute(
            "select min(as_of_date), max(as_of_date) from marts.fct_customer_facts"
        ).fetchall()[0]
    rows = add_history(settings.warehouse_path, first, dates) if dates else {}
    report: dict[str, Any] = {"earlier_dates": dates, "history_rows": rows}
    with environment({"DAGSTER_HOME": str(work / "dagster")}), RssSampler() as sampler:
        publishing = run_nightly(settings, last + timedelta(days=1), sampler)
        measured = run_nightly(settings, last + timedelta(days=2), sampler)
    report["first_night"] = _run_json(publishing, sampler)
    report["measured_night"] = _run_json(measured, sampler)
    report["sizes_mib"] = {
        "warehouse": round(settings.warehouse_path.stat().st_size / 2**20, 1),
        "published": round(settings.published_path.stat().st_size / 2**20, 1),
    }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="source", type=Path, required=True, help="a bench/run.py --keep folder"
    )
    parser.add_argument("--earlier-dates", type=int, required=True, help="dates of history added")
    parser.add_argument("--json", type=Path, required=True, help="where to write the report")
    args = parser.parse_args(argv)
    if not (args.source / "warehouse" / "kam.duckdb").is_file():
        parser.error(
            f"--from {args.source}: no warehouse/kam.duckdb (use a bench/run.py --keep DIR)"
        )
    if args.earlier_dates < 0:
        parser.error(f"--earlier-dates must be 0 or more, got {args.earlier_dates}")
    warnings.simplefilter("ignore")
    work = Path(tempfile.mkdtemp(prefix="kam-history-")) / "home"
    try:
        report = {
            "machine": machine(),
            "versions": versions(),
            "load_average_start": [round(v, 2) for v in os.getloadavg()],
            **measure(args.source.resolve(), work, args.earlier_dates),
            "load_average_end": [round(v, 2) for v in os.getloadavg()],
        }
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    night = report["measured_night"]
    print(
        json.dumps(
            {
                "earlier_dates": args.earlier_dates,
                "wall_s": night["wall_s"],
                "phases": night["phases"],
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
