"""Ingestion of many landing folders, one at a time and side by side (``KAM_INGEST_THREADS``).

    .venv/bin/python bench/ingest_folders.py --folders 200 --threads 1 2 4 --json ingest.json

A go-live, a backfill or a catch-up after an outage lands many date folders at once. This
generates a small demo, copies one day's export of every source into ``--folders`` consecutive
date folders, and times ``sync_landing`` over all of them into a new warehouse for each thread
count (the best of ``--repeats``). Every thread count must write the same rows: the script
compares each warehouse's raw tables, quarantine and ledger with the one-thread load's and
exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import duckdb

from demo import generate_demo
from ingestion import sync_landing
from ingestion.contracts import SOURCES
from warehouse.settings import connect_warehouse


def land_folders(work: Path, folders: int, lines: int) -> tuple[Path, date]:
    """A landing area of ``folders`` date folders per source, each holding one demo day's files
    (lines dated on or before their folder's date); returns it and its last date."""
    demo = generate_demo(work / "demo", seed=42, lines=lines, overwrite=True)
    first = demo.go_live + timedelta(days=1)
    landing = work / "landing"
    for source in SOURCES:
        day = first.isoformat()
        template = work / "demo" / "landing" / source / day
        if not template.is_dir():  # the demo lands some sources every other day
            day = min(
                p.name for p in (work / "demo" / "landing" / source).iterdir() if p.name > day
            )
            template = template.parent / day
        start = date.fromisoformat(day)
        for k in range(folders):
            shutil.copytree(template, landing / source / (start + timedelta(days=k)).isoformat())
    last = max(date.fromisoformat(p.name) for s in SOURCES for p in (landing / s).iterdir())
    return landing, last


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """What ingestion wrote, without load times and run ids."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            source: f"select * exclude (_loaded_at) from raw.{source} order by all"
            for source in SOURCES
        }
        tables["quarantine"] = (
            "select * exclude (quarantined_at, run_id) from raw.quarantine order by all"
        )
        tables["ledger"] = (
            "select * exclude (loaded_at, run_id) from raw.ingestion_ledger order by all"
        )
        return {name: con.execute(query).fetchall() for name, query in tables.items()}


def load(landing: Path, last: date, warehouse: Path, threads: int) -> float:
    """Seconds to ingest every folder into a new ``warehouse`` with ``threads``."""
    warehouse.unlink(missing_ok=True)
    with connect_warehouse(warehouse) as con:
        start = time.perf_counter()
        results = sync_landing(con, landing, {}, up_to=last, run_id="bench", threads=threads)
        seconds = time.perf_counter() - start
    if {r.status for r in results} != {"loaded"}:
        raise SystemExit(f"expected every folder loaded, got {sorted({r.status for r in results})}")
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=200, help="date folders per source")
    parser.add_argument("--lines", type=int, default=20_000, help="order lines of the demo")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kam-ingest-bench-") as tmp:
        work = Path(tmp)
        landing, last = land_folders(work, args.folders, args.lines)
        report: dict[str, object] = {
            "folders_per_source": args.folders,
            "sources": len(SOURCES),
            "demo_lines": args.lines,
        }
        seconds, differing = {}, []
        reference = None
        for threads in sorted(set([1, *args.threads])):
            warehouse = work / f"w{threads}.duckdb"
            seconds[threads] = round(
                min(load(landing, last, warehouse, threads) for _ in range(args.repeats)), 2
            )
            rows = snapshot(warehouse)
            reference = reference or rows
            differing += [f"{threads} threads: {t}" for t in rows if rows[t] != reference[t]]
        report["seconds_by_threads"] = seconds
        report["tables_differing_from_one_thread"] = differing
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
