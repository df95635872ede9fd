"""The engine the nightly job's graph is built for, fixed when the definitions load.

On DuckDB the graph is ingest → dbt → score → publish in one DuckDB warehouse. On Spark it holds
two more steps (``orchestration/assets/spark.py``): the validated raw tables exported to Spark
before dbt, and the scores written back after scoring; dbt builds on Spark and its marts are
copied into the DuckDB warehouse, where scoring and publishing read them. The definitions read
``KAM_ENGINE`` when they load (``kam run`` sets it from ``--engine``), like the partitions read
the landing folder; a run's settings must name the same engine.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from importlib.util import find_spec

from warehouse.settings import ENGINES, Settings, SettingsError, engine

#: Asset keys of the Spark engine's tables start with this: the raw tables exported to Spark,
#: which are the dbt sources of a Spark graph, and the scores written back.
SPARK_KEY_PREFIX = "spark"

SPARK_INSTALL = ".venv/bin/python -m pip install -e '.[spark]'"


@cache
def graph_engine() -> str:
    """The engine of this process's definitions: ``KAM_ENGINE`` when they first load."""
    return engine(os.environ)


def on_spark() -> bool:
    """Whether the definitions hold the Spark engine's steps."""
    return graph_engine() == "spark"


def require_graph_engine(settings: Settings) -> None:
    """Refuse a run whose settings name another engine than the loaded definitions'."""
    loaded = graph_engine()
    if settings.engine != loaded:
        raise SettingsError(
            f"the nightly job in this process was loaded for the {loaded} engine, but the run "
            f"asks for {settings.engine} — fix: start the process (kam run, dagster dev) with "
            f"KAM_ENGINE={settings.engine}, or run with --engine {loaded}"
        )


def missing_for(engine_name: str, remote: bool = False) -> list[str]:
    """What this machine lacks to run a night on ``engine_name`` (nothing for DuckDB); with
    a Spark Connect server (``remote``) Spark's Java runs there, not here."""
    if engine_name == ENGINES[0]:
        return []
    checks = (
        ("Java 17 (java on PATH)", remote or shutil.which("java") is not None),
        ("pyspark", find_spec("pyspark") is not None),
        ("dbt-spark", find_spec("dbt.adapters.spark") is not None),
    )
    return [what for what, present in checks if not present]


def require_engine_installed(settings: Settings) -> None:
    """Refuse, before anything runs, a night on an engine this machine cannot run."""
    missing = missing_for(settings.engine, remote=settings.spark_remote is not None)
    if missing:
        raise SettingsError(
            f"the {settings.engine} engine needs {', '.join(missing)}, which this machine "
            f"lacks — fix: {SPARK_INSTALL}, and install a Java 17 runtime (e.g. "
            "apt-get install openjdk-17-jre-headless); or run on duckdb (unset KAM_ENGINE, "
            "no --engine)"
        )
