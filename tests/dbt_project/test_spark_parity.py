"""The dbt project on Spark (dbt-spark, local session, Parquet tables) builds the same customer
facts as on DuckDB, row for row, on a first night and on an incremental second night that
brings a corrected order line.

A small demo is ingested into a DuckDB warehouse and built there (`--target duckdb`); its raw
tables go through Parquet into Spark raw tables of the same columns, partitioned by business
date, and the project is built again with `--target spark`. Integers, strings, dates and
decimals must be equal, doubles equal to 1e-9 relative.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest
import yaml
from dbt_helpers import DBT_PROJECT_DIR, failed_nodes, run_dbt

from demo import generate_demo
from ingestion import sync_landing

INSTALL = "pip install -e '.[spark]'"
MISSING = [
    what
    for what, present in (
        ("java", shutil.which("java") is not None),
        ("pyspark", importlib.util.find_spec("pyspark") is not None),
        ("dbt-spark", importlib.util.find_spec("dbt.adapters.spark") is not None),
    )
    if not present
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"needs {', '.join(MISSING)}: {INSTALL}, and a Java 17 runtime on PATH",
    ),
]

FIRST_NIGHT = date(2025, 12, 30)
SECOND_NIGHT = date(2025, 12, 31)
# The corrected order line: first landed with the initial extract (2025-12-29), corrected in a
# second file of the 2025-12-31 folder (quantity, amounts and cost changed).
CORRECTED_FILE = "part-0002.csv"
RAW_TABLES = (
    "customers",
    "transactions",
    "invoices",
    "payments",
    "customer_financials",
    "interactions",
    "ingestion_ledger",
)
# DuckDB column types (information_schema) as Spark column types.
SPARK_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "DOUBLE": "double",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
}


@dataclass
class Night:
    as_of_date: date
    duckdb_rows: list[dict[str, Any]]
    spark_rows: list[dict[str, Any]]
    corrected_versions: int


def spark_settings() -> dict[str, str]:
    """The `spark` target's session settings from dbt_project/profiles.yml, rendered as dbt
    renders them (env_var), so the test's session is the one dbt's session method reuses."""
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    environment = jinja2.Environment()
    environment.globals["env_var"] = lambda name, default=None: os.environ.get(name, default)
    parameters = profile["kam"]["outputs"]["spark"]["server_side_parameters"]
    return {key: environment.from_string(str(value)).render() for key, value in parameters.items()}


def spark_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.lower()
    return SPARK_TYPES[duckdb_type]


def land_correction(landing: Path) -> tuple[str, int]:
    """Write the corrected file; returns the corrected line's (order_id, line_number)."""
    initial = landing / "transactions" / "2025-12-29" / "part-0001.csv"
    header, first = initial.read_text(encoding="utf-8").splitlines()[:2]
    row = dict(zip(header.split(","), first.split(","), strict=True))
    row["quantity"] = str(int(row["quantity"]) + 3)
    row["line_amount"] = f"{float(row['line_amount']) * 1.5:.2f}"
    row["line_cost"] = f"{float(row['line_cost']) * 1.25:.2f}"
    row["unit_price"] = f"{float(row['line_amount']) / int(row['quantity']):.2f}"
    folder = landing / "transactions" / SECOND_NIGHT.isoformat()
    (folder / CORRECTED_FILE).write_text(
        header + "\n" + ",".join(row[name] for name in header.split(",")) + "\n", encoding="utf-8"
    )
    return row["order_id"], int(row["line_number"])


def load_spark_raw(spark: Any, warehouse: Path, export: Path) -> None:
    """Replace the Spark raw tables by the DuckDB warehouse's, through Parquet."""
    export.mkdir(parents=True, exist_ok=True)
    # Every partition of the raw tables is replaced, not only those in the files.
    spark.sql("set spark.sql.sources.partitionOverwriteMode = STATIC")
    spark.sql("create database if not exists raw")
    with duckdb.connect(str(warehouse)) as con:
        for table in RAW_TABLES:
            path = export / f"{table}.parquet"
            con.execute(f"copy raw.{table} to '{path}' (format parquet)")
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            ddl = ", ".join(f"`{name}` {spark_type(kind)}" for name, kind in columns)
            partitioned = " partitioned by (_business_date)" if table != "ingestion_ledger" else ""
            spark.sql(f"create table if not exists raw.{table} ({ddl}) using parquet{partitioned}")
            # Spark keeps the partition column last: select in the table's own order.
            names = ", ".join(f"`{name}`" for name in spark.table(f"raw.{table}").columns)
            spark.sql(f"insert overwrite table raw.{table} select {names} from parquet.`{path}`")


def facts_from_duckdb(warehouse: Path) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse)) as con:
        cursor = con.execute("select * from marts.fct_customer_facts")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Night]]:
    from pyspark.sql import SparkSession

    work = tmp_path_factory.mktemp("spark_parity")
    home = work / "home"
    generate_demo(home, seed=11, customers=50, lines=3000, history_days=400, daily_days=2)
    corrected_line = land_correction(home / "landing")
    warehouse = work / "duckdb" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("KAM_WAREHOUSE_PATH", str(warehouse))
        monkeypatch.setenv("KAM_SPARK_WAREHOUSE", str(work / "spark"))
        monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        monkeypatch.delenv("KAM_AS_OF_DATE", raising=False)
        builder = SparkSession.builder.enableHiveSupport()
        for key, value in spark_settings().items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        results = []
        try:
            for night in (FIRST_NIGHT, SECOND_NIGHT):
                with duckdb.connect(str(warehouse)) as con:
                    sync_landing(con, home / "landing", {}, up_to=night, run_id=f"night-{night}")
                day = night.isoformat()
                built = run_dbt(["build", "--target", "duckdb"], work / "duckdb", as_of_date=day)
                assert built.success, failed_nodes(built)
                load_spark_raw(spark, warehouse, work / "export" / day)
                # The first night builds everything, unit and data tests included; the second
                # only runs the models (the tests passed on Spark the night before, and the
                # facts are compared with DuckDB's below): the suite keeps under 20 minutes.
                spark_build = ["build", "--target", "spark"]
                if night != FIRST_NIGHT:
                    spark_build = ["run", "--target", "spark"]
                built = run_dbt(spark_build, work / "spark_dbt", as_of_date=day)
                assert built.success, failed_nodes(built)
                versions = spark.sql(
                    "select count(*) from raw.transactions where order_id = '{}'"
                    " and line_number = {}".format(*corrected_line)
                ).collect()[0][0]
                results.append(
                    Night(
                        night,
                        facts_from_duckdb(warehouse),
                        [row.asDict() for row in spark.table("marts.fct_customer_facts").collect()],
                        versions,
                    )
                )
            yield results
        finally:
            spark.stop()


def differences(expected: list[dict], actual: list[dict]) -> dict[str, str]:
    """Per column, how many rows differ and the first of them, between two sets of fact rows
    keyed by (as_of_date, customer_id); rows on one side only come under "rows"."""
    found: dict[str, list[str]] = {}
    key = lambda row: (row["as_of_date"], row["customer_id"])  # noqa: E731
    left, right = {key(r): r for r in expected}, {key(r): r for r in actual}
    for row_key in sorted(left.keys() ^ right.keys()):
        side = "DuckDB" if row_key in left else "Spark"
        found.setdefault("rows", []).append(f"{row_key} only on {side}")
    for row_key in sorted(left.keys() & right.keys()):
        for column, want in left[row_key].items():
            got = right[row_key].get(column, "<no such column>")
            if isinstance(want, float) and isinstance(got, float):
                same = math.isclose(want, got, rel_tol=1e-9) or (
                    math.isnan(want) and math.isnan(got)
                )
            else:
                same = want == got and type(want) is type(got)
            if not same:
                found.setdefault(column, []).append(f"{row_key}: DuckDB {want!r}, Spark {got!r}")
    return {column: f"{len(rows)} rows, e.g. {rows[0]}" for column, rows in found.items()}


def test_first_night_facts_equal_duckdb(nights: list[Night]) -> None:
    night = nights[0]
    assert night.duckdb_rows
    assert {row["as_of_date"] for row in night.spark_rows} == {FIRST_NIGHT}
    assert set(night.duckdb_rows[0]) == set(night.spark_rows[0])
    assert differences(night.duckdb_rows, night.spark_rows) == {}


def test_corrected_second_night_facts_equal_duckdb(nights: list[Night]) -> None:
    first, second = nights
    # The correction landed as a second version of the line, and the second night added its
    # date's rows beside the first night's, which it kept.
    assert (first.corrected_versions, second.corrected_versions) == (1, 2)
    assert {row["as_of_date"] for row in second.spark_rows} == {FIRST_NIGHT, SECOND_NIGHT}
    assert len(second.duckdb_rows) > len(first.duckdb_rows)
    assert differences(second.duckdb_rows, second.spark_rows) == {}
