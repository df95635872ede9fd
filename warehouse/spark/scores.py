"""The score tables written back to Spark: DuckDB's ``scores`` schema as Parquet tables.

Scoring writes its tables to the DuckDB warehouse (:mod:`warehouse.score_store`: history,
current scores, credit grades, migrations, labels); this export gives Spark's users the same
tables in schema ``scores``. The score history is partitioned by ``as_of_date`` and only the
dates whose rows changed are rewritten; the others, small, are rewritten when they change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from warehouse import score_store
from warehouse.spark.export import Export, export_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DATE_COLUMN = "as_of_date"


def export_scores(con: duckdb.DuckDBPyConnection, session: SparkSession) -> list[Export]:
    """Bring Spark's ``scores`` tables up to date with the DuckDB warehouse's."""
    names = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? order by table_name",
            [score_store.SCHEMA],
        ).fetchall()
    ]
    return [
        export_table(
            con,
            f"{score_store.SCHEMA}.{name}",
            session,
            score_store.SCHEMA,
            name,
            partition_column=(
                DATE_COLUMN if f"{score_store.SCHEMA}.{name}" == score_store.HISTORY else None
            ),
        )
        for name in names
    ]
