"""The Spark engine's Python steps as a night calls them: each in a child process
(``warehouse/spark/child.py`` says why), its error as a Dagster failure naming the fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import dagster as dg

from warehouse.registry import mart_tables
from warehouse.settings import Settings
from warehouse.spark.child import SparkStepError, run_step


class SparkStepFailure(dg.Failure):
    """A Spark step of the night failed; its description names the step and the error."""


def run_spark_step(
    step: str, settings: Settings, dates: Sequence[date] = (), marts: Sequence[str] = ()
) -> dict:
    """:func:`warehouse.spark.child.run_step`, its error as a :class:`SparkStepFailure`."""
    try:
        return run_step(step, settings, dates, marts)
    except SparkStepError as error:
        raise SparkStepFailure(description=str(error)) from None


def copy_marts(
    settings: Settings, manifest: Mapping[str, Any], dates: Sequence[date], model: str | None = None
) -> dict:
    """Copy the marts dbt built on Spark (every model of the marts layer, or only ``model``; a
    history table only its ``dates``) into the DuckDB warehouse; returns the rows copied per
    table."""
    marts = [
        f"{table.source_schema}.{table.source_table}"
        for table in mart_tables(manifest)
        if model is None or table.published_name == model
    ]
    return run_spark_step("copy-marts", settings, dates, marts)
