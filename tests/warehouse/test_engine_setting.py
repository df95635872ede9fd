"""The engine setting: ``KAM_ENGINE`` (duckdb by default, or spark) and the Spark engine's
folder, read by warehouse.settings and carried to a run by the Dagster resource; and the Spark
session's settings, taken from dbt's profile for that folder (no Spark needed here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.resources import KamSettingsResource
from warehouse.settings import SettingsError, load_settings
from warehouse.spark.session import SparkSessionError, local_path, spark_settings


def test_engine_is_duckdb_unless_kam_engine_says_spark(tmp_path: Path) -> None:
    home = {"KAM_HOME": str(tmp_path)}
    assert load_settings(home).engine == "duckdb"
    assert load_settings({**home, "KAM_ENGINE": ""}).engine == "duckdb"
    assert load_settings({**home, "KAM_ENGINE": "spark"}).engine == "spark"


def test_an_unknown_engine_is_refused_with_the_values_kam_takes(tmp_path: Path) -> None:
    # dbt's profile picks its target by the same name, so "Spark" is not "spark".
    with pytest.raises(SettingsError) as raised:
        load_settings({"KAM_HOME": str(tmp_path), "KAM_ENGINE": "Spark"})
    assert str(raised.value) == (
        "KAM_ENGINE='Spark' is not an engine kam builds on — fix: set it to one of duckdb, "
        "spark, or unset it for the default duckdb"
    )


def test_a_spark_night_on_a_machine_without_java_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from orchestration.runner import execute_nightly

    monkeypatch.setenv("PATH", str(tmp_path / "no-java-here"))
    spark = load_settings({"KAM_HOME": str(tmp_path), "KAM_ENGINE": "spark"})
    with pytest.raises(SettingsError) as raised:
        execute_nightly(spark, date(2025, 3, 31))
    assert str(raised.value) == (
        "the spark engine needs Java 17 (java on PATH), which this machine lacks — fix: "
        ".venv/bin/python -m pip install -e '.[spark]', and install a Java 17 runtime (e.g. "
        "apt-get install openjdk-17-jre-headless); or run on duckdb (unset KAM_ENGINE, no "
        "--engine)"
    )
    assert not (tmp_path / "dagster").exists()  # refused before anything was set up


def test_dbt_builds_on_spark_only_when_the_nights_settings_say_so(tmp_path: Path) -> None:
    from datetime import date

    from warehouse.settings import dbt_environment, night_dbt_environment

    warehouse = tmp_path / "w.duckdb"
    # a KAM_ENGINE left in the shell does not pick the target of a call that did not ask
    assert dbt_environment(warehouse)["KAM_ENGINE"] == "duckdb"
    assert dbt_environment(warehouse, date(2025, 3, 31), spark_warehouse=tmp_path / "lake") == {
        "KAM_ENGINE": "spark",
        "KAM_WAREHOUSE_PATH": str(warehouse),
        "DBT_TARGET": "spark",
        "KAM_SPARK_WAREHOUSE": str(tmp_path / "lake"),
        "KAM_AS_OF_DATE": "2025-03-31",
    }
    duck = load_settings({"KAM_HOME": str(tmp_path), "KAM_DBT_THREADS": "3"})
    assert night_dbt_environment(duck, date(2025, 3, 31)) == {
        "KAM_ENGINE": "duckdb",
        "KAM_WAREHOUSE_PATH": str(duck.warehouse_path),
        "DBT_TARGET": "duckdb",
        "KAM_AS_OF_DATE": "2025-03-31",
        "KAM_DBT_THREADS": "3",
    }
    spark = load_settings({"KAM_HOME": str(tmp_path), "KAM_ENGINE": "spark"})
    assert night_dbt_environment(spark, date(2025, 3, 31))["KAM_SPARK_WAREHOUSE"] == str(
        tmp_path.resolve() / "warehouse" / "spark"
    )
    # The Spark targets keep their own threads (one statement at a time on a local session).
    assert "KAM_DBT_THREADS" not in night_dbt_environment(spark, date(2025, 3, 31))


def test_a_run_for_another_engine_than_the_loaded_job_is_refused(tmp_path: Path) -> None:
    from orchestration.engine import graph_engine, require_graph_engine

    other = "spark" if graph_engine() == "duckdb" else "duckdb"
    settings = load_settings({"KAM_HOME": str(tmp_path), "KAM_ENGINE": other})
    with pytest.raises(SettingsError) as raised:
        require_graph_engine(settings)
    assert str(raised.value) == (
        f"the nightly job in this process was loaded for the {graph_engine()} engine, but the "
        f"run asks for {other} — fix: start the process (kam run, dagster dev) with "
        f"KAM_ENGINE={other}, or run with --engine {graph_engine()}"
    )


def test_kam_run_engine_option_takes_the_place_of_kam_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.cli.common import settings_of
    from orchestration.cli.parser import build_parser

    monkeypatch.setenv("KAM_ENGINE", "duckdb")
    parser = build_parser()
    assert settings_of(parser.parse_args(["--home", str(tmp_path), "run"])).engine == "duckdb"
    args = parser.parse_args(["run", "--engine", "spark", "--home", str(tmp_path)])
    assert settings_of(args).engine == "spark"
    assert (
        settings_of(
            parser.parse_args(
                ["backfill", "--start", "2025-01-01", "--end", "2025-01-02", "--engine", "spark"]
            )
        ).engine
        == "spark"
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--engine", "Spark"])


def test_spark_warehouse_defaults_under_home_as_dbts_profile_does(tmp_path: Path) -> None:
    settings = load_settings({"KAM_HOME": str(tmp_path)})
    assert settings.spark_warehouse is None
    assert settings.spark_warehouse_dir == tmp_path.resolve() / "warehouse" / "spark"
    moved = load_settings({"KAM_HOME": str(tmp_path), "KAM_SPARK_WAREHOUSE": str(tmp_path / "s")})
    assert moved.spark_warehouse_dir == tmp_path.resolve() / "s"


def test_the_resource_carries_the_engine_to_the_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("KAM_ENGINE", raising=False)
    settings = load_settings(
        {
            "KAM_HOME": str(tmp_path),
            "KAM_ENGINE": "spark",
            "KAM_SPARK_WAREHOUSE": str(tmp_path / "lake"),
        }
    )
    config = KamSettingsResource.run_config(settings)["config"]
    assert (config["engine"], config["spark_warehouse"]) == ("spark", str(tmp_path / "lake"))
    assert KamSettingsResource(**config).settings() == settings


def test_the_session_takes_dbts_spark_profile_for_the_folder_given() -> None:
    settings = spark_settings({"KAM_SPARK_WAREHOUSE": "/data/lake"})
    assert settings["spark.sql.warehouse.dir"] == "/data/lake/tables"
    assert (
        "databaseName=/data/lake/metastore_db;"
        in (settings["spark.hadoop.javax.jdo.option.ConnectionURL"])
    )
    assert [key for key, value in settings.items() if "{{" in value or "../var" in value] == []


def test_the_drivers_java_options_add_to_the_derby_home() -> None:
    default = spark_settings({"KAM_SPARK_WAREHOUSE": "/data/lake"})
    assert default["spark.driver.extraJavaOptions"].split() == [
        "-Dderby.system.home=/data/lake/derby"
    ]
    options = spark_settings(
        {"KAM_SPARK_WAREHOUSE": "/data/lake", "KAM_SPARK_JAVA_OPTIONS": "-XX:+UseSerialGC -Xss4m"}
    )
    assert options["spark.driver.extraJavaOptions"].split() == [
        "-Dderby.system.home=/data/lake/derby",
        "-XX:+UseSerialGC",
        "-Xss4m",
    ]


def test_tables_are_written_only_to_a_local_warehouse_folder() -> None:
    assert local_path("file:/data/lake/tables") == Path("/data/lake/tables")
    assert local_path("file:///data/lake/tables") == Path("/data/lake/tables")
    with pytest.raises(SparkSessionError, match="s3a://bucket/kam.*KAM_SPARK_WAREHOUSE"):
        local_path("s3a://bucket/kam")


def test_kam_spark_remote_names_a_spark_connect_server(tmp_path: Path) -> None:
    home = {"KAM_HOME": str(tmp_path), "KAM_ENGINE": "spark"}
    assert load_settings(home).spark_remote is None
    assert load_settings({**home, "KAM_SPARK_REMOTE": ""}).spark_remote is None
    remote = load_settings({**home, "KAM_SPARK_REMOTE": "sc://spark.internal:15002"})
    assert remote.spark_remote == "sc://spark.internal:15002"
    for wrong in ("spark.internal:15002", "sc://spark.internal:port", "sc://:15002"):
        with pytest.raises(SettingsError) as raised:
            load_settings({**home, "KAM_SPARK_REMOTE": wrong})
        assert str(raised.value) == (
            f"KAM_SPARK_REMOTE={wrong!r} is not a Spark Connect URL — fix: write it as "
            "sc://host:port (e.g. sc://localhost:15002), or unset it for a local Spark session"
        )
    # The run config carries it to the run.
    config = KamSettingsResource.run_config(remote)["config"]
    assert config["spark_remote"] == "sc://spark.internal:15002"
    assert KamSettingsResource(**config).settings() == remote


def test_dbt_builds_through_the_server_on_the_spark_connect_target(tmp_path: Path) -> None:
    from datetime import date

    from warehouse.settings import dbt_environment, night_dbt_environment

    warehouse, lake = tmp_path / "w.duckdb", tmp_path / "lake"
    assert dbt_environment(
        warehouse, date(2025, 3, 31), spark_warehouse=lake, spark_remote="sc://s:15002"
    ) == {
        "KAM_ENGINE": "spark",
        "KAM_WAREHOUSE_PATH": str(warehouse),
        "DBT_TARGET": "spark_connect",
        "KAM_SPARK_WAREHOUSE": str(lake),
        "KAM_SPARK_REMOTE": "sc://s:15002",
        "KAM_AS_OF_DATE": "2025-03-31",
    }
    # a server named for a DuckDB night changes nothing
    assert "KAM_SPARK_REMOTE" not in dbt_environment(warehouse, spark_remote="sc://s:15002")
    night = load_settings(
        {"KAM_HOME": str(tmp_path), "KAM_ENGINE": "spark", "KAM_SPARK_REMOTE": "sc://s:1"}
    )
    assert night_dbt_environment(night, date(2025, 3, 31))["DBT_TARGET"] == "spark_connect"


def test_a_spark_connect_client_sets_the_sql_settings_of_the_local_session() -> None:
    local = spark_settings({"KAM_SPARK_WAREHOUSE": "/data/lake"})
    client = spark_settings({"KAM_SPARK_REMOTE": "sc://s:15002"}, "spark_connect")
    assert client == {
        "spark.remote": "sc://s:15002",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "false",
        "spark.sql.hive.metastorePartitionPruning": "false",
    }
    # every SQL setting of the client is the local session's (one list in profiles.yml)
    assert {k: v for k, v in client.items() if k != "spark.remote"}.items() <= local.items()


def test_the_server_gets_the_local_sessions_settings(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from warehouse.spark.connect_server import SERVER_CLASS, server_command

    command = server_command(tmp_path / "lake", 15111, {"KAM_SPARK_JAVA_OPTIONS": "-Xss4m"})
    assert command[0].endswith("/pyspark/bin/spark-submit")
    assert command[1:3] == ["--class", SERVER_CLASS]
    confs = dict(command[i + 1].split("=", 1) for i, part in enumerate(command) if part == "--conf")
    assert confs == {
        **spark_settings(
            {"KAM_SPARK_WAREHOUSE": str(tmp_path / "lake"), "KAM_SPARK_JAVA_OPTIONS": "-Xss4m"}
        ),  # fmt: skip
        "spark.sql.catalogImplementation": "hive",
        "spark.connect.grpc.binding.port": "15111",
        "spark.log.level": "WARN",
    }
    assert confs["spark.sql.warehouse.dir"] == f"{tmp_path / 'lake'}/tables"


def test_a_server_that_does_not_answer_is_named_at_once(tmp_path: Path) -> None:
    import socket
    import time

    pytest.importorskip("pyspark")
    from warehouse.settings import remote_address
    from warehouse.spark.session import spark_session

    assert remote_address("sc://spark.internal:15111/;token=x") == ("spark.internal", 15111)
    assert remote_address("sc://spark.internal") == ("spark.internal", 15002)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(SparkSessionError) as raised:
        spark_session(tmp_path / "lake", remote=f"sc://localhost:{port}")
    assert time.monotonic() - started < 10  # not pyspark's minutes of retries
    assert str(raised.value) == (
        f"cannot reach the Spark Connect server at sc://localhost:{port} (KAM_SPARK_REMOTE): "
        "Connection refused — fix: start it (kam spark-server), or correct KAM_SPARK_REMOTE, "
        "or unset it for a local Spark session"
    )


def test_without_java_a_night_through_a_server_is_not_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.engine import missing_for

    monkeypatch.setenv("PATH", str(tmp_path / "no-java-here"))
    assert "Java 17 (java on PATH)" in missing_for("spark")
    assert "Java 17 (java on PATH)" not in missing_for("spark", remote=True)


def test_the_spark_steps_reach_the_server_the_settings_name(tmp_path: Path) -> None:
    from warehouse.spark.child import step_command

    home = {"KAM_HOME": str(tmp_path), "KAM_ENGINE": "spark"}
    local = step_command("export-raw", load_settings(home))
    assert "--spark-remote" not in local
    remote = step_command("export-raw", load_settings({**home, "KAM_SPARK_REMOTE": "sc://s:1"}))
    assert remote == [*local, "--spark-remote", "sc://s:1"]


def test_kam_spark_server_without_java_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.cli import main

    monkeypatch.setenv("PATH", str(tmp_path / "no-java-here"))
    assert main(["--home", str(tmp_path), "spark-server"]) == 2
    assert capsys.readouterr().err == (
        "kam: error: a Spark Connect server needs Java 17 (java on PATH), which this machine "
        "lacks — fix: .venv/bin/python -m pip install -e '.[spark]', and install a Java 17 "
        "runtime\n"
    )
    assert not (tmp_path / "logs").exists()  # nothing was started


def test_kam_spark_server_on_a_port_in_use_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from orchestration.cli import main
    from orchestration.engine import missing_for

    if missing_for("spark"):
        pytest.skip(f"needs {', '.join(missing_for('spark'))}")
    with socket.socket() as taken:
        taken.bind(("localhost", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--home", str(tmp_path), "spark-server", "--port", str(port)]) == 2
    assert capsys.readouterr().err == (
        f"kam: error: port {port} is already in use: stop what listens there, or start the "
        "server on another port (--port)\n"
    )


def test_kam_run_spark_remote_option_takes_the_place_of_kam_spark_remote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.cli import main
    from orchestration.cli.common import settings_of
    from orchestration.cli.parser import build_parser

    monkeypatch.setenv("KAM_SPARK_REMOTE", "sc://from-the-shell:15002")
    parser = build_parser()
    home = ["--home", str(tmp_path)]
    run = parser.parse_args([*home, "run", "--engine", "spark"])
    assert settings_of(run).spark_remote == "sc://from-the-shell:15002"
    run = parser.parse_args([*home, "run", "--engine", "spark", "--spark-remote", "sc://s:1"])
    assert settings_of(run).spark_remote == "sc://s:1"
    backfill = parser.parse_args(
        [*home, "backfill", "--start", "2025-01-01", "--end", "2025-01-02",
         "--spark-remote", "sc://s:2"]
    )  # fmt: skip
    assert settings_of(backfill).spark_remote == "sc://s:2"
    # A URL kam cannot use is refused before anything runs.
    with pytest.raises(SystemExit) as exited:
        main([*home, "run", "--engine", "spark", "--spark-remote", "localhost:15002"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "kam run: error: argument --spark-remote: 'localhost:15002' is not a Spark Connect URL: "
        "write it as sc://host:port (e.g. sc://localhost:15002)"
    )
    assert not (tmp_path / "dagster").exists()


def test_a_client_connects_to_kam_spark_remote_whatever_the_target_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A spark_connect target without spark.remote (made a Thrift target for dbt) once gave
    kam's steps a local Spark of their own, silently."""
    import socket
    from types import SimpleNamespace

    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from warehouse.spark import session as session_module

    asked: list[tuple[str, str]] = []

    class Builder:
        def remote(self, url: str) -> Builder:
            asked.append(("remote", url))
            return self

        def config(self, key: str, value: str) -> Builder:
            asked.append((key, value))
            return self

        def getOrCreate(self) -> SimpleNamespace:
            return SimpleNamespace(conf=SimpleNamespace(get=lambda key: "file:/lake/tables"))

    monkeypatch.setattr(SparkSession, "builder", Builder())
    with socket.socket() as server:  # something listening, for the reachability check
        server.bind(("localhost", 0))
        server.listen()
        remote = f"sc://localhost:{server.getsockname()[1]}"
        session_module._connect(remote, {"spark.sql.session.timeZone": "UTC"})
        session_module._connect(remote, {"spark.remote": "sc://elsewhere:1", "a.b": "c"})
    assert asked == [
        ("remote", remote),
        ("spark.sql.session.timeZone", "UTC"),
        ("remote", remote),
        ("a.b", "c"),
    ]
