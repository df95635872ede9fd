"""kam's Dagster instance: the dagster.yaml it writes, and run history in Dagster's own storage."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psutil
import pytest
import yaml

from orchestration.instance import (
    INSTANCE_CONFIG,
    DagsterHomeError,
    dagster_home_of,
    ensure_instance_config,
)

# The dagster.yaml files earlier kams wrote, as they wrote them: the first turned telemetry off
# and named kam's own event log storage; the next added the warehouse pool's limit.
FIRST_KAM_CONFIG = """\
# Written by kam when this Dagster home had no dagster.yaml (orchestration/instance.py).
# kam's event log storage keeps Dagster's SQLite files and layout, and keeps their connections
# open between events; remove the event_log_storage block to go back to Dagster's own class.
telemetry:
  enabled: false
event_log_storage:
  module: orchestration.instance
  class: KamSqliteEventLogStorage
  config: {}
"""
POOL_LIMIT = """\
# Every kam asset and check is in the pool kam_warehouse (kam's only pool): DuckDB lets one
# process write a file, so runs launched from the UI or the daemon (a backfill, the schedule)
# wait in the queue until the run using the warehouse has finished.
concurrency:
  pools:
    default_limit: 1
    granularity: run
"""
SECOND_KAM_CONFIG = FIRST_KAM_CONFIG + POOL_LIMIT


@dg.asset
def upstream() -> int:
    return 1


@dg.asset
def downstream(upstream: int) -> int:
    return upstream + 1


@dg.asset_check(asset=downstream)
def downstream_is_two(downstream: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=downstream == 2)


def _instance(dagster_home: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    ensure_instance_config(dagster_home)
    return dg.DagsterInstance.get()


def _materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([upstream, downstream, downstream_is_two], instance=instance)
    assert result.success
    return result.run_id


def _event_types(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [
        record.event_log_entry.dagster_event.event_type_value
        for record in instance.get_records_for_run(run_id).records
        if record.event_log_entry.dagster_event is not None
    ]


def test_config_is_written_once_and_never_replaces_one_that_is_there(tmp_path: Path) -> None:
    assert ensure_instance_config(tmp_path / "new")
    assert (tmp_path / "new" / "dagster.yaml").read_text(encoding="utf-8") == INSTANCE_CONFIG

    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    assert not ensure_instance_config(tmp_path / "own")
    assert (tmp_path / "own" / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"


def test_the_config_names_no_storage_class_so_dagster_keeps_its_own() -> None:
    assert set(yaml.safe_load(INSTANCE_CONFIG)) == {"telemetry", "concurrency"}


def test_dagster_home_is_dagster_home_if_set_else_in_the_kam_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert dagster_home_of(tmp_path / "kam") == tmp_path / "kam" / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "own"))
    assert dagster_home_of(tmp_path / "kam") == tmp_path / "own"


def test_runs_are_kept_in_the_dagster_home_and_read_back_by_a_new_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _instance(tmp_path, monkeypatch) as instance:
        run_ids = [_materialize(instance), _materialize(instance)]
    # Dagster's SQLite storage: one database per run, and the index, under history/runs.
    assert {p.name for p in (tmp_path / "history" / "runs").glob("*.db")} == {
        "index.db",
        *(f"{run_id}.db" for run_id in run_ids),
    }
    with dg.DagsterInstance.get() as reader:
        for run_id in run_ids:
            types = _event_types(reader, run_id)
            assert types.count("ASSET_MATERIALIZATION") == 2
            assert types.count("ASSET_CHECK_EVALUATION") == 1
            assert types[-1] == "PIPELINE_SUCCESS"
        # The cross-run index holds both runs' materializations.
        records = reader.fetch_materializations(dg.AssetKey("downstream"), limit=10).records
        assert sorted(r.run_id for r in records) == sorted(run_ids)


@pytest.mark.parametrize("earlier", [FIRST_KAM_CONFIG, SECOND_KAM_CONFIG])
def test_a_config_an_earlier_kam_wrote_is_replaced_so_dagster_can_load_it(
    earlier: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dagster.yaml").write_text(earlier, encoding="utf-8")
    assert ensure_instance_config(tmp_path)
    assert (tmp_path / "dagster.yaml").read_text(encoding="utf-8") == INSTANCE_CONFIG
    with _instance(tmp_path, monkeypatch) as instance:
        assert _event_types(instance, _materialize(instance))[-1] == "PIPELINE_SUCCESS"


def test_a_users_config_naming_the_former_storage_is_kept_and_named_with_the_fix(
    tmp_path: Path,
) -> None:
    own = SECOND_KAM_CONFIG.replace("enabled: false", "enabled: true")
    (tmp_path / "dagster.yaml").write_text(own, encoding="utf-8")
    with pytest.raises(DagsterHomeError) as raised:
        ensure_instance_config(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path / 'dagster.yaml'} names the event log storage "
        "orchestration.instance.KamSqliteEventLogStorage, which kam no longer has, so Dagster "
        "cannot load this Dagster home. Fix: delete the event_log_storage block from it "
        "(Dagster's own SQLite storage reads the run history in the same files), or delete the "
        "file and run `kam prepare` for kam's"
    )
    assert (tmp_path / "dagster.yaml").read_text(encoding="utf-8") == own


def _files_open_under(folder: Path) -> list[str]:
    return [f.path for f in psutil.Process().open_files() if Path(f.path).is_relative_to(folder)]


def test_closing_the_instance_closes_every_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _instance(tmp_path, monkeypatch) as instance:
        _materialize(instance)
    assert _files_open_under(tmp_path) == []


def test_the_written_config_limits_the_warehouse_pool_to_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.definitions import defs

    ensure_instance_config(tmp_path)
    written = yaml.safe_load((tmp_path / "dagster.yaml").read_text(encoding="utf-8"))
    assert written["concurrency"] == {"pools": {"default_limit": 1, "granularity": "run"}}
    with _instance(tmp_path, monkeypatch) as instance:
        pools = instance.get_concurrency_config().pool_config
        assert (pools.default_pool_limit, pools.pool_granularity.value) == (1, "run")
    # The default limit is the warehouse's: every node of the job that has a pool uses it.
    job = defs.resolve_job_def("nightly_job")
    assert {node.pool for node in job.graph.node_defs if node.pool} == {"kam_warehouse"}
