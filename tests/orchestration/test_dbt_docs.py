"""`kam docs` builds the dbt docs with the score tables in them, without touching the warehouse."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from kam_env import clear_home_paths

from orchestration.cli import main
from warehouse.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clear_home_paths(monkeypatch)
    return tmp_path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_docs_declare_the_score_tables_with_their_documented_columns(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    warehouse = home / "warehouse" / "kam.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema scores")
        con.execute(
            "create table scores.customer_scores (customer_id varchar, pyramid_tier varchar, "
            "credit_ind_current_ratio decimal(6, 2), not_documented_anywhere integer)"
        )
    before = _digest(warehouse)

    assert main(["docs", "--no-serve", "--home", str(home)]) == 0
    target = home / "dbt_docs" / "target"
    assert capsys.readouterr().out.splitlines()[:2] == [
        f"dbt docs built in {target} (column types from {warehouse})",
        f"  as one file: {target / 'static_index.html'}",
    ]
    assert (target / "static_index.html").is_file() and (target / "index.html").is_file()
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    scores = manifest["sources"]["source.kam.scores.customer_scores"]
    columns = {name: c["description"] for name, c in scores["columns"].items()}
    # Every column the warehouse holds, in its order; described as docs/scoring.md says (the
    # pyramid row, the credit_ind_<indicator> row) with the Chinese name of scoring/labels.py.
    assert list(columns) == [
        "customer_id",
        "pyramid_tier",
        "credit_ind_current_ratio",
        "not_documented_anywhere",
    ]
    assert "vip VIP客户, major 主要客户, regular 普通客户, small 小客户" in columns["pyramid_tier"]
    assert "客户金字塔层级" in columns["pyramid_tier"]
    assert "points per indicator" in columns["credit_ind_current_ratio"]
    assert columns["not_documented_anywhere"] == ""
    assert scores["description"].startswith("One row per customer")
    # The score tables the warehouse does not hold yet are declared from the docs alone.
    assert "source.kam.scores.credit_grades" in manifest["sources"]
    # The dbt models are there too, and the catalog has the warehouse's column types.
    assert "model.kam.fct_customer_facts" in manifest["nodes"]
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    typed = catalog["sources"]["source.kam.scores.customer_scores"]["columns"]
    assert typed["pyramid_tier"]["type"] == "VARCHAR"
    assert typed["credit_ind_current_ratio"]["type"] == "DECIMAL(6,2)"
    # Read only: the warehouse is byte for byte as it was, the dbt project has no new file.
    assert _digest(warehouse) == before
    assert not (DBT_PROJECT_DIR / "models" / "scores").exists()


def test_without_a_warehouse_the_docs_are_built_from_the_descriptions(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    assert main(["docs", "--no-serve", "--home", str(home)]) == 0
    warehouse = home / "warehouse" / "kam.duckdb"
    assert f"no warehouse at {warehouse} yet: descriptions only" in capsys.readouterr().out
    assert not warehouse.exists()
    manifest = json.loads(
        (home / "dbt_docs" / "target" / "manifest.json").read_text(encoding="utf-8")
    )
    columns = manifest["sources"]["source.kam.scores.credit_grades"]["columns"]
    assert "credit_grade" in columns and "credit_ind_*" in columns
