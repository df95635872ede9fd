"""Each Spark step of a night in a child process of its own.

The local Spark session keeps its catalog in an embedded Derby database, which one Java process
at a time may open, and a Java process started by pyspark lives as long as the Python process
(stopping the session does not release the catalog). dbt (dagster-dbt runs it as a subprocess)
must open that catalog after kam's own steps, so each step runs in a child Python process
(``python -m warehouse.spark <step>``) that ends, with its Java process, when the step is done.
Starting a session costs a few seconds to tens of seconds per step. Over a Spark Connect
server (``KAM_SPARK_REMOTE``) the server holds the catalog, and a step's process is a client
without a Java process of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from warehouse.settings import Settings

STEPS = ("export-raw", "copy-marts", "export-scores")


class SparkStepError(RuntimeError):
    """A Spark step failed in its child process; the message names the step and its error."""


def step_command(
    step: str, settings: Settings, dates: Sequence[date] = (), marts: Sequence[str] = ()
) -> list[str]:
    """The command line of ``step`` for the installation of ``settings``."""
    if step not in STEPS:
        raise ValueError(f"unknown Spark step {step!r}: one of {', '.join(STEPS)}")
    command = [
        sys.executable, "-m", "warehouse.spark", step,
        "--warehouse", str(settings.warehouse_path),
        "--spark-warehouse", str(settings.spark_warehouse_dir),
    ]  # fmt: skip
    if settings.spark_remote is not None:
        command += ["--spark-remote", settings.spark_remote]
    for day in dates:
        command += ["--as-of", day.isoformat()]
    for table in marts:
        command += ["--mart", table]
    return command


def run_step(
    step: str, settings: Settings, dates: Sequence[date] = (), marts: Sequence[str] = ()
) -> dict:
    """Run ``step`` in a child process; returns its summary (what it wrote), or raises
    :class:`SparkStepError` with the child's error. The child's own output (Spark's log
    included) is kept in :func:`step_log_path`."""
    done = subprocess.run(
        step_command(step, settings, dates, marts), capture_output=True, text=True, check=False
    )
    log = step_log_path(settings, step)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        raise SparkStepError(
            f"the Spark step {step} failed (exit code {done.returncode}): "
            f"{last_error(done.stderr)} — its whole output is in {log}"
        )
    return json.loads(lines[-1])


def step_log_path(settings: Settings, step: str) -> Path:
    """Where the output of the last run of ``step`` is kept."""
    return settings.home / "logs" / f"spark-{step}.log"


def last_error(stderr: str) -> str:
    """The Python error a child printed last (its traceback's final line), else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.split(":")[0].endswith(("Error", "Exception"))]
    return (errors or lines or ["no output"])[-1]
