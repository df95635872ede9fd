"""The local Spark session kam's Python steps share with dbt-spark's ``session`` method.

dbt-spark (``method: session``) builds its session from the ``spark`` target of
``dbt_project/profiles.yml``; Spark keeps one session per process, so kam's steps build theirs
from the same settings, rendered as dbt renders them, and whichever comes first serves both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import yaml

from warehouse.settings import DBT_PROJECT_DIR

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PROFILE_PATH = DBT_PROJECT_DIR / "profiles.yml"
# The variable the profile reads for the folder holding the tables and their catalog.
WAREHOUSE_ENV = "KAM_SPARK_WAREHOUSE"
INSTALL = "pip install -e '.[spark]'"


class SparkSessionError(RuntimeError):
    """The Spark session cannot serve kam as asked; the message names the fix."""


def spark_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``spark`` target's session settings (``server_side_parameters``) with ``env_var``
    rendered from ``environ``, as dbt renders them."""
    profile = yaml.safe_load(PROFILE_PATH.read_text(encoding="utf-8"))
    try:
        target = profile["kam"]["outputs"]["spark"]
    except KeyError:
        raise SparkSessionError(
            f"{PROFILE_PATH} has no 'spark' target under kam.outputs: restore it from the "
            "repository (docs/spark.md)"
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


def spark_session(warehouse_dir: Path, environ: Mapping[str, str] | None = None) -> SparkSession:
    """The process's Spark session with its tables and catalog under ``warehouse_dir``.

    Raises :class:`SparkSessionError` without pyspark, or when the process already holds a
    session whose tables live elsewhere (Spark fixes the folder when the session starts).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkSessionError(
            f"the Spark engine needs pyspark and dbt-spark: {INSTALL} (and a Java 17 runtime)"
        ) from None
    settings = spark_settings(
        {**(os.environ if environ is None else environ), WAREHOUSE_ENV: str(warehouse_dir)}
    )
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    wanted = settings.get("spark.sql.warehouse.dir")
    held = session.conf.get("spark.sql.warehouse.dir")
    if wanted and local_path(held) != local_path(wanted):
        raise SparkSessionError(
            f"this process already runs a Spark session whose tables are in {held}, not "
            f"{wanted}: run kam for one Spark warehouse per process ({WAREHOUSE_ENV})"
        )
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
