"""The Dagster instance a kam run records itself in: its dagster.yaml and event log storage.

A nightly run stores about 560 Dagster events on tiny data (each dbt model's materialization,
each dbt test's check evaluation, both planned and done, and the steps' outputs), and more than
one SQLite connection for most of them. Dagster's SQLite event log opens a new SQLAlchemy engine
and connection for every one and throws both away: about 11 ms an event, 6-7 s of a night on the
tests' tiny data (measured with bench/run.py). ``KamSqliteEventLogStorage`` keeps the
same databases in the same files, so stock Dagster (``dagster dev``, the daemon) reads and
writes them as before, and only keeps each shard's engine, with its pool of connections, for the
next event.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster._config import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

# Where Dagster's default SQLite storage keeps each run's events, under the Dagster home.
EVENT_LOGS_SUBDIR = Path("history") / "runs"

# Engines kept open per storage: a run writes its own shard and the index; a webserver reading
# many runs must not hold a file open for each.
KEPT_ENGINES = 4

INSTANCE_CONFIG = """\
# Written by kam when this Dagster home had no dagster.yaml (orchestration/instance.py).
# kam's event log storage keeps Dagster's SQLite files and layout, and keeps their connections
# open between events; remove the event_log_storage block to go back to Dagster's own class.
telemetry:
  enabled: false
event_log_storage:
  module: orchestration.instance
  class: KamSqliteEventLogStorage
  config: {}
# Every kam asset and check is in the pool kam_warehouse (kam's only pool): DuckDB lets one
# process write a file, so runs launched from the UI or the daemon (a backfill, the schedule)
# wait in the queue until the run using the warehouse has finished.
concurrency:
  pools:
    default_limit: 1
    granularity: run
"""


class DagsterHomeError(ValueError):
    """The Dagster home cannot be given its dagster.yaml."""


def dagster_home_of(kam_home: Path) -> Path:
    """The Dagster home kam's runs use: ``$DAGSTER_HOME`` if set, else ``<kam home>/dagster``."""
    return Path(os.environ.get("DAGSTER_HOME") or kam_home / "dagster")


def ensure_instance_config(dagster_home: Path) -> bool:
    """Write kam's dagster.yaml into ``dagster_home`` unless it already has one; say whether
    it was written.

    A dagster.yaml that is there, the user's or an earlier kam's, is never changed.
    """
    config = dagster_home / "dagster.yaml"
    try:
        dagster_home.mkdir(parents=True, exist_ok=True)
        if config.exists():
            return False
        config.write_text(INSTANCE_CONFIG, encoding="utf-8")
    except OSError as exc:
        raise DagsterHomeError(
            f"cannot write the Dagster instance's configuration {config}: {exc.strerror}. "
            f"The Dagster home {dagster_home} must be a folder you can write: "
            "set DAGSTER_HOME (or KAM_HOME) to one"
        ) from None
    return True


class KamSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage, keeping each shard's engine between events.

    ``base_dir`` defaults to ``$DAGSTER_HOME/history/runs``, where Dagster's default storage
    keeps the same files, so a Dagster home can be moved without editing its dagster.yaml.
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> KamSqliteEventLogStorage:
        base_dir = config_value.get("base_dir")
        if base_dir is None:
            home = os.environ.get("DAGSTER_HOME")
            if not home:
                raise ValueError(
                    "KamSqliteEventLogStorage has no base_dir and DAGSTER_HOME is not set: set "
                    "DAGSTER_HOME to the folder holding this dagster.yaml, or give the storage "
                    "a base_dir in its config"
                )
            base_dir = str(Path(home) / EVENT_LOGS_SUBDIR)
        return cls(base_dir, inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As SqliteEventLogStorage._connect, except that the engine outlives the connection.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        self._engines[shard] = engine
        while len(self._engines) > KEPT_ENGINES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # Wiping deletes the runs' database files: a kept connection would go on writing to a
        # deleted file.
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
