"""The Dagster code location loads, and the webserver serves its asset graph on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).resolve().parent.parent


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


def test_dbt_tests_become_asset_checks() -> None:
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    checks = {key.asset_key.to_user_string() for key in graph.asset_check_keys}
    assert {"marts/fct_customer_facts", "staging/stg_raw__transaction_versions"} <= checks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_webserver_serves_asset_graph_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "KAM_HOME": str(tmp_path / "kam")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-w",
            str(REPO / "workspace.yaml"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    query = {"query": "{ assetNodes { assetKey { path } } }"}
    try:
        nodes = _poll_graphql(port, query, proc, deadline=time.monotonic() + 90)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    paths = {"/".join(n["assetKey"]["path"]) for n in nodes["data"]["assetNodes"]}
    assert {"raw/transactions", "marts/fct_customer_facts", "published/warehouse"} <= paths


def _poll_graphql(port: int, query: dict, proc: subprocess.Popen, deadline: float) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps(query).encode(),
        headers={"Content-Type": "application/json"},
    )
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"webserver exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                body = json.loads(response.read())
            if body.get("data", {}).get("assetNodes"):
                return body
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("webserver did not serve the asset graph within 90 s")


def test_dbt_resource_skips_the_version_subprocess_and_the_unused_adapter() -> None:
    from importlib.metadata import version

    from orchestration.resources import build_resources

    dbt = build_resources()["dbt"]
    # The version comes from the installed dbt-core package, not from `dbt --version`.
    assert str(dbt._cli_version) == version("dbt-core")
    assert dbt._initialize_dbt_core_adapter(["build"]) is None
