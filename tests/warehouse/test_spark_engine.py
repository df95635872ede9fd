"""kam's Python side of the Spark engine (warehouse/spark/) on a local Spark session.

The raw tables exported from ingestion's DuckDB warehouse appear in Spark with DuckDB's rows;
a corrected file rewrites only its partition's file; frames go to Spark and back through Arrow
unchanged; the marts copied from Spark into DuckDB publish as BI reads them; the scores go back
to Spark date by date. One Spark session serves the module (starting one costs ~15 s). The
steps in their own processes, one after another and before dbt, are exercised by the whole-night
test (tests/orchestration/test_spark_night.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from spark_jvm import JAVA_OPTIONS_ENV, TEST_JAVA_OPTIONS

from demo import generate_demo
from ingestion import sync_landing
from orchestration.engine import SPARK_INSTALL, missing_for

MISSING = missing_for("spark")
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"needs {', '.join(MISSING)}: {SPARK_INSTALL} (and a Java 17 runtime)"
)

END = date(2025, 12, 31)
INITIAL = date(2025, 12, 29)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from warehouse.spark.session import spark_session

    session = spark_session(
        tmp_path_factory.mktemp("spark_warehouse"),
        {**os.environ, JAVA_OPTIONS_ENV: TEST_JAVA_OPTIONS},
    )
    try:
        yield session
    finally:
        session.stop()


def spark_rows(spark: Any, table: str, columns: list[str]) -> pl.DataFrame:
    from warehouse.spark.arrow import read_table

    return read_table(spark, table).select(columns).sort(columns, nulls_last=True)


def duckdb_rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> pl.DataFrame:
    return con.sql(f"select * from {table}").pl().select(columns).sort(columns, nulls_last=True)


def files_of(root: Path) -> dict[Path, tuple[int, int]]:
    """Every data file under ``root`` with its inode and modification time."""
    return {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in root.rglob("*.parquet")}


@dataclass
class Ingested:
    con: duckdb.DuckDBPyConnection
    landing: Path
    raw_dir: Path
    first: list
    files_after_first: dict[Path, tuple[int, int]]


@pytest.fixture(scope="module")
def ingested(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    """A small demo ingested into DuckDB and exported to Spark once."""
    from warehouse.spark.raw import export_raw
    from warehouse.spark.session import tables_root

    home = tmp_path_factory.mktemp("home")
    generate_demo(home, seed=5, customers=20, lines=400, history_days=400, daily_days=2)
    con = duckdb.connect(str(home / "kam.duckdb"))
    sync_landing(con, home / "landing", {}, up_to=END, run_id="night-1")
    first = export_raw(con, spark)
    raw_dir = tables_root(spark) / "raw.db"
    yield Ingested(con, home / "landing", raw_dir, first, files_of(raw_dir))
    con.close()


def test_raw_tables_in_spark_hold_duckdbs_rows_one_file_per_business_date(
    spark: Any, ingested: Ingested
) -> None:
    from warehouse.spark.raw import raw_tables

    con = ingested.con
    assert raw_tables() == (
        "customers", "transactions", "invoices", "payments", "customer_financials",
        "interactions", "ingestion_ledger", "quarantine",
    )  # fmt: skip
    for table in raw_tables():
        columns = spark.table(f"raw.{table}").columns
        expected = duckdb_rows(con, f"raw.{table}", columns)
        assert_frame_equal(spark_rows(spark, f"raw.{table}", columns), expected)
    # The customer master landed on three business dates: three partitions, a file each.
    dates = [
        d
        for (d,) in con.execute(
            "select distinct _business_date from raw.customers order by 1"
        ).fetchall()
    ]
    assert dates == [date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31)]
    assert [r[0] for r in spark.sql("show partitions raw.customers").collect()] == [
        f"_business_date={d}" for d in dates
    ]
    for d in dates:
        assert len(list((ingested.raw_dir / "customers" / f"_business_date={d}").iterdir())) == 1
    # The partition column is filtered on as the staging models do (the metastore's filter
    # fails on its leading underscore; Spark prunes the partitions itself).
    rows = spark.sql(
        "select count(*) from raw.customers where _business_date <= date '2025-12-30'"
    ).collect()[0][0]
    assert (
        rows
        == con.execute(
            "select count(*) from raw.customers where _business_date <= date '2025-12-30'"
        ).fetchall()[0][0]
    )


@pytest.fixture(scope="module")
def corrected(spark: Any, ingested: Ingested) -> list:
    """The last business date's interactions file is sent again with one line corrected (the
    employee); ingestion replaces that partition, and the export runs again."""
    from warehouse.spark.raw import export_raw

    path = ingested.landing / "interactions" / END.isoformat() / "part-0001.csv"
    header, line = path.read_text(encoding="utf-8").splitlines()
    row = dict(zip(header.split(","), line.split(","), strict=True))
    row["employee"] = "Corrected Name"
    path.write_text(header + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    results = sync_landing(ingested.con, ingested.landing, {}, up_to=END, run_id="night-2")
    assert [(r.source, r.business_date, r.status) for r in results if r.status != "unchanged"] == [
        ("interactions", END, "replaced")
    ]
    return export_raw(ingested.con, spark)


def test_a_corrected_file_rewrites_only_its_partition_and_the_ledger(
    spark: Any, ingested: Ingested, corrected: list
) -> None:
    written = {e.table: e.written for e in corrected if e.changed}
    assert written == {"raw.interactions": [END], "raw.ingestion_ledger": [None]}
    after = files_of(ingested.raw_dir)
    # The folders (a partition's, or an unpartitioned table's) whose files changed.
    rewritten = {
        str(path.parent.relative_to(ingested.raw_dir))
        for path in after.keys() | ingested.files_after_first.keys()
        if after.get(path) != ingested.files_after_first.get(path)
    }
    assert rewritten == {f"interactions/_business_date={END}", "ingestion_ledger"}
    columns = spark.table("raw.interactions").columns
    assert_frame_equal(
        spark_rows(spark, "raw.interactions", columns),
        duckdb_rows(ingested.con, "raw.interactions", columns),
    )
    employees = spark.sql(
        f"select employee from raw.interactions where _business_date = date '{END}'"
    ).collect()
    assert [r[0] for r in employees] == ["Corrected Name"]


def test_an_export_with_nothing_changed_touches_no_file(
    spark: Any, ingested: Ingested, corrected: list
) -> None:
    from warehouse.spark.raw import export_raw

    before = files_of(ingested.raw_dir)
    assert [e.table for e in export_raw(ingested.con, spark) if e.changed] == []
    assert files_of(ingested.raw_dir) == before


def test_a_partition_gone_from_duckdb_is_dropped_from_spark(spark: Any, tmp_path: Path) -> None:
    from warehouse.spark.export import export_table

    con = duckdb.connect()
    con.execute("create schema lab")
    con.execute(
        "create table lab.events as select i::bigint as event_id, "
        "date '2025-01-01' + (i % 3)::int as event_date from range(9) r(i)"
    )
    first = export_table(con, "lab.events", spark, "lab", "events", partition_column="event_date")
    assert first.written == [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 3)]
    con.execute("delete from lab.events where event_date = date '2025-01-02'")
    second = export_table(con, "lab.events", spark, "lab", "events", partition_column="event_date")
    assert (second.written, second.removed) == ([], [date(2025, 1, 2)])
    assert [r[0] for r in spark.sql("show partitions lab.events").collect()] == [
        "event_date=2025-01-01",
        "event_date=2025-01-03",
    ]
    ids = sorted(r[0] for r in spark.sql("select event_id from lab.events").collect())
    assert ids == [0, 2, 3, 5, 6, 8]


def facts_frame() -> pl.DataFrame:
    """Two dates of customer facts with the column kinds the real facts have, nulls included."""
    return pl.DataFrame(
        {
            "customer_id": ["C2", "C1", "C1", "C3"],
            "as_of_date": [
                date(2025, 12, 30),
                date(2025, 12, 30),
                date(2025, 12, 31),
                date(2025, 12, 31),
            ],
            "revenue_trailing": [Decimal("1200.5000"), Decimal("-3.2500"), None, Decimal("0.0001")],
            "days_since_last_order": [12, None, 400, 0],
            "share_of_wallet": [0.125, 1 / 3, None, 1e-12],
            "is_strategic": [True, False, None, True],
            "channel_type": ["direct", None, "retail_member", "distributor"],
            "last_ordered_at": [
                datetime(2025, 12, 1, 9, 30),
                None,
                datetime(2025, 12, 31, 23, 59, 59, 999999),
                datetime(2024, 2, 29, 0, 0),
            ],
        },
        schema_overrides={"revenue_trailing": pl.Decimal(18, 4), "days_since_last_order": pl.Int64},
    )


def test_facts_read_through_arrow_equal_what_duckdb_gives_scoring(spark: Any) -> None:
    from warehouse import score_store
    from warehouse.spark.arrow import read_facts, write_table

    facts = facts_frame()
    written = write_table(spark, facts, "marts.fct_customer_facts", "as_of_date")
    assert written == [date(2025, 12, 30), date(2025, 12, 31)]
    con = duckdb.connect()
    con.execute("create schema marts")
    con.register("facts", facts.to_arrow())
    con.execute("create table marts.fct_customer_facts as select * from facts")
    for day in written:
        from_spark = read_facts(spark, day)
        # Spark puts the partition column last; scoring reads columns by name.
        assert_frame_equal(from_spark, score_store.read_facts(con, day), check_column_order=False)
    assert read_facts(spark, date(2025, 12, 31))["revenue_trailing"].to_list() == [None, 0.0001]


def test_a_date_written_again_replaces_that_dates_rows_only(spark: Any) -> None:
    from warehouse.spark.arrow import read_table, write_table
    from warehouse.spark.session import tables_root

    facts = facts_frame()
    write_table(spark, facts, "marts.facts_rewrite", "as_of_date")
    folder = tables_root(spark) / "marts.db" / "facts_rewrite"
    before = files_of(folder / "as_of_date=2025-12-30")
    again = facts.filter(pl.col("as_of_date") == date(2025, 12, 31)).with_columns(
        days_since_last_order=pl.lit(7, dtype=pl.Int64)
    )
    assert write_table(spark, again, "marts.facts_rewrite", "as_of_date") == [date(2025, 12, 31)]
    assert files_of(folder / "as_of_date=2025-12-30") == before
    rows = read_table(spark, "marts.facts_rewrite").sort("as_of_date", "customer_id")
    assert rows.select("customer_id", "as_of_date", "days_since_last_order").rows() == [
        ("C1", date(2025, 12, 30), None),
        ("C2", date(2025, 12, 30), 12),
        ("C1", date(2025, 12, 31), 7),
        ("C3", date(2025, 12, 31), 7),
    ]


def test_marts_copied_from_spark_into_duckdb_publish_what_spark_holds(
    spark: Any, tmp_path: Path
) -> None:
    from warehouse.publish import PublishedTable, publish
    from warehouse.spark.arrow import read_table, write_table
    from warehouse.spark.marts import copy_marts

    facts = facts_frame()
    dims = pl.DataFrame({"customer_id": ["C1", "C2", "C3"], "tier": ["A", "B", None]})
    write_table(spark, facts, "marts.fct_customer_facts", "as_of_date")
    write_table(spark, dims, "marts.dim_customers")
    marts = ["marts.fct_customer_facts", "marts.dim_customers"]
    warehouse = tmp_path / "kam.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        # First copy: the facts are new in DuckDB, so every date comes over.
        assert copy_marts(spark, con, marts, [date(2025, 12, 31)]) == {
            "marts.fct_customer_facts": 4,
            "marts.dim_customers": 3,
        }
        # The next night rewrites 2025-12-31 in Spark; only that date is copied again.
        night = facts.filter(pl.col("as_of_date") == date(2025, 12, 31)).with_columns(
            share_of_wallet=pl.lit(0.5)
        )
        write_table(spark, night, "marts.fct_customer_facts", "as_of_date")
        assert copy_marts(spark, con, marts, [date(2025, 12, 31)])["marts.fct_customer_facts"] == 2
        logged = con.execute(
            "select as_of_date, count(*) from main.kam_partition_writes "
            "where table_name = 'marts.fct_customer_facts' group by 1 order by 1"
        ).fetchall()
        assert logged == [(date(2025, 12, 30), 1), (date(2025, 12, 31), 2)]
    tables = [
        PublishedTable("marts", "fct_customer_facts", "fct_customer_facts", by_date=True),
        PublishedTable("marts", "dim_customers", "dim_customers"),
    ]
    result = publish(warehouse, tmp_path / "published", tables, "night2")
    assert result.row_counts == {"fct_customer_facts": 4, "dim_customers": 3}
    with duckdb.connect(str(result.database_path), read_only=True) as published:
        for table in marts:
            name = table.split(".")[1]
            in_spark = read_table(spark, table)
            columns = in_spark.columns
            assert_frame_equal(
                published.sql(f"select * from main.{name}").pl().select(columns).sort(columns),
                in_spark.sort(columns),
            )
        shares = published.execute(
            "select as_of_date, customer_id, share_of_wallet from main.fct_customer_facts "
            "order by 1, 2"
        ).fetchall()
    assert shares == [
        (date(2025, 12, 30), "C1", 1 / 3),
        (date(2025, 12, 30), "C2", 0.125),
        (date(2025, 12, 31), "C1", 0.5),
        (date(2025, 12, 31), "C3", 0.5),
    ]


def test_an_installation_moving_to_spark_keeps_the_facts_history_duckdb_built(
    spark: Any, tmp_path: Path
) -> None:
    from warehouse.spark.arrow import write_table
    from warehouse.spark.marts import MartsCopyError, copy_marts

    # DuckDB built 2025-12-01 (its decimals wider than Spark's); Spark builds 2025-12-31.
    # (the facts table's name: the copy treats the history tables by name)
    write_table(spark, facts_frame(), "marts.fct_customer_facts", "as_of_date")
    with duckdb.connect(str(tmp_path / "kam.duckdb")) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_customer_facts as select 'C9' as customer_id, "
            "date '2025-12-01' as as_of_date, 5.5::decimal(38, 4) as revenue_trailing, "
            "3::bigint as days_since_last_order, 0.25::double as share_of_wallet, "
            "true as is_strategic, null::varchar as channel_type, "
            "null::timestamp as last_ordered_at"
        )
        assert copy_marts(spark, con, ["marts.fct_customer_facts"], [date(2025, 12, 31)]) == {
            "marts.fct_customer_facts": 2
        }
        assert con.execute(
            "select as_of_date, customer_id, revenue_trailing from marts.fct_customer_facts "
            "order by 1, 2"
        ).fetchall() == [
            (date(2025, 12, 1), "C9", Decimal("5.5000")),
            (date(2025, 12, 31), "C1", None),
            (date(2025, 12, 31), "C3", Decimal("0.0001")),
        ]
        assert con.execute(
            "select data_type from duckdb_columns() where table_name = 'fct_customer_facts' "
            "and column_name = 'revenue_trailing'"
        ).fetchall() == [("DECIMAL(38,4)",)]
        # Other columns (the model changed) and a date Spark lacks: replacing the table would
        # lose 2025-12-01, so the copy is refused and the table left as it was.
        con.execute("alter table marts.fct_customer_facts add column tier varchar")
        with pytest.raises(MartsCopyError) as raised:
            copy_marts(spark, con, ["marts.fct_customer_facts"], [date(2025, 12, 31)])
        assert str(raised.value) == (
            "marts.fct_customer_facts in the DuckDB warehouse has other columns than Spark's, and "
            "Spark lacks 1 of its dates (2025-12-01 … 2025-12-01): replacing it would lose "
            "them — fix: build those dates on Spark first (kam backfill --engine spark --start "
            "2025-12-01 --end 2025-12-01), or run this date on duckdb"
        )
        assert con.execute("select count(*) from marts.fct_customer_facts").fetchall() == [(3,)]


def test_scores_go_to_spark_rewriting_only_the_dates_that_changed(spark: Any) -> None:
    from warehouse.spark.arrow import read_table
    from warehouse.spark.scores import export_scores
    from warehouse.spark.session import tables_root

    con = duckdb.connect()
    con.execute("create schema scores")
    con.execute(
        "create table scores.customer_score_history as select * from (values "
        "('C1', date '2025-12-30', 'A', 0.91::double, 'run-1'), "
        "('C2', date '2025-12-30', 'C', 0.12::double, 'run-1'), "
        "('C1', date '2025-12-31', 'A', 0.93::double, 'run-2'), "
        "('C2', date '2025-12-31', 'B', 0.40::double, 'run-2')) "
        "t(customer_id, as_of_date, tier, churn_probability, run_id)"
    )
    con.execute(
        "create table scores.customer_scores as "
        "select * from scores.customer_score_history where as_of_date = date '2025-12-31'"
    )
    first = {e.table: e.written for e in export_scores(con, spark)}
    assert first == {
        "scores.customer_score_history": [date(2025, 12, 30), date(2025, 12, 31)],
        "scores.customer_scores": [None],
    }
    history_dir = tables_root(spark) / "scores.db" / "customer_score_history"
    before = files_of(history_dir / "as_of_date=2025-12-30")
    # The night of 2025-12-31 is scored again (another run): only that date changes.
    con.execute(
        "update scores.customer_score_history set run_id = 'run-3' "
        "where as_of_date = date '2025-12-31'"
    )
    again = {e.table: e.written for e in export_scores(con, spark) if e.changed}
    assert again == {"scores.customer_score_history": [date(2025, 12, 31)]}
    assert files_of(history_dir / "as_of_date=2025-12-30") == before
    for table in ("scores.customer_score_history", "scores.customer_scores"):
        columns = spark.table(table).columns
        assert_frame_equal(
            read_table(spark, table).select(columns).sort(columns),
            con.sql(f"select * from {table}").pl().select(columns).sort(columns),
        )
