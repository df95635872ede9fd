"""The writer warehouse's log of the dates written to history tables.

The facts (dbt, ``fct_customer_facts``) and the score history (``scores.customer_score_history``)
grow by every customer each night. Each writer of such a table records here the date it wrote,
in the same run (dbt: the model's post-hook) or transaction (scores); publishing then replaces
only the dates written since the previous publication instead of comparing all history
(warehouse.publish). dbt creates the table with the same columns in its ``on-run-start``
hook (macro ``create_partition_writes_table``).
"""

from __future__ import annotations

from datetime import date

import duckdb

TABLE = "main.kam_partition_writes"
# The history tables whose writers log here (published date by date, warehouse.publish).
HISTORY_TABLES = ("marts.fct_customer_facts", "scores.customer_score_history")
COLUMNS = (
    "table_name varchar not null, as_of_date date not null, "
    "write_id bigint not null, written_at timestamp not null"
)


def record(con: duckdb.DuckDBPyConnection, table_name: str, as_of: date) -> None:
    """Log that ``table_name`` (``schema.table``) had its rows of ``as_of`` written."""
    con.execute(f"create table if not exists {TABLE} ({COLUMNS})")
    con.execute(
        f"insert into {TABLE} select ?, ?, coalesce(max(write_id), 0) + 1, "
        f"current_timestamp::timestamp from {TABLE}",
        [table_name, as_of],
    )
