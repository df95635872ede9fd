"""The Spark session kam's Python steps share with dbt-spark's ``session`` method.

dbt-spark (``method: session``) builds its session from the ``spark`` target of
``dbt_project/profiles.yml`` (a local Spark in the process), or from its ``spark_connect``
target (a client of the Spark Connect server ``KAM_SPARK_REMOTE``). kam's steps build theirs
from the same settings, rendered as dbt renders them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import yaml

from warehouse.settings import (
    DBT_PROJECT_DIR,
    SPARK_CONNECT_TARGET,
    SPARK_REMOTE_ENV,
    remote_address,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PROFILE_PATH = DBT_PROJECT_DIR / "profiles.yml"
# The variable the profile reads for the folder holding the tables and their catalog.
WAREHOUSE_ENV = "KAM_SPARK_WAREHOUSE"
INSTALL = "pip install -e '.[spark]'"


class SparkSessionError(RuntimeError):
    """The Spark session cannot serve kam as asked; the message names the fix."""


def spark_settings(environ: Mapping[str, str], target_name: str = "spark") -> dict[str, str]:
    """A Spark target's session settings (``server_side_parameters``) with ``env_var``
    rendered from ``environ``, as dbt renders them."""
    profile = yaml.safe_load(PROFILE_PATH.read_text(encoding="utf-8"))
    try:
        target = profile["kam"]["outputs"][target_name]
    except KeyError:
        raise SparkSessionError(
            f"{PROFILE_PATH} has no {target_name!r} target under kam.outputs: restore it from "
            "the repository (docs/spark.md)"
        ) from None
    renderer = jinja2.Environment(undefined=jinja2.StrictUndefined)
    renderer.globals["env_var"] = lambda name, default=None: _env_var(environ, name, default)
    return {
        str(key): renderer.from_string(str(value)).render()
        for key, value in (target.get("server_side_parameters") or {}).items()
    }


def _env_var(environ: Mapping[str, str], name: str, default: str | None) -> str:
    if name in environ:
        return environ[name]
    if default is None:
        raise SparkSessionError(
            f"{PROFILE_PATH} reads the environment variable {name}, which is not set: set it"
        )
    return default


def spark_session(
    warehouse_dir: Path, environ: Mapping[str, str] | None = None, remote: str | None = None
) -> SparkSession:
    """The process's Spark session with its tables and catalog under ``warehouse_dir``: a local
    Spark, or a session of the Spark Connect server at ``remote`` (``sc://host:port``).

    Raises :class:`SparkSessionError` without pyspark, when the server cannot be reached, or
    when the session's tables live elsewhere (Spark fixes the folder when it starts: a process
    already holding a local session, or a server started for another folder).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkSessionError(
            f"the Spark engine needs pyspark and dbt-spark: {INSTALL} (and a Java 17 runtime)"
        ) from None
    environ = {**(os.environ if environ is None else environ), WAREHOUSE_ENV: str(warehouse_dir)}
    settings = spark_settings(environ)
    if remote is None:
        builder = SparkSession.builder.enableHiveSupport()
        for key, value in settings.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
    else:
        session = _connect(remote, spark_settings({**environ, SPARK_REMOTE_ENV: remote},
                                                  SPARK_CONNECT_TARGET))  # fmt: skip
    wanted = settings.get("spark.sql.warehouse.dir")
    held = session.conf.get("spark.sql.warehouse.dir")
    if wanted and local_path(held) != local_path(wanted):
        if remote is not None:
            session.stop()  # the client's session on the server, not the server
            raise SparkSessionError(
                f"the Spark Connect server at {remote} keeps its tables in {held}, not in "
                f"{wanted}: start it for this Spark warehouse (kam spark-server), or set "
                f"{WAREHOUSE_ENV} to the folder holding {held}"
            )
        raise SparkSessionError(
            f"this process already runs a Spark session whose tables are in {held}, not "
            f"{wanted}: run kam for one Spark warehouse per process ({WAREHOUSE_ENV})"
        )
    return session


def _connect(remote: str, settings: Mapping[str, str]) -> SparkSession:
    """A session of the Spark Connect server at ``remote`` with the SQL ``settings``; raises
    :class:`SparkSessionError` naming the server when it cannot be reached."""
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    def unreachable(reason: str) -> SparkSessionError:
        return SparkSessionError(
            f"cannot reach the Spark Connect server at {remote} ({SPARK_REMOTE_ENV}): {reason} "
            f"— fix: start it (kam spark-server), or correct {SPARK_REMOTE_ENV}, or unset it "
            "for a local Spark session"
        )

    try:
        # Asked first: pyspark's client would retry for minutes before giving up.
        socket.create_connection(remote_address(remote), timeout=10).close()
    except OSError as exc:
        raise unreachable(exc.strerror or str(exc)) from None
    # The server is ``remote`` whatever the target lists: a target without spark.remote (one
    # made a Thrift target for dbt, docs/spark.md) must not give a local Spark instead.
    builder = SparkSession.builder.remote(remote)
    for key, value in settings.items():
        if key != "spark.remote":
            builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
        session.conf.get("spark.sql.warehouse.dir")  # the first call that reaches the server
    except PySparkException as exc:
        raise unreachable(str(exc).splitlines()[0]) from None
    return session


def tables_root(session: SparkSession) -> Path:
    """The local folder under which the session keeps its tables (``spark.sql.warehouse.dir``)."""
    return local_path(session.conf.get("spark.sql.warehouse.dir"))


def local_path(location: str) -> Path:
    """A ``file:`` location (or a plain path) as a local path; another scheme is refused."""
    if location.startswith("file:"):
        location = location.removeprefix("file:")
        # file:///x and file:/x both name /x.
        location = "/" + location.lstrip("/")
    elif "://" in location:
        raise SparkSessionError(
            f"kam writes Spark tables' Parquet files itself and needs a local warehouse folder, "
            f"not {location}: point {WAREHOUSE_ENV} at a local (or mounted) folder"
        )
    return Path(location).resolve()
