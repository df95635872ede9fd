"""DDL of the ``raw`` schema: a typed table per source, the ingestion ledger, the quarantine."""

from __future__ import annotations

import duckdb

from ingestion.contracts import load_contracts
from ingestion.sql import ident

LINEAGE_COLUMNS = (
    ("_business_date", "DATE"),
    ("_source_file", "VARCHAR"),
    ("_source_line", "BIGINT"),
    ("_file_checksum", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
)

LEDGER_DDL = """
create table if not exists raw.ingestion_ledger (
    source varchar not null,
    business_date date not null,
    source_file varchar,
    file_checksum varchar,
    file_bytes bigint,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    status varchar not null,
    message varchar,
    loaded_at timestamp not null,
    run_id varchar
)"""

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    source varchar not null,
    business_date date not null,
    source_file varchar not null,
    file_checksum varchar,
    line_number bigint,
    column_name varchar,
    reason varchar not null,
    raw_record varchar,
    quarantined_at timestamp not null,
    run_id varchar
)"""


def raw_table_ddl(source: str) -> str:
    """``create table if not exists raw.<source>`` with the contract's typed columns."""
    contract = load_contracts()[source]
    columns = [f"{ident(c.name)} {c.sql_type}" for c in contract.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
    return f"create table if not exists raw.{source} (\n    " + ",\n    ".join(columns) + "\n)"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and its tables if missing (safe to call every run)."""
    con.execute("create schema if not exists raw")
    for source in load_contracts():
        con.execute(raw_table_ddl(source))
    con.execute(LEDGER_DDL)
    con.execute(QUARANTINE_DDL)
