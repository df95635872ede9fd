"""Where kam reads and writes, taken from environment variables with sensible defaults.

Every path kam touches derives from these settings, so a test or a user can point the whole
pipeline at another folder by setting ``KAM_HOME`` (or the individual variables).

This is also the one module that writes the process environment, and only for the block that
needs it (:func:`environment`): for readers that take their settings from nowhere else — dbt's
profile and macros (:func:`dbt_environment`), Dagster's ``DAGSTER_HOME``, and the business-date
partitions built when the definitions load. Dagster's resources get the settings as run config.
"""

from __future__ import annotations

import contextlib
import functools
import os
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_CONFIG_DIR = REPO_ROOT / "config"

# DuckDB release whose storage format the published file is written in by default: DuckDB 1.0 and
# every later release read it (BI tools bundle DuckDB 1.x).
DEFAULT_PUBLISH_STORAGE_VERSION = "v1.0.0"

# The engines dbt builds the warehouse on (``KAM_ENGINE``): DuckDB, embedded, by default, or
# Apache Spark through dbt-spark (docs/spark.md).
ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class Settings:
    """Resolved locations of one kam installation."""

    home: Path
    landing_dir: Path
    warehouse_path: Path
    publish_dir: Path
    config_dir: Path
    # DuckDB release whose storage format the published file is written in (the oldest that
    # must read it): ``KAM_PUBLISH_STORAGE_VERSION``.
    publish_storage_version: str = DEFAULT_PUBLISH_STORAGE_VERSION
    # The engine dbt builds on (``KAM_ENGINE``, one of :data:`ENGINES`).
    engine: str = ENGINES[0]
    # Folder of the Spark engine's tables and catalog (``KAM_SPARK_WAREHOUSE``); None: the
    # default under home (:attr:`spark_warehouse_dir`).
    spark_warehouse: Path | None = None
    # A Spark Connect server the Spark engine works through (``KAM_SPARK_REMOTE``,
    # ``sc://host:port``); None: a local Spark session in each Spark step's own process.
    spark_remote: str | None = None
    # How many changed landing folders of one source load at once (``KAM_INGEST_THREADS``).
    ingest_threads: int = 1
    # How many models and data tests dbt runs at once on DuckDB (``KAM_DBT_THREADS``).
    dbt_threads: int = 1

    @property
    def mappings_dir(self) -> Path:
        return self.config_dir / "mappings"

    @property
    def scoring_config_path(self) -> Path:
        return self.config_dir / "scoring.yaml"

    @property
    def spark_warehouse_dir(self) -> Path:
        """Where the Spark engine keeps its Parquet tables and their catalog."""
        return self.spark_warehouse or self.home / "warehouse" / "spark"

    @property
    def published_path(self) -> Path:
        return self.publish_dir / "kam.duckdb"

    @property
    def published_parquet_dir(self) -> Path:
        return self.publish_dir / "parquet"


class SettingsError(ValueError):
    """An environment variable of kam's holds a value kam cannot use; names it and the fix."""


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: the process environment); raise
    :class:`SettingsError` for a value kam cannot use."""
    env = os.environ if environ is None else environ
    duckdb_memory_limit(env)
    home = Path(env.get("KAM_HOME", str(REPO_ROOT / "var"))).expanduser().resolve()
    spark = env.get("KAM_SPARK_WAREHOUSE")
    return Settings(
        home=home,
        landing_dir=_path(env, "KAM_LANDING_DIR", home / "landing"),
        warehouse_path=_path(env, "KAM_WAREHOUSE_PATH", home / "warehouse" / "kam.duckdb"),
        publish_dir=_path(env, "KAM_PUBLISH_DIR", home / "published"),
        config_dir=_path(env, "KAM_CONFIG_DIR", DEFAULT_CONFIG_DIR),
        publish_storage_version=(
            env.get("KAM_PUBLISH_STORAGE_VERSION") or DEFAULT_PUBLISH_STORAGE_VERSION
        ),
        engine=engine(env),
        spark_warehouse=Path(spark).expanduser().resolve() if spark else None,
        spark_remote=spark_remote(env),
        ingest_threads=ingest_threads(env),
        dbt_threads=dbt_threads(env),
    )


def engine(env: Mapping[str, str]) -> str:
    """``KAM_ENGINE`` (default duckdb), checked against :data:`ENGINES`."""
    value = env.get("KAM_ENGINE") or ENGINES[0]
    if value not in ENGINES:
        raise SettingsError(
            f"KAM_ENGINE={env.get('KAM_ENGINE')!r} is not an engine kam builds on — fix: "
            f"set it to one of {', '.join(ENGINES)}, or unset it for the default {ENGINES[0]}"
        )
    return value


#: The environment variable of how many landing folders of a source load at once.
INGEST_THREADS_ENV = "KAM_INGEST_THREADS"
#: The environment variable of how many dbt nodes run at once on DuckDB (profiles.yml).
DBT_THREADS_ENV = "KAM_DBT_THREADS"
#: At most this many threads of either by default: each folder's load holds its staged rows,
#: and each dbt node its query's, under one memory cap.
DEFAULT_MAX_THREADS = 4


def ingest_threads(env: Mapping[str, str]) -> int:
    """``KAM_INGEST_THREADS``: how many changed landing folders of one source load at once
    (default: the machine's cores, at most :data:`DEFAULT_MAX_THREADS`)."""
    return _threads(env, INGEST_THREADS_ENV, "folders to load", "loads one folder after another")


def dbt_threads(env: Mapping[str, str]) -> int:
    """``KAM_DBT_THREADS``: how many models and data tests dbt runs at once on DuckDB (default:
    the machine's cores, at most :data:`DEFAULT_MAX_THREADS`). More threads than cores only
    queue: dbt's own work per node holds Python's interpreter lock, and each query already uses
    every core (on 2 cores, 4 threads made a 1M incremental night's dbt build 0.35 s slower than
    2)."""
    return _threads(env, DBT_THREADS_ENV, "dbt nodes to run", "runs one node after another")


def _threads(env: Mapping[str, str], name: str, what: str, one: str) -> int:
    value = env.get(name)
    if not value:
        return min(DEFAULT_MAX_THREADS, os.cpu_count() or 1)
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise SettingsError(
            f"{name}={value!r} is not a number of {what} at once — fix: a whole number of at "
            f"least 1 (1 {one}), or unset it for the machine's cores, at most "
            f"{DEFAULT_MAX_THREADS}"
        )
    return threads


#: The environment variable naming the Spark Connect server of the Spark engine.
SPARK_REMOTE_ENV = "KAM_SPARK_REMOTE"
#: Spark Connect's own port, which a URL without one means.
SPARK_CONNECT_PORT = 15002


def spark_remote(env: Mapping[str, str]) -> str | None:
    """``KAM_SPARK_REMOTE``: a Spark Connect URL (``sc://host:port``), or None when unset."""
    value = env.get(SPARK_REMOTE_ENV) or None
    if value is None:
        return None
    try:
        remote_address(value)
    except ValueError:
        raise SettingsError(
            f"{SPARK_REMOTE_ENV}={value!r} is not a Spark Connect URL — fix: write it as "
            f"sc://host:port (e.g. sc://localhost:15002), or unset it for a local Spark session"
        ) from None
    return value


def remote_address(remote: str) -> tuple[str, int]:
    """Host and port of a Spark Connect URL ``sc://host[:port][/;params]``
    (:data:`SPARK_CONNECT_PORT` when it has none); raises ValueError for anything else."""
    parsed = urllib.parse.urlparse(remote.split(";")[0].rstrip("/"))
    if parsed.scheme != "sc" or not parsed.hostname:
        raise ValueError(f"not a Spark Connect URL: {remote!r}")
    return parsed.hostname, parsed.port or SPARK_CONNECT_PORT


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    return Path(value).expanduser().resolve() if value else default


DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"


def duckdb_memory_limit(environ: Mapping[str, str] | None = None) -> str:
    """``KAM_DUCKDB_MEMORY_LIMIT`` checked the way DuckDB reads it (e.g. 2GB, 512MB, 80%)."""
    env = os.environ if environ is None else environ
    value = env.get("KAM_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
    if not _duckdb_reads_memory_limit(value):
        raise SettingsError(
            f"KAM_DUCKDB_MEMORY_LIMIT={value!r} is not a memory size DuckDB understands — fix: "
            "write a number with a unit, e.g. KAM_DUCKDB_MEMORY_LIMIT=2GB (or 512MB, 80%), or "
            "unset it for the default 2GB"
        )
    return value


@functools.lru_cache(maxsize=16)
def _duckdb_reads_memory_limit(value: str) -> bool:
    """Whether DuckDB takes ``value`` as its memory limit. Asked once a value and process: the
    in-memory database that asks costs about 10 ms, and a night opens some 35 connections."""
    try:
        duckdb.connect(config={"memory_limit": value}).close()
    except duckdb.Error:
        return False
    return True


#: The settings :func:`load_settings` refuses when kam cannot use them, each with the function
#: that checks it (and raises :class:`SettingsError`): ``kam check`` lists every such problem
#: instead of stopping at the first.
CHECKED_SETTINGS: dict[str, Callable[[Mapping[str, str]], object]] = {
    "KAM_DUCKDB_MEMORY_LIMIT": duckdb_memory_limit,
    INGEST_THREADS_ENV: ingest_threads,
    DBT_THREADS_ENV: dbt_threads,
}


def connect_warehouse(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with kam's memory cap (``KAM_DUCKDB_MEMORY_LIMIT``, default 2GB).

    Past the cap DuckDB spills to a temporary folder beside the database instead of growing,
    which keeps a 10-million-line night inside a small machine's memory.
    """
    config = {"memory_limit": duckdb_memory_limit()}
    if not read_only:
        config["temp_directory"] = str(path.parent / ".duckdb_tmp")
    return duckdb.connect(str(path), read_only=read_only, config=config)


#: The business date reaches dbt through this environment variable (macro as_of_date), not
#: through --vars: a var that changes every night makes dbt re-parse the whole project, an
#: environment variable read only at execution time does not.
AS_OF_DATE_ENV = "KAM_AS_OF_DATE"


#: The dbt target of the Spark engine over a Spark Connect server (dbt_project/profiles.yml).
SPARK_CONNECT_TARGET = "spark_connect"


def dbt_environment(
    warehouse_path: Path,
    as_of: date | None = None,
    *,
    spark_warehouse: Path | None = None,
    spark_remote: str | None = None,
) -> dict[str, str]:
    """What kam's dbt project reads from the environment: the engine and its warehouse
    (profiles.yml) and, for a build, the as-of date (:data:`AS_OF_DATE_ENV`).

    dbt builds on DuckDB unless ``spark_warehouse`` (the Spark engine's folder) is given, over
    the Spark Connect server ``spark_remote`` if one is given (the profile's
    :data:`SPARK_CONNECT_TARGET`). dbt's ``DBT_TARGET`` names the target, so a ``KAM_ENGINE``
    or ``DBT_TARGET`` left in the shell never picks the target of a call that did not ask for
    it."""
    values = {
        "KAM_ENGINE": ENGINES[0],
        "KAM_WAREHOUSE_PATH": str(warehouse_path),
        "DBT_TARGET": ENGINES[0],
    }
    if spark_warehouse is not None:
        values["KAM_ENGINE"] = values["DBT_TARGET"] = "spark"
        values["KAM_SPARK_WAREHOUSE"] = str(spark_warehouse)
        if spark_remote is not None:
            values[SPARK_REMOTE_ENV] = spark_remote
            values["DBT_TARGET"] = SPARK_CONNECT_TARGET
    if as_of is not None:
        values[AS_OF_DATE_ENV] = as_of.isoformat()
    return values


def night_dbt_environment(settings: Settings, as_of: date) -> dict[str, str]:
    """:func:`dbt_environment` of a night's dbt calls: on the engine ``settings`` name, with its
    number of threads on DuckDB (the Spark targets keep their own)."""
    if settings.engine != "spark":
        values = dbt_environment(settings.warehouse_path, as_of)
        return {**values, DBT_THREADS_ENV: str(settings.dbt_threads)}
    return dbt_environment(
        settings.warehouse_path,
        as_of,
        spark_warehouse=settings.spark_warehouse_dir,
        spark_remote=settings.spark_remote,
    )


def definitions_environment(settings: Settings) -> dict[str, str]:
    """What the Dagster definitions read when they load: the landing folder, whose oldest date
    starts the business-date partitions (``orchestration/partitions.py``), and the engine, whose
    steps the nightly job holds (``orchestration/engine.py``)."""
    return {
        "KAM_HOME": str(settings.home),
        "KAM_LANDING_DIR": str(settings.landing_dir),
        "KAM_ENGINE": settings.engine,
    }


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in the process environment while the block runs, then put back what was
    there before (unset what was unset). dbt's subprocess and in-process runner take a copy of
    the environment when they start, so the block must hold the whole dbt call."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
