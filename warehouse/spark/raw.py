"""The raw tables where Spark reads them: DuckDB's validated raw partitions as Parquet.

Ingestion validates and loads into DuckDB as always (ledger and quarantine included). Then each
raw table dbt reads as a source (``dbt_project/models/staging/*/_*__sources.yml``) is
exported to the Spark table of the same name in schema ``raw``: the source tables partitioned by
``_business_date`` (one Parquet file per business date), the ledger and quarantine whole.

Only partitions ingestion changed are rewritten. Every swap of a partition
(``ingestion/partition_swap.py``) stamps the rows it inserts with the load time, so a
partition's row count and latest ``_loaded_at`` change with every load or replacement, and the
exported file is named by them; a partition ingestion left alone keeps its file. A partition an
earlier export missed (a crash after ingestion) differs the same way and is written next time.

The partition column keeps ingestion's name, ``_business_date``, which the staging models filter
on. Hive's metastore cannot parse a partition filter on a name starting with ``_``; the session
(``spark.sql.hive.metastorePartitionPruning: false``, dbt_project/profiles.yml) lists the
table's partitions and prunes them itself.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import duckdb
import yaml

from warehouse.settings import DBT_PROJECT_DIR
from warehouse.spark.export import CONTENT, Export, export_table, loaded_at_fingerprint

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SCHEMA = "raw"
#: The dbt sources files: the tables of every source in schema ``raw``.
SOURCES_PATHS = sorted((DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml"))
PARTITION_COLUMN = "_business_date"
LOADED_AT = "_loaded_at"


@cache
def raw_tables() -> tuple[str, ...]:
    """The tables dbt reads as sources in schema ``raw`` (the exports, then ingestion's ledger
    and quarantine), in the order the sources files list them."""
    return tuple(
        table["name"]
        for path in SOURCES_PATHS
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]
        if source.get("schema", source["name"]) == SCHEMA
        for table in source["tables"]
    )


def export_raw(con: duckdb.DuckDBPyConnection, session: SparkSession) -> list[Export]:
    """Bring every raw table of the Spark session up to date with DuckDB's ``raw`` schema."""
    columns = {
        (table, column)
        for table, column in con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and schema_name = ?",
            [SCHEMA],
        ).fetchall()
    }
    missing = [t for t in raw_tables() if not any(table == t for table, _ in columns)]
    if missing:
        raise LookupError(
            f"the DuckDB warehouse has no raw table {', '.join(missing)} that dbt reads "
            f"(dbt sources in schema {SCHEMA}): ingest the landing folders first (kam run)"
        )
    exports = []
    for table in raw_tables():
        if (table, PARTITION_COLUMN) in columns:
            exports.append(
                export_table(
                    con,
                    f"{SCHEMA}.{table}",
                    session,
                    SCHEMA,
                    table,
                    partition_column=PARTITION_COLUMN,
                    fingerprint=loaded_at_fingerprint(LOADED_AT),
                )
            )
        else:
            exports.append(
                export_table(con, f"{SCHEMA}.{table}", session, SCHEMA, table, fingerprint=CONTENT)
            )
    return exports
