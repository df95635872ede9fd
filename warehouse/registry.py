"""Every table BI reads in the published copy, declared once.

Three kinds, each from where it is made:
- the marts: every dbt model of the ``marts`` layer, read from the dbt manifest, published under
  its model name;
- the ingestion audit tables (:data:`RAW_TABLES`), the customer master lines of the quarantine
  withheld;
- the score tables written by kam's scoring step (:data:`SCORE_TABLES`, names from
  :mod:`warehouse.score_store`).

A table is published date by date (``by_date``) when its writer logs every date it writes
(:data:`warehouse.partition_writes.HISTORY_TABLES`). Descriptions are added by
:func:`warehouse.published_docs.published_tables`; the list of tables in ``docs/bi-tables.md`` is
checked against this one by the tests.
"""

from __future__ import annotations

from warehouse import score_store
from warehouse.partition_writes import HISTORY_TABLES
from warehouse.publish.types import PublishedTable

# The dbt folder (under models/) whose models BI reads, and their schema.
MARTS = "marts"
SCORE_SCHEMA = score_store.SCHEMA

# A quarantined line of the customer master may hold key persons' names, phones and emails, so
# BI sees the reason and position but not the line itself (the writer warehouse keeps it).
WITHHELD_CUSTOMER_LINE = (
    "case when source = 'customers' then '[withheld: customer master lines may hold personal "
    "data; see raw.quarantine in the writer warehouse]' else raw_record end"
)
# Audit tables written by ingestion that BI reads too.
RAW_TABLES = (
    PublishedTable("raw", "ingestion_ledger", "ingestion_ledger"),
    PublishedTable(
        "raw", "quarantine", "quarantine", replace=(("raw_record", WITHHELD_CUSTOMER_LINE),)
    ),
)


def _published(name: str) -> PublishedTable:
    """``schema.table`` published under its table name."""
    schema, table = name.split(".")
    return PublishedTable(schema, table, table, by_date=name in HISTORY_TABLES)


SCORE_TABLES = tuple(
    _published(name)
    for name in (
        score_store.CURRENT,
        score_store.HISTORY,
        score_store.CREDIT,
        score_store.MIGRATIONS,
        score_store.CREDIT_MIGRATIONS,
        score_store.LABELS,
        score_store.CHURN_QUALITY,
    )
)


def mart_tables(manifest: dict) -> list[PublishedTable]:
    """Every dbt model in the marts layer, published under its model name."""
    tables = []
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["fqn"][1:2] == [MARTS]:
            schema, table = node["schema"], node["alias"] or node["name"]
            tables.append(
                PublishedTable(
                    schema, table, node["name"], by_date=f"{schema}.{table}" in HISTORY_TABLES
                )
            )
    return sorted(tables, key=lambda t: t.published_name)


def registered_tables(manifest: dict) -> list[PublishedTable]:
    """Every table BI reads, without descriptions: the marts, the audit tables, the scores."""
    return [*mart_tables(manifest), *RAW_TABLES, *SCORE_TABLES]


def kept_on_backfill(tables: list[PublishedTable]) -> frozenset[str]:
    """The marts not published by date (the dimensions): a backfill of an older date rewrites
    them in the warehouse as of its own date, so the published copy keeps the newest date's."""
    return frozenset(t.published_name for t in tables if t.source_schema == MARTS and not t.by_date)
