"""``python -m warehouse.spark <step>``: one Spark step of a night, in a process of its own
(:mod:`warehouse.spark.child` says why). Prints what it wrote as one line of JSON."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from warehouse.settings import connect_warehouse
from warehouse.spark.child import STEPS
from warehouse.spark.session import spark_session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.spark", description=__doc__)
    parser.add_argument("step", choices=STEPS)
    parser.add_argument("--warehouse", type=Path, required=True, help="the DuckDB warehouse")
    parser.add_argument("--spark-warehouse", type=Path, required=True)
    parser.add_argument("--spark-remote", help="a Spark Connect server, sc://host:port")
    parser.add_argument(
        "--as-of", type=date.fromisoformat, action="append", default=[],
        help="a business date dbt built (copy-marts; repeat for several)",
    )  # fmt: skip
    parser.add_argument("--mart", action="append", default=[], help="schema.table (copy-marts)")
    args = parser.parse_args(argv)
    if args.step == "copy-marts" and not (args.as_of and args.mart):
        parser.error("copy-marts needs --as-of and at least one --mart")
    session = spark_session(args.spark_warehouse, remote=args.spark_remote)
    try:
        with connect_warehouse(args.warehouse) as con:
            summary = _run(args, session, con)
    finally:
        session.stop()
    print(json.dumps(summary, default=str))
    return 0


def _run(args: argparse.Namespace, session, con) -> dict:
    if args.step == "export-raw":
        from warehouse.spark.raw import export_raw

        return _written(export_raw(con, session))
    if args.step == "export-scores":
        from warehouse.spark.scores import export_scores

        return _written(export_scores(con, session))
    from warehouse.spark.marts import copy_marts

    return copy_marts(session, con, args.mart, args.as_of)


def _written(exports: list) -> dict[str, list[str | None]]:
    """Per table, the partitions written (None: the whole table)."""
    return {e.table: [d.isoformat() if d else None for d in e.written] for e in exports}


if __name__ == "__main__":
    raise SystemExit(main())
