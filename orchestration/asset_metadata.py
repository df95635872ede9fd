"""Dagster's standard table metadata (row count, column schema) for the assets kam writes."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import duckdb


def table_metadata(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    descriptions: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """``dagster/row_count`` and ``dagster/column_schema`` of ``schema.table`` as it is now.

    The columns are read from the table itself, so the UI shows what the warehouse holds;
    ``descriptions`` (column → text) documents those it knows.
    """
    descriptions = descriptions or {}
    rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
    columns = con.execute(
        "select column_name, data_type, is_nullable from duckdb_columns() "
        "where schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    return {
        "dagster/row_count": dg.MetadataValue.int(int(rows)),
        "dagster/column_schema": dg.MetadataValue.table_schema(
            dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name=name,
                        type=data_type,
                        description=descriptions.get(name),
                        constraints=dg.TableColumnConstraints(nullable=bool(nullable)),
                    )
                    for name, data_type, nullable in columns
                ]
            )
        ),
    }
