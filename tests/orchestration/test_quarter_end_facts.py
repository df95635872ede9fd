"""The quarter-end facts asset builds the facts as of the last full quarter's end once, when they
are missing, from the same models the night's dbt build then rebuilds."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.assets.quarter_end_facts import quarter_end_facts
from orchestration.quarter_end_facts import build_missing_quarter_end_facts, quarter_end_nodes
from orchestration.resources import KamSettingsResource
from warehouse.settings import load_settings


class _RecordingDbt:
    """Stands in for the dbt CLI resource: records each invocation and the environment dbt
    would have been started with."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str | None, str | None]] = []

    def cli(self, args, target_path):
        self.calls.append(
            (args, os.environ.get("KAM_WAREHOUSE_PATH"), os.environ.get("KAM_AS_OF_DATE"))
        )
        return self

    def wait(self) -> None:
        return None


def _warehouse(path: Path, customer_dates: list[date], fact_dates: list[date]) -> None:
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute("create table raw.customers (_business_date date)")
        con.execute("create table marts.fct_customer_facts (as_of_date date)")
        for table, dates in (
            ("raw.customers", customer_dates),
            ("marts.fct_customer_facts", fact_dates),
        ):
            for day in dates:
                con.execute(f"insert into {table} values (?)", [day])


def _build(tmp_path: Path, business_date: date) -> _RecordingDbt:
    settings = load_settings({"KAM_HOME": str(tmp_path)})
    dbt = _RecordingDbt()
    build_missing_quarter_end_facts(
        dbt, settings, business_date, tmp_path / "dbt_target", logging.getLogger("test")
    )
    return dbt


def test_missing_quarter_end_facts_are_built_as_of_the_quarters_last_day(tmp_path, monkeypatch):
    monkeypatch.delenv("KAM_AS_OF_DATE", raising=False)
    warehouse = tmp_path / "warehouse" / "kam.duckdb"
    # Customers landed in 2025Q1; facts exist for 2025-04-01 only, not for 2025-03-31.
    _warehouse(warehouse, [date(2025, 2, 3)], [date(2025, 4, 1)])
    dbt = _build(tmp_path, date(2025, 4, 2))
    assert dbt.calls == [(["run", "--select", "+fct_customer_facts"], str(warehouse), "2025-03-31")]
    assert "KAM_AS_OF_DATE" not in os.environ


def test_nothing_is_built_when_the_facts_exist_or_nothing_had_landed(tmp_path):
    warehouse = tmp_path / "warehouse" / "kam.duckdb"
    _warehouse(warehouse, [date(2025, 2, 3)], [date(2025, 3, 31)])
    assert _build(tmp_path, date(2025, 4, 2)).calls == []
    # The quarter's last day itself: its own nightly build makes the facts.
    assert _build(tmp_path, date(2025, 3, 31)).calls == []


def test_nothing_is_built_when_no_customer_had_landed_by_the_quarter_end(tmp_path):
    warehouse = tmp_path / "warehouse" / "kam.duckdb"
    _warehouse(warehouse, [date(2025, 4, 1)], [])
    assert _build(tmp_path, date(2025, 4, 2)).calls == []
    assert _build(tmp_path / "no-warehouse", date(2025, 4, 2)).calls == []


def _materialize(home: Path, business_date: str) -> tuple[_RecordingDbt, dict]:
    dbt = _RecordingDbt()
    result = dg.materialize(
        [quarter_end_facts],
        partition_key=business_date,
        resources={"dbt": dbt, "kam": KamSettingsResource(home=str(home))},
    )
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    return dbt, metadata


def test_the_asset_records_the_quarter_and_whether_this_run_built_its_facts(tmp_path):
    warehouse = tmp_path / "warehouse" / "kam.duckdb"
    _warehouse(warehouse, [date(2025, 2, 3)], [date(2025, 4, 1)])
    dbt, metadata = _materialize(tmp_path, "2025-04-02")
    assert [(args, as_of) for args, _, as_of in dbt.calls] == [
        (["run", "--select", "+fct_customer_facts"], "2025-03-31")
    ]
    assert metadata == {
        "credit_quarter": "2025Q1",
        "quarter_end_date": "2025-03-31",
        "built_now": True,
    }
    # The quarter's last day itself: the night's own build makes them, the asset builds nothing.
    dbt, metadata = _materialize(tmp_path, "2025-03-31")
    assert dbt.calls == []
    assert metadata["built_now"] is False


def test_the_quarter_end_run_selects_the_facts_model_and_its_ancestors_only() -> None:
    # A hand-made manifest: facts <- dim <- stg <- source, and an unrelated model beside.
    def node(name: str) -> dict:
        return {"resource_type": "model", "name": name}

    manifest = {
        "nodes": {
            "model.kam.fct_customer_facts": node("fct_customer_facts"),
            "model.kam.dim_customers": node("dim_customers"),
            "model.kam.stg_customers": node("stg_customers"),
            "model.kam.stg_other": node("stg_other"),
            "test.kam.not_null_facts": {"resource_type": "test", "name": "not_null_facts"},
        },
        "parent_map": {
            "model.kam.fct_customer_facts": ["model.kam.dim_customers", "model.kam.stg_customers"],
            "model.kam.dim_customers": ["model.kam.stg_customers"],
            "model.kam.stg_customers": ["source.kam.raw.customers"],
            "model.kam.stg_other": ["source.kam.raw.other"],
            "test.kam.not_null_facts": ["model.kam.fct_customer_facts"],
            "source.kam.raw.customers": [],
            "source.kam.raw.other": [],
        },
    }
    assert quarter_end_nodes(manifest) == {
        "model.kam.fct_customer_facts",
        "model.kam.dim_customers",
        "model.kam.stg_customers",
        "source.kam.raw.customers",
    }
