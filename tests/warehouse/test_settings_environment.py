"""Settings reach Dagster's resources as run config and dbt through one environment block that
puts the process environment back when it ends."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.resources import KamSettingsResource
from warehouse.settings import (
    Settings,
    SettingsError,
    dbt_environment,
    environment,
    load_settings,
)


def test_environment_sets_for_the_block_and_puts_back_what_was_there(monkeypatch) -> None:
    monkeypatch.setenv("KAM_WAREHOUSE_PATH", "/before/kam.duckdb")
    monkeypatch.delenv("KAM_AS_OF_DATE", raising=False)
    with environment({"KAM_WAREHOUSE_PATH": "/run/kam.duckdb", "KAM_AS_OF_DATE": "2025-03-31"}):
        assert os.environ["KAM_WAREHOUSE_PATH"] == "/run/kam.duckdb"
        assert os.environ["KAM_AS_OF_DATE"] == "2025-03-31"
    assert os.environ["KAM_WAREHOUSE_PATH"] == "/before/kam.duckdb"
    assert "KAM_AS_OF_DATE" not in os.environ


def test_environment_is_put_back_when_the_block_fails(monkeypatch) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(RuntimeError), environment({"DAGSTER_HOME": "/tmp/dagster"}):
        raise RuntimeError("dbt failed")
    assert "DAGSTER_HOME" not in os.environ


def test_dbt_reads_the_engine_the_warehouse_and_the_as_of_date() -> None:
    warehouse = Path("/homes/a/warehouse/kam.duckdb")
    assert dbt_environment(warehouse) == {
        "KAM_ENGINE": "duckdb",
        "KAM_WAREHOUSE_PATH": "/homes/a/warehouse/kam.duckdb",
        "DBT_TARGET": "duckdb",
    }
    assert dbt_environment(warehouse, date(2025, 3, 31)) == {
        "KAM_ENGINE": "duckdb",
        "KAM_WAREHOUSE_PATH": "/homes/a/warehouse/kam.duckdb",
        "DBT_TARGET": "duckdb",
        "KAM_AS_OF_DATE": "2025-03-31",
    }


def test_run_config_gives_the_resource_every_setting(tmp_path: Path, monkeypatch) -> None:
    # The environment names other folders: the run config, not the environment, must win.
    monkeypatch.setenv("KAM_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("KAM_PUBLISH_STORAGE_VERSION", "v1.1.0")
    settings = Settings(
        home=tmp_path / "home",
        landing_dir=tmp_path / "drop",
        warehouse_path=tmp_path / "db" / "w.duckdb",
        publish_dir=tmp_path / "bi",
        config_dir=tmp_path / "conf",
        publish_storage_version="v1.2.0",
        ingest_threads=3,
        dbt_threads=2,
    )
    config = KamSettingsResource.run_config(settings, ["churn_share_shift"])["config"]
    resource = KamSettingsResource(**config)
    assert resource.settings() == settings
    assert resource.accept_gates == ["churn_share_shift"]


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 2), (16, 4)])
def test_folders_load_and_dbt_runs_on_the_machines_cores_at_most_four_by_default(
    monkeypatch, cores: int, expected: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    settings = load_settings({"KAM_HOME": "/k"})
    assert (settings.ingest_threads, settings.dbt_threads) == (expected, expected)
    settings = load_settings({"KAM_HOME": "/k", "KAM_INGEST_THREADS": "8", "KAM_DBT_THREADS": "6"})
    assert (settings.ingest_threads, settings.dbt_threads) == (8, 6)


@pytest.mark.parametrize("value", ["0", "-2", "four", "1.5"])
@pytest.mark.parametrize(
    ("name", "what", "one"),
    [
        ("KAM_INGEST_THREADS", "folders to load", "loads one folder after another"),
        ("KAM_DBT_THREADS", "dbt nodes to run", "runs one node after another"),
    ],
)
def test_a_number_of_threads_kam_cannot_use_is_named_with_the_fix(
    name: str, what: str, one: str, value: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"KAM_HOME": "/k", name: value})
    assert str(error.value) == (
        f"{name}={value!r} is not a number of {what} at once — fix: a whole number of at least 1 "
        f"(1 {one}), or unset it for the machine's cores, at most 4"
    )


def _kams(environ) -> dict[str, str]:
    """kam's and Dagster's variables (libraries set their own, e.g. Polars its allocator's)."""
    return {k: v for k, v in environ.items() if k.startswith(("KAM_", "DAGSTER_"))}


def test_home_option_does_not_change_the_environment(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("KAM_HOME", raising=False)
    before = _kams(os.environ)
    (tmp_path / "landing" / "customers").mkdir(parents=True)
    assert main(["--home", str(tmp_path), "demo", "--lines", "10"]) == 0
    assert f"landing files already present in {tmp_path / 'landing'}" in capsys.readouterr().out
    assert _kams(os.environ) == before
