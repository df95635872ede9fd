"""The Dagster code location loads, and `make ui` serves it through the webserver on loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from ingestion.contracts import SOURCES

REPO = Path(__file__).resolve().parents[2]


def test_definitions_load_with_every_layer() -> None:
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {f"raw/{s}" for s in ("customers", "transactions", "payments")} <= keys
    assert {
        "marts/dim_customers",
        "marts/fct_customer_facts",
        "scores/customer_scores",
        "published/warehouse",
    } <= keys
    job = defs.resolve_job_def("nightly_job")
    assert job.executor_def.name == "in_process"
    assert defs.resolve_schedule_def("nightly").cron_schedule == "30 1 * * *"


def test_scores_and_publishing_depend_on_the_tables_they_read() -> None:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()

    def parents(key: str) -> set[str]:
        node = graph.get(dg.AssetKey.from_user_string(key))
        return {parent.to_user_string() for parent in node.parent_keys}

    # Scores read only fct_customer_facts (warehouse/score_store.read_facts): the night's rows
    # and those as of the quarter's end that the quarter-end facts asset builds when missing.
    assert parents("scores/customer_scores") == {"marts/fct_customer_facts", "quarter_end_facts"}
    # The copy holds the three marts, the scores, and the ledger and quarantine every raw
    # source's ingestion writes; staging and intermediate models are not published.
    assert parents("published/warehouse") == {
        "marts/dim_customers",
        "marts/dim_customers_history",
        "marts/fct_customer_facts",
        "scores/customer_scores",
        *(f"raw/{source}" for source in SOURCES),
    }


RAW_TABLES = {f"raw/{source}" for source in (*SOURCES, "ingestion_ledger")}


def test_quarter_end_facts_run_between_ingestion_and_the_nights_dbt_build() -> None:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    quarter_end = dg.AssetKey(["quarter_end_facts"])
    # The quarter-end run (`dbt run --select +fct_customer_facts`) reads every raw table the
    # facts model descends from; the night's build follows it, so every model that run rebuilds
    # is left as of the night's date. int_transactions_deduplicated is no ancestor of the facts.
    assert {key.to_user_string() for key in graph.get(quarter_end).parent_keys} == RAW_TABLES
    children = {key.to_user_string() for key in graph.get(quarter_end).child_keys}
    assert {
        "scores/customer_scores",
        "staging/stg_exports__customers",
        "staging/stg_exports__transactions",
        "intermediate/int_customer_snapshots_deduplicated",
        "staging/stg_exports__customer_financials",
        "intermediate/int_customer_financials_deduplicated",
        "intermediate/int_orders_aggregated",
        "marts/dim_customers",
        "marts/dim_customers_history",
        "marts/fct_customer_facts",
    } <= children
    assert "intermediate/int_transactions_deduplicated" not in children
    dbt_models = {
        key.to_user_string()
        for key in graph.get(quarter_end).child_keys
        if key.path[0] in ("staging", "intermediate", "marts")
    }
    # Every model but int_transactions_deduplicated (26 in all: 6 staging views, 17
    # intermediate models, 3 marts).
    assert len(dbt_models) == 25
    # A step of its own in the nightly job: after the raw tables and their blocking checks (as
    # the dbt step), before the dbt step.
    job = defs.resolve_job_def("nightly_job")

    def upstream_steps(step: str) -> set[str]:
        inputs = job.graph.dependency_structure.input_to_upstream_outputs_for_node(step)
        return {output.node_name for outputs in inputs.values() for output in outputs}

    raw_steps = {f"raw__{source}{suffix}" for source in SOURCES for suffix in ("", "_expectations")}
    assert upstream_steps("quarter_end_facts") == raw_steps
    assert upstream_steps("kam_dbt_models") == raw_steps | {"quarter_end_facts"}


def test_dbt_tests_become_asset_checks() -> None:
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    checks = {key.asset_key.to_user_string() for key in graph.asset_check_keys}
    assert {
        "marts/fct_customer_facts",
        "staging/stg_exports__transactions",
        "intermediate/int_customer_snapshots_deduplicated",
        "intermediate/int_customer_financials_deduplicated",
    } <= checks
    # The statements' view keeps every version, so its key is not unique: the tests are on the
    # model that picks the latest one.
    assert "staging/stg_exports__customer_financials" not in checks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The README's UI command on a PATH without the virtualenv (nobody has activated it), in a fresh
# home. `-o` keeps make from reinstalling the virtualenv when pyproject.toml is newer than its
# stamp: the install is not what this test is about, and it must not change the test's own venv.
UI_COMMAND = ["make", "-o", ".venv/.installed-stamp", "ui"]
LOCATION_QUERY = """
{ workspaceOrError { __typename
    ... on Workspace { locationEntries { name
        locationOrLoadError { __typename
            ... on PythonError { message }
            ... on RepositoryLocation { repositories {
                jobs { name } schedules { name } assetNodes { assetKey { path } } } } } } }
    ... on PythonError { message } } }
"""


def _path_without_dbt() -> str:
    entries = os.environ.get("PATH", "").split(os.pathsep)
    clean = os.pathsep.join(e for e in entries if e and not (Path(e) / "dbt").exists())
    assert shutil.which("dbt", path=clean) is None
    return clean


@pytest.mark.slow
def test_make_ui_loads_the_kam_location_on_a_path_without_the_virtualenv(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "DAGSTER_"))}
    env.pop("VIRTUAL_ENV", None)
    env |= {"PATH": _path_without_dbt(), "KAM_HOME": str(tmp_path / "kam")}
    proc = subprocess.Popen(
        [*UI_COMMAND, f"UI_PORT={port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        location = _poll_location(port, proc, deadline=time.monotonic() + 180)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()

    assert location["name"] == "kam"
    loaded = location["locationOrLoadError"]
    assert loaded["__typename"] == "RepositoryLocation", loaded.get("message")
    [repository] = loaded["repositories"]
    paths = {"/".join(n["assetKey"]["path"]) for n in repository["assetNodes"]}
    assert {"raw/transactions", "marts/fct_customer_facts", "published/warehouse"} <= paths
    assert "nightly_job" in {j["name"] for j in repository["jobs"]}
    assert [s["name"] for s in repository["schedules"]] == ["nightly"]
    # make ui's Dagster home is the one `kam run` uses: $KAM_HOME/dagster, prepared by kam.
    assert (tmp_path / "kam" / "dagster" / "dagster.yaml").is_file()


def _poll_location(port: int, proc: subprocess.Popen, deadline: float) -> dict:
    """The kam location entry once it has loaded or failed to load."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": LOCATION_QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"make ui exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                workspace = json.loads(response.read())["data"]["workspaceOrError"]
        except OSError:
            time.sleep(1)
            continue
        assert workspace["__typename"] == "Workspace", workspace
        for entry in workspace["locationEntries"]:
            if entry["name"] == "kam" and entry["locationOrLoadError"] is not None:
                return entry
        time.sleep(1)
    raise AssertionError("the webserver did not load the kam location within 180 s")


def test_the_jobs_run_the_dbt_beside_this_python_without_its_start_up_costs() -> None:
    """What the resource skips is tested in tests/orchestration/test_dagster_dbt_private.py."""
    from orchestration.dagster_dbt_private import KamDbtCliResource
    from orchestration.resources import build_resources

    dbt = build_resources()["dbt"]
    assert type(dbt) is KamDbtCliResource
    assert Path(dbt.dbt_executable) == Path(sys.executable).with_name("dbt")
