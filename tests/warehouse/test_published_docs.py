"""Descriptions of published tables and columns are read from the dbt docs and kam's docs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from warehouse.publish import PublishedTable, publish
from warehouse.published_docs import (
    DOCS_DIR,
    column_names,
    load_descriptions,
    markdown_tables,
)
from warehouse.registry import kept_on_backfill, registered_tables
from warehouse.settings import DBT_PROJECT_DIR

BI_PAGE = """# Tables

| table | grain | columns documented in |
|---|---|---|
| `customer_scores` | one row per customer | below |
| `score_labels` | one row per scheme × label | below |

## `score_labels`
| column | meaning |
|---|---|
| scheme | which score column the label belongs to |
| label, label_zh | the code and its Chinese name |

## `customer_scores`
| column | meaning |
|---|---|
| customer_id | customer key |
"""

SCORE_PAGE = """# Scoring

## Customer pyramid (客户金字塔) — `tier.pyramid`

| column | meaning |
|---|---|
| `pyramid_tier` / `pyramid_tier_zh` | `vip` VIP客户, `major` 主要客户 |
| `key_account_rating_<criterion>` | the 1–9 rating of each criterion |

### A subsection

| order | label | rule |
|---|---|---|
| 1 | C | not a column table |
"""

MANIFEST = {
    "nodes": {
        "model.kam.dim_customers": {
            "resource_type": "model",
            "name": "dim_customers",
            "description": "One row per customer.\n  PII is not published.",
            "columns": {
                "customer_id": {"description": "Customer key (客户编号)."},
                "city": {"description": ""},
            },
        }
    },
    "sources": {
        "source.kam.raw.ingestion_ledger": {
            "schema": "raw",
            "name": "ingestion_ledger",
            "identifier": "ingestion_ledger",
            "description": "One row per ingested file.",
            "columns": {"rows_read": {"description": "Data rows read from the file."}},
        }
    },
}


def _docs(tmp_path: Path) -> Path:
    (tmp_path / "bi-tables.md").write_text(BI_PAGE, encoding="utf-8")
    (tmp_path / "scoring.md").write_text(SCORE_PAGE, encoding="utf-8")
    return tmp_path


def test_column_cells_name_one_or_more_columns_or_a_pattern() -> None:
    assert column_names("`pyramid_tier` / `pyramid_tier_zh`") == ["pyramid_tier", "pyramid_tier_zh"]
    assert column_names("from_level, to_level") == ["from_level", "to_level"]
    assert column_names("`credit_ind_<indicator>`") == ["credit_ind_<indicator>"]
    assert column_names("1") == []


def test_tables_are_found_with_their_heading_and_section() -> None:
    tables = markdown_tables(SCORE_PAGE)
    assert [(t.heading, t.section, t.header[0], len(t.rows)) for t in tables] == [
        ("Customer pyramid (客户金字塔) — `tier.pyramid`",) * 2 + ("column", 2),
        ("A subsection", "Customer pyramid (客户金字塔) — `tier.pyramid`", "order", 1),
    ]


def test_score_columns_read_the_score_docs_with_their_topic_and_chinese_name(
    tmp_path: Path,
) -> None:
    docs = load_descriptions(MANIFEST, _docs(tmp_path))
    scores = docs.describe(PublishedTable("scores", "customer_scores", "customer_scores"))

    assert scores.comment == "One row per customer."
    assert dict(scores.column_comments) == {
        "customer_id": "Customer key.",
        "pyramid_tier": (
            "Customer pyramid (客户金字塔): vip VIP客户, major 主要客户. (客户金字塔层级)"
        ),
        "pyramid_tier_zh": (
            "Customer pyramid (客户金字塔): vip VIP客户, major 主要客户. (客户金字塔层级(中文))"
        ),
        "key_account_rating_*": "Customer pyramid (客户金字塔): the 1–9 rating of each criterion.",
    }


def test_the_dbt_docs_come_before_the_bi_page_and_score_docs_only_describe_score_tables(
    tmp_path: Path,
) -> None:
    docs = load_descriptions(MANIFEST, _docs(tmp_path))

    dim = docs.describe(PublishedTable("marts", "dim_customers", "dim_customers"))
    assert dim.comment == "One row per customer. PII is not published."
    assert dict(dim.column_comments) == {"customer_id": "Customer key (客户编号)."}

    ledger = docs.describe(PublishedTable("raw", "ingestion_ledger", "ingestion_ledger"))
    assert ledger.comment == "One row per ingested file."
    assert dict(ledger.column_comments) == {"rows_read": "Data rows read from the file."}

    labels = docs.describe(PublishedTable("scores", "score_labels", "score_labels"))
    assert labels.comment == "One row per scheme × label."
    assert dict(labels.column_comments)["label_zh"] == "The code and its Chinese name."


def test_a_pattern_describes_every_column_it_matches(tmp_path: Path) -> None:
    writer = tmp_path / "w.duckdb"
    with duckdb.connect(str(writer)) as con:
        con.execute("create table t as select 1 as credit_ind_a, 2 as credit_ind_b, 3 as other")
    table = PublishedTable(
        "main", "t", "t", column_comments=(("credit_ind_*", "Points."), ("credit_ind_b", "B."))
    )
    publish(writer, tmp_path / "pub", [table], "run-1")
    with duckdb.connect(str(tmp_path / "pub" / "kam.duckdb"), read_only=True) as con:
        found = con.execute(
            "select column_name, comment from duckdb_columns() where table_name = 't' "
            "order by column_index"
        ).fetchall()
    assert found == [("credit_ind_a", "Points."), ("credit_ind_b", "B."), ("other", None)]


def test_an_escaped_pipe_stays_inside_its_cell() -> None:
    [table] = markdown_tables("## x\n| column | meaning |\n|---|---|\n| a | one \\| two |\n")
    assert table.rows == (("a", "one | two"),)


def _model(name: str, folder: str) -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "alias": None,
        "schema": folder,
        "fqn": ["kam", folder, name],
    }


def test_the_registry_publishes_the_marts_the_audit_tables_and_the_scores() -> None:
    manifest = {
        "nodes": {
            "model.kam.stg_orders": _model("stg_orders", "staging"),
            "model.kam.fct_customer_facts": _model("fct_customer_facts", "marts"),
            "model.kam.dim_customers": _model("dim_customers", "marts"),
            "test.kam.unique_x": {"resource_type": "test", "name": "unique_x", "fqn": []},
        }
    }

    tables = registered_tables(manifest)

    assert [(t.source_schema, t.source_table, t.published_name, t.by_date) for t in tables] == [
        ("marts", "dim_customers", "dim_customers", False),
        ("marts", "fct_customer_facts", "fct_customer_facts", True),
        ("raw", "ingestion_ledger", "ingestion_ledger", False),
        ("raw", "quarantine", "quarantine", False),
        ("scores", "customer_scores", "customer_scores", False),
        ("scores", "customer_score_history", "customer_score_history", True),
        ("scores", "credit_grades", "credit_grades", False),
        ("scores", "score_migrations", "score_migrations", False),
        ("scores", "credit_grade_migrations", "credit_grade_migrations", False),
        ("scores", "score_labels", "score_labels", False),
        ("scores", "churn_model_quality", "churn_model_quality", False),
    ]
    assert kept_on_backfill(tables) == {"dim_customers"}


def test_the_bi_page_lists_exactly_the_tables_the_registry_publishes() -> None:
    manifest_path = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest_path.is_file():
        pytest.skip("no dbt manifest: run `kam prepare`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))

    listed = set(load_descriptions(manifest, DOCS_DIR).grains)

    published = {t.published_name for t in registered_tables(manifest)}
    assert listed == published | {"publication"}
