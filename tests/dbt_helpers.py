"""Helpers for tests that run the dbt project against a throw-away DuckDB warehouse."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult

from ingestion import schema
from ingestion.schema import LEDGER_DDL

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "dbt_project"
CONTRACTS_PATH = REPO / "ingestion" / "contracts.yaml"

SQL_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "decimal(18, 4)",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
}
LINEAGE_COLUMNS = dict(schema.LINEAGE_COLUMNS)


def contract_columns() -> dict[str, list[str]]:
    """Canonical column names per source, in contract order."""
    contracts = yaml.safe_load(CONTRACTS_PATH.read_text(encoding="utf-8"))
    return {
        source: [column["name"] for column in spec["columns"]]
        for source, spec in contracts.items()
        if "columns" in spec  # the file's other keys (plausibility) are not sources
    }


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create raw.<source> as ingestion writes it: contract columns typed, then lineage; and
    the ingestion ledger, which incremental models read (the quarantine is left out).
    """
    contracts = yaml.safe_load(CONTRACTS_PATH.read_text(encoding="utf-8"))
    con.execute("create schema if not exists raw")
    for source, spec in contracts.items():
        if "columns" not in spec:  # plausibility defaults, not a source
            continue
        columns = [f"{c['name']} {SQL_TYPES[c['type']]}" for c in spec["columns"]]
        columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS.items()]
        con.execute(f"create table raw.{source} ({', '.join(columns)})")
    con.execute(LEDGER_DDL)


@contextlib.contextmanager
def raw_warehouse(work_dir: Path) -> Iterator[Path]:
    """A new warehouse file in `work_dir` with the raw tables (see create_raw_tables), and the
    environment dbt's profile reads pointed at it while the block runs."""
    path = work_dir / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("KAM_WAREHOUSE_PATH", str(path))
        monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        with duckdb.connect(str(path)) as con:
            create_raw_tables(con)
        yield path


def table_content(table: str) -> str:
    """SQL for every row of an incremental table written with `written_in_run`, in order,
    without that column: which run wrote a row differs between an incremental night and a
    full refresh by design, and nothing else may."""
    return f"select * exclude (written_in_run) from {table} order by all"


def order_line(
    order_id: str,
    line_number: int,
    customer_id: str,
    ordered_at: str,
    category: str,
    quantity: float,
    amount: float,
    cost: float,
) -> dict[str, Any]:
    """A raw.transactions row: product P-<category>, unit price = |amount / quantity|."""
    return {
        "order_id": order_id,
        "line_number": line_number,
        "customer_id": customer_id,
        "ordered_at": ordered_at,
        "product_id": f"P-{category}",
        "product_category": category,
        "quantity": quantity,
        "unit_price": abs(amount / quantity),
        "line_amount": amount,
        "line_cost": cost,
    }


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    source: str,
    business_date: str,
    rows: Iterable[dict[str, Any]],
    loaded_at: str | None = None,
) -> None:
    """Insert rows into raw.<source> as landed on `business_date`; missing columns are null.

    Like ingestion, it records the load in raw.ingestion_ledger, at `loaded_at` (default: 23:00
    on the business date; a later time stands for a re-delivered folder).
    """
    names = contract_columns()[source]
    source_file = f"landing/{business_date}/{source}.csv"
    rows = list(rows)
    loaded_at = loaded_at or f"{business_date} 23:00:00"
    for line, row in enumerate(rows, start=2):
        unknown = set(row) - set(names)
        if unknown:
            raise ValueError(f"raw.{source} has no column(s) {sorted(unknown)}")
        values = [row.get(name) for name in names]
        values += [business_date, source_file, line, "test", loaded_at]
        placeholders = ", ".join("?" for _ in values)
        con.execute(f"insert into raw.{source} values ({placeholders})", values)
    con.execute(
        "insert into raw.ingestion_ledger (source, business_date, source_file, rows_read,"
        " rows_loaded, rows_quarantined, status, loaded_at) values (?, ?, ?, ?, ?, 0, 'loaded', ?)",
        [source, business_date, source_file, len(rows), len(rows), loaded_at],
    )


def run_dbt(args: Sequence[str], work_dir: Path, as_of_date: str | None = None) -> dbtRunnerResult:
    """Run a dbt command on the repo's project with target and logs under `work_dir`."""
    cli_args = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    if as_of_date is not None:
        cli_args += ["--vars", f"{{as_of_date: '{as_of_date}'}}"]
    return dbtRunner().invoke(cli_args)


def node_statuses(result: dbtRunnerResult) -> dict[str, str]:
    """Status of every node the command ran, by unique id ('success', 'pass', 'warn', ...)."""
    if result.result is None or not hasattr(result.result, "results"):
        return {}
    return {r.node.unique_id: str(r.status) for r in result.result.results}


def failed_nodes(result: dbtRunnerResult) -> list[str]:
    """Nodes that errored or failed, with their messages, for assertion messages."""
    if result.exception is not None:
        return [str(result.exception)]
    if result.result is None or not hasattr(result.result, "results"):
        return []
    return [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in result.result.results
        if str(r.status) in {"error", "fail", "runtime error"}
    ]
