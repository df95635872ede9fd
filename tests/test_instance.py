"""kam's Dagster instance: its dagster.yaml, and an event log storage that keeps Dagster's files.

Every event written through ``KamSqliteEventLogStorage`` is read back through Dagster's own
``SqliteEventLogStorage`` on the same folder, which is what ``dagster dev`` and the daemon use
when the dagster.yaml is gone.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psutil
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration import instance as kam_instance
from orchestration.instance import (
    INSTANCE_CONFIG,
    KEPT_ENGINES,
    KamSqliteEventLogStorage,
    dagster_home_of,
    ensure_instance_config,
)


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


def _stock_storage(dagster_home: Path) -> SqliteEventLogStorage:
    return SqliteEventLogStorage(str(dagster_home / "history" / "runs"))


def _event_types(storage: SqliteEventLogStorage, run_id: str) -> list[str]:
    return [
        entry.dagster_event.event_type_value
        for entry in storage.get_logs_for_run(run_id)
        if entry.dagster_event is not None
    ]


def test_config_is_written_once_and_never_replaces_one_that_is_there(tmp_path: Path) -> None:
    assert ensure_instance_config(tmp_path / "new")
    assert (tmp_path / "new" / "dagster.yaml").read_text(encoding="utf-8") == INSTANCE_CONFIG

    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    assert not ensure_instance_config(tmp_path / "own")
    assert (tmp_path / "own" / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"


def test_dagster_home_is_dagster_home_if_set_else_in_the_kam_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert dagster_home_of(tmp_path / "kam") == tmp_path / "kam" / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "own"))
    assert dagster_home_of(tmp_path / "kam") == tmp_path / "own"


def test_runs_are_read_back_by_dagsters_own_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = _instance(tmp_path, monkeypatch)
    assert isinstance(instance.event_log_storage, KamSqliteEventLogStorage)
    run_ids = [_materialize(instance), _materialize(instance)]

    stock = _stock_storage(tmp_path)
    for run_id in run_ids:
        types = _event_types(stock, run_id)
        assert types.count("ASSET_MATERIALIZATION") == 2
        assert types.count("ASSET_CHECK_EVALUATION") == 1
        assert types[-1] == "PIPELINE_SUCCESS"
    # The cross-run index (mirrored asset events) holds both runs' materializations.
    records = stock.fetch_materializations(dg.AssetKey("downstream"), limit=10).records
    assert sorted(r.run_id for r in records) == sorted(run_ids)
    check_key = dg.AssetCheckKey(dg.AssetKey("downstream"), "downstream_is_two")
    latest = stock.get_latest_asset_check_execution_by_key([check_key])
    assert latest[check_key].run_id == run_ids[1]


def test_one_engine_per_database_for_a_whole_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    create_engine = kam_instance.create_engine

    def counting(conn_string: str, **kwargs):
        opened.append(Path(conn_string.split("///")[-1]).stem)
        return create_engine(conn_string, **kwargs)

    monkeypatch.setattr(kam_instance, "create_engine", counting)
    instance = _instance(tmp_path, monkeypatch)
    run_id = _materialize(instance)
    # Dagster's own class opens one for every connection: about 60 for this run's 30-odd events.
    assert sorted(opened) == sorted(["index", run_id])
    assert len(_event_types(_stock_storage(tmp_path), run_id)) > 20


def test_engines_kept_are_bounded_and_evicted_shards_still_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = _instance(tmp_path, monkeypatch)
    run_ids = [_materialize(instance) for _ in range(KEPT_ENGINES + 1)]
    storage = instance.event_log_storage
    assert len(storage._engines) == KEPT_ENGINES
    assert run_ids[0] not in storage._engines
    # Reading the evicted run's shard again opens it again, through this storage.
    assert _event_types(storage, run_ids[0]) == _event_types(_stock_storage(tmp_path), run_ids[0])


def test_a_wipe_leaves_no_connection_to_the_deleted_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = _instance(tmp_path, monkeypatch)
    wiped = _materialize(instance)
    instance.wipe()
    # A connection kept from before the wipe would still read, and write, the deleted file.
    assert instance.event_log_storage.get_logs_for_run(wiped) == []
    run_id = _materialize(instance)
    assert _event_types(_stock_storage(tmp_path), run_id)[-1] == "PIPELINE_SUCCESS"


def _files_open_under(folder: Path) -> list[str]:
    return [f.path for f in psutil.Process().open_files() if Path(f.path).is_relative_to(folder)]


def test_closing_the_instance_closes_every_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _instance(tmp_path, monkeypatch) as instance:
        _materialize(instance)
        assert _files_open_under(tmp_path)  # kept between events, as intended
    assert _files_open_under(tmp_path) == []


def test_without_base_dir_or_dagster_home_the_error_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(ValueError, match="DAGSTER_HOME is not set"):
        KamSqliteEventLogStorage.from_config_value(None, {})


def test_base_dir_defaults_to_where_dagster_keeps_event_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    storage = KamSqliteEventLogStorage.from_config_value(None, {})
    assert Path(storage._base_dir) == tmp_path / "history" / "runs"
    explicit = KamSqliteEventLogStorage.from_config_value(None, {"base_dir": str(tmp_path / "x")})
    assert Path(explicit._base_dir) == tmp_path / "x"


def test_the_written_config_limits_the_warehouse_pool_to_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

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
