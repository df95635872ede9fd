"""The whole nightly job on Spark (`kam run --engine spark`) gives the customer facts and the
scores the DuckDB night gives, row for row, on a first night and on an incremental second night
that brings a corrected order line and, being the first night of a quarter whose predecessor's
last night never ran, builds the quarter-end facts the credit grades are evaluated on.

One small demo landing folder feeds two kam homes: one runs on DuckDB, the other on Spark (raw
tables exported to Spark, dbt on Spark, marts copied back, scores exported). The first Spark
night runs on local Spark sessions, one per step; the second, and the dbt unit tests after it,
through a Spark Connect server over the same Spark warehouse (`kam spark-server`,
`KAM_SPARK_REMOTE`). Each night is a `kam run` process of its own (the job's graph is fixed per
process by its engine). Integers, strings, dates and decimals must be equal, doubles equal to
1e-9 relative.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from spark_jvm import JAVA_OPTIONS_ENV, TEST_JAVA_OPTIONS

from demo import generate_demo
from orchestration.dbt_project import manifest_path_or_raise
from orchestration.engine import SPARK_INSTALL, missing_for
from warehouse.settings import DBT_PROJECT_DIR, dbt_environment
from warehouse.spark.connect_server import listening

MISSING = missing_for("spark")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING), reason=f"needs {', '.join(MISSING)}: {SPARK_INSTALL} (and a Java 17 runtime)"
    ),
]

FIRST_NIGHT = date(2025, 12, 30)
# The night of 2025-12-31 is skipped: the second night builds the facts as of that quarter's end
# (2025Q4) in a step of its own before its own facts (`quarter_end_facts`).
QUARTER_END = date(2025, 12, 31)
SECOND_NIGHT = date(2026, 1, 1)
ENGINES = ("duckdb", "spark")
# The corrected order line: first landed with the initial extract (2025-12-29), corrected in a
# second file of the 2026-01-01 folder (quantity, amounts and cost changed).
CORRECTED_FILE = "part-0002.csv"
# Written by each run for itself: not compared.
PER_RUN = {"run_id"}


@dataclass
class Night:
    as_of_date: date
    # Per engine: the warehouse's facts and current scores after the night, and the columns of
    # every mart, in order.
    facts: dict[str, list[dict[str, Any]]]
    scores: dict[str, list[dict[str, Any]]]
    credit_grades: dict[str, list[dict[str, Any]]]
    mart_columns: dict[str, dict[str, list[str]]]
    # Versions of the corrected line in Spark's raw table, and the score rows Spark holds.
    spark_corrected_versions: int
    spark_scores: pl.DataFrame
    # The output of the night's Spark steps (their logs), keyed by step.
    spark_step_logs: dict[str, str]


@dataclass
class SparkNights:
    nights: list[Night]
    # `dbt test --select test_type:unit` on Spark after the nights: its output, exit code and
    # the status of each unit test (run_results.json).
    unit_tests_output: str
    unit_tests_returncode: int
    unit_test_statuses: dict[str, str]
    # The Spark home, the Spark Connect server's URL, what `kam spark-server` printed when it
    # was ready, its exit code after SIGTERM, and whether its port still took connections then
    # (the Java server runs in a session of its own: only kam can stop it).
    spark_home: Path
    server_url: str
    server_banner: str
    server_returncode: int
    server_port_open_after_stop: bool
    # The error of a client asking that server for another Spark warehouse.
    wrong_warehouse_error: str


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


def kam_environment() -> dict[str, str]:
    """The environment of the test's kam processes: none of the shell's kam settings."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("KAM_", "DBT_", "SPARK_")) and name != "DAGSTER_HOME"
    }
    environ[JAVA_OPTIONS_ENV] = TEST_JAVA_OPTIONS
    return environ


def kam_run(
    home: Path, landing: Path, day: date, engine: str, remote: str | None = None
) -> subprocess.Popen:
    """`kam run` for ``day`` on ``engine`` in a process of its own, started now; through the
    Spark Connect server ``remote`` if given."""
    environ = kam_environment()
    environ["KAM_LANDING_DIR"] = str(landing)
    if remote is not None:
        environ["KAM_SPARK_REMOTE"] = remote
    command = [sys.executable, "-m", "orchestration.cli", "--home", str(home), "--quiet"]
    command += ["run", "--date", day.isoformat(), "--engine", engine]
    return subprocess.Popen(
        command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def start_spark_server(home: Path, port: int) -> tuple[subprocess.Popen, str]:
    """`kam spark-server` over ``home``'s Spark warehouse; returns it and the line it printed
    once the server listened."""
    command = [sys.executable, "-m", "orchestration.cli", "--home", str(home)]
    server = subprocess.Popen(
        [*command, "spark-server", "--port", str(port)], env=kam_environment(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    banner = server.stdout.readline()
    if not banner.startswith("Spark Connect server"):
        stop_spark_server(server)  # never leave a server behind
        pytest.fail(f"kam spark-server did not start:\n{banner}{server.stdout.read()}")
    return server, banner


def stop_spark_server(server: subprocess.Popen) -> int:
    """SIGTERM, as a service manager stops it (Ctrl-C takes the same way out:
    test_cli.py); its exit code."""
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=120)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        raise


def wrong_warehouse_error(home: Path, remote: str) -> str:
    """What a client asking the server for another Spark warehouse is told."""
    probe = "from pathlib import Path; from warehouse.spark.session import spark_session\n"
    probe += f"spark_session(Path({str(home / 'elsewhere')!r}), remote={remote!r})"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=kam_environment(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    return done.stderr.strip().splitlines()[-1]


def rows(warehouse: Path, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from {table}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def mart_columns(warehouse: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found: dict[str, list[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'marts' "
            "order by table_name, column_index"
        ).fetchall():
            found.setdefault(table, []).append(column)
        return found


def spark_table(home: Path, schema: str, table: str) -> pl.DataFrame:
    """A Spark table of the home's Spark warehouse, read from its Parquet files (no Spark)."""
    folder = home / "warehouse" / "spark" / "tables" / f"{schema}.db" / table
    return pl.read_parquet(folder / "**" / "*.parquet", hive_partitioning=True)


def dbt_unit_tests_on_spark(home: Path, remote: str) -> subprocess.CompletedProcess:
    """The dbt project's unit tests on the Spark engine of ``home`` through the Spark Connect
    server ``remote`` (the nightly job leaves them to the test suite), in a process of their
    own."""
    environ = kam_environment()
    environ.update(
        dbt_environment(
            home / "warehouse" / "kam.duckdb",
            SECOND_NIGHT,
            spark_warehouse=home / "warehouse" / "spark",
            spark_remote=remote,
        )
    )
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [str(dbt), "test", "--select", "test_type:unit", "--profiles-dir", str(DBT_PROJECT_DIR),
         "--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(home / "dbt_unit_tests")],
        env=environ, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def spark_nights(tmp_path_factory: pytest.TempPathFactory) -> SparkNights:
    work = tmp_path_factory.mktemp("spark_night")
    generate_demo(
        work / "demo", seed=11, customers=50, lines=3000, history_days=400,
        end_date=SECOND_NIGHT, daily_days=3,
    )  # fmt: skip
    landing = work / "demo" / "landing"
    homes = {engine: work / engine for engine in ENGINES}
    results = []
    server, port, remote, corrected = None, 0, None, None
    try:
        for night in (FIRST_NIGHT, SECOND_NIGHT):
            if night == SECOND_NIGHT:
                corrected = land_correction(landing)
                port = free_port()
                server, banner = start_spark_server(homes["spark"], port)
                remote = f"sc://localhost:{port}"
            results.append(run_night(homes, landing, night, remote, corrected))
        wrong_warehouse = wrong_warehouse_error(homes["spark"], remote)
        unit_tests = dbt_unit_tests_on_spark(homes["spark"], remote)
    finally:
        server_returncode = stop_spark_server(server) if server is not None else None
    port_open_after_stop = listening(port)
    run_results = homes["spark"] / "dbt_unit_tests" / "run_results.json"
    statuses = (
        {
            result["unique_id"]: result["status"]
            for result in json.loads(run_results.read_text(encoding="utf-8"))["results"]
            if result["unique_id"].startswith("unit_test.")
        }
        if run_results.exists()
        else {}
    )
    return SparkNights(
        results,
        unit_tests.stdout + unit_tests.stderr,
        unit_tests.returncode,
        statuses,
        homes["spark"],
        remote,
        banner,
        server_returncode,
        port_open_after_stop,
        wrong_warehouse,
    )


def run_night(
    homes: dict[str, Path],
    landing: Path,
    night: date,
    remote: str | None,
    corrected: tuple[str, int] | None,
) -> Night:
    """Both engines' nights, side by side (they share nothing but the landing folder), and
    what the test compares after them."""
    remotes = {"duckdb": None, "spark": remote}
    runs = {e: kam_run(homes[e], landing, night, e, remotes[e]) for e in ENGINES}
    for engine, run in runs.items():
        output, _ = run.communicate()
        assert run.returncode == 0, f"{engine} night {night} failed:\n{output}"
    warehouses = {engine: home / "warehouse" / "kam.duckdb" for engine, home in homes.items()}
    spark_raw = spark_table(homes["spark"], "raw", "transactions")
    versions = 0
    if corrected is not None:
        order_id, line_number = corrected
        versions = spark_raw.filter(
            (pl.col("order_id") == order_id) & (pl.col("line_number") == line_number)
        ).height
    return Night(
        night,
        {e: rows(w, "marts.fct_customer_facts") for e, w in warehouses.items()},
        {e: rows(w, "scores.customer_scores") for e, w in warehouses.items()},
        {e: rows(w, "scores.credit_grades") for e, w in warehouses.items()},
        {e: mart_columns(w) for e, w in warehouses.items()},
        versions,
        spark_table(homes["spark"], "scores", "customer_scores"),
        {
            step: (homes["spark"] / "logs" / f"spark-{step}.log").read_text(encoding="utf-8")
            for step in ("export-raw", "copy-marts", "export-scores")
        },
    )


@pytest.fixture(scope="module")
def nights(spark_nights: SparkNights) -> list[Night]:
    return spark_nights.nights


def differences(
    expected: list[dict], actual: list[dict], date_column: str = "as_of_date"
) -> dict[str, str]:
    """Per column, how many rows differ and the first of them, between two sets of rows keyed
    by (``date_column``, customer_id); rows on one side only come under "rows"."""
    found: dict[str, list[str]] = {}
    key = lambda row: (row[date_column], row["customer_id"])  # noqa: E731
    left, right = {key(r): r for r in expected}, {key(r): r for r in actual}
    for row_key in sorted(left.keys() ^ right.keys()):
        side = "DuckDB" if row_key in left else "Spark"
        found.setdefault("rows", []).append(f"{row_key} only on {side}")
    for row_key in sorted(left.keys() & right.keys()):
        for column, want in left[row_key].items():
            if column in PER_RUN:
                continue
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


def test_first_night_facts_and_scores_equal_duckdbs(nights: list[Night]) -> None:
    night = nights[0]
    facts, scores = night.facts, night.scores
    # the 49 customers landed by the first night (the 50th lands on the second)
    assert len(facts["duckdb"]) == 49 and len(scores["duckdb"]) == 49
    assert {row["as_of_date"] for row in facts["spark"]} == {FIRST_NIGHT}
    # The marts BI reads have the same columns in the same order.
    assert set(night.mart_columns["duckdb"]) == {
        "fct_customer_facts",
        "dim_customers",
        "dim_customers_history",
    }
    assert night.mart_columns["spark"] == night.mart_columns["duckdb"]
    assert differences(facts["duckdb"], facts["spark"]) == {}
    assert set(scores["duckdb"][0]) == set(scores["spark"][0])
    assert differences(scores["duckdb"], scores["spark"]) == {}


def test_corrected_second_night_facts_and_scores_equal_duckdbs(nights: list[Night]) -> None:
    first, second = nights
    # The correction reached Spark's raw table as a second version of the line, and the facts
    # of the second night sit beside the first night's, which were kept.
    assert second.spark_corrected_versions == 2
    assert {row["as_of_date"] for row in second.facts["spark"]} == {
        FIRST_NIGHT,
        QUARTER_END,
        SECOND_NIGHT,
    }
    assert len(second.facts["duckdb"]) > len(first.facts["duckdb"])
    assert differences(second.facts["duckdb"], second.facts["spark"]) == {}
    assert {row["as_of_date"] for row in second.scores["spark"]} == {SECOND_NIGHT}
    assert differences(second.scores["duckdb"], second.scores["spark"]) == {}


def test_quarter_end_facts_and_credit_grades_equal_duckdbs(nights: list[Night]) -> None:
    first, second = nights
    # The skipped night's facts were built by the quarter-end step on each engine: one row for
    # each of the 49 customers landed by 2025-12-31 (the 50th lands on 2026-01-01).
    for engine in ENGINES:
        at_quarter_end = [r for r in second.facts[engine] if r["as_of_date"] == QUARTER_END]
        assert len(at_quarter_end) == 49, engine
    # The first night evaluated 2025Q3, when no customer had landed: no grades. The second
    # grades 2025Q4 on those facts, on Spark as on DuckDB.
    assert first.credit_grades == {"duckdb": [], "spark": []}
    for engine in ENGINES:
        quarters = {(r["credit_quarter"], r["credit_quarter_end_date"]) for r in
                    second.credit_grades[engine]}  # fmt: skip
        assert quarters == {("2025Q4", QUARTER_END)}, engine
        assert len(second.credit_grades[engine]) == 49, engine
    assert (
        differences(
            second.credit_grades["duckdb"], second.credit_grades["spark"], "credit_quarter_end_date"
        )
        == {}
    )


def test_the_scores_are_written_back_to_spark(nights: list[Night]) -> None:
    for night in nights:
        written = night.spark_scores.to_dicts()
        assert len(written) == len(night.scores["spark"])
        assert list(written[0]) == list(night.scores["spark"][0])
        # every column, row for row, as the Spark home's DuckDB warehouse holds them
        assert differences(night.scores["spark"], written) == {}


def test_the_dbt_unit_tests_pass_on_spark(spark_nights: SparkNights) -> None:
    manifest = json.loads(Path(manifest_path_or_raise()).read_text(encoding="utf-8"))
    assert len(manifest["unit_tests"]) >= 1
    assert spark_nights.unit_tests_returncode == 0, spark_nights.unit_tests_output
    # every unit test of the project ran on Spark, and passed
    assert spark_nights.unit_test_statuses == dict.fromkeys(manifest["unit_tests"], "pass")


def test_the_second_night_ran_through_kam_spark_server(spark_nights: SparkNights) -> None:
    home, url = spark_nights.spark_home, spark_nights.server_url
    tables = home / "warehouse" / "spark" / "tables"
    assert spark_nights.server_banner == (
        f"Spark Connect server over {home / 'warehouse' / 'spark'} at {url} (log: "
        f"{home / 'logs' / 'spark-connect-server.log'}). Nights use it with "
        f"KAM_SPARK_REMOTE={url} kam run --engine spark. Ctrl-C stops it.\n"
    )
    # SIGTERM stopped it cleanly, its Java server too.
    assert spark_nights.server_returncode == 0
    assert not spark_nights.server_port_open_after_stop
    # Its log starts with its command line: the spark target's settings for this home.
    log = (home / "logs" / "spark-connect-server.log").read_text(encoding="utf-8")
    command = log.splitlines()[0].split()
    assert command[1:3] == ["--class", "org.apache.spark.sql.connect.service.SparkConnectServer"]
    assert f"spark.sql.warehouse.dir={tables}" in command
    # A Java process with Spark says so when it starts: each step of the first night started
    # one, those of the second were the server's clients.
    spark_starts = "Using Spark's default log4j profile"
    assert spark_starts in log
    first, second = spark_nights.nights
    assert all(spark_starts in output for output in first.spark_step_logs.values())
    assert not any(spark_starts in output for output in second.spark_step_logs.values())
    # A client asking it for another Spark warehouse is refused, naming both folders.
    assert spark_nights.wrong_warehouse_error == (
        f"warehouse.spark.session.SparkSessionError: the Spark Connect server at {url} keeps "
        f"its tables in file:{tables}, not in {home / 'elsewhere' / 'tables'}: start it for "
        "this Spark warehouse (kam spark-server), or set KAM_SPARK_WAREHOUSE to the folder "
        f"holding file:{tables}"
    )
