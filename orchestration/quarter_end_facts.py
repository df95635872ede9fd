"""Customer facts as of the last full quarter's end, which credit grades are evaluated on.

The nightly run of a quarter's last day builds them; when that run never happened (the first
run, or a gap) the ``quarter_end_facts`` asset builds them once, before the night's own build.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from scoring.credit import quarter_for
from warehouse.score_store import has_facts
from warehouse.settings import Settings, environment, night_dbt_environment

#: The asset that builds them; every dbt model the quarter-end run rebuilds depends on it.
QUARTER_END_FACTS = dg.AssetKey(["quarter_end_facts"])
#: The dbt model holding the facts (one row per customer and as-of date).
FACTS_MODEL = "fct_customer_facts"


def quarter_end_facts_args() -> list[str]:
    """Build only the customer facts (as of a quarter's last day, for credit grades)."""
    return ["run", "--select", f"+{FACTS_MODEL}"]


def quarter_end_nodes(manifest: Mapping[str, Any]) -> frozenset[str]:
    """Unique ids of the dbt nodes :func:`quarter_end_facts_args` selects: the facts model and
    all its ancestors (sources included), from the manifest's ``parent_map``."""
    parents = manifest["parent_map"]
    [facts] = [
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["name"] == FACTS_MODEL
    ]
    selected: set[str] = set()
    pending = [facts]
    while pending:
        unique_id = pending.pop()
        if unique_id not in selected:
            selected.add(unique_id)
            pending.extend(parents.get(unique_id, ()))
    return frozenset(selected)


def facts_missing(warehouse_path: Path, as_of: date) -> bool:
    """True when facts as of ``as_of`` could exist (customers had landed) but were never built."""
    if not warehouse_path.exists():
        return False
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        landed = (
            con.execute(
                "select count(*) from duckdb_tables() where schema_name = 'raw' "
                "and table_name = 'customers'"
            ).fetchall()[0][0]
            and con.execute(
                "select count(*) from raw.customers where _business_date <= ?", [as_of]
            ).fetchall()[0][0]
        )
        return bool(landed) and not has_facts(con, as_of)


def build_missing_quarter_end_facts(
    dbt: DbtCliResource,
    settings: Settings,
    business_date: date,
    target_path: Path,
    log: logging.Logger,
) -> date | None:
    """Build the facts as of the end of the last full quarter before ``business_date`` if they
    could exist but were never built, and return that date; nothing (None) otherwise."""
    quarter = quarter_for(business_date)
    if quarter.end < business_date and facts_missing(settings.warehouse_path, quarter.end):
        log.info(f"building customer facts as of {quarter.end} for {quarter.label} credit")
        with environment(night_dbt_environment(settings, quarter.end)):
            dbt.cli(quarter_end_facts_args(), target_path=target_path).wait()
        return quarter.end
    return None
