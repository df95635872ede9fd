"""The Dagster instance a kam run records itself in: the dagster.yaml of its Dagster home.

The run history is kept by Dagster's own SQLite storage (its default): the same files under
``<Dagster home>/history`` whether a run was started by ``kam run``, ``dagster dev`` or the daemon.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

INSTANCE_CONFIG = """\
# Written by kam when this Dagster home had no dagster.yaml (orchestration/instance.py).
telemetry:
  enabled: false
# Every kam asset and check is in the pool kam_warehouse (kam's only pool): DuckDB lets one
# process write a file, so runs launched from the UI or the daemon (a backfill, the schedule)
# wait in the queue until the run using the warehouse has finished.
concurrency:
  pools:
    default_limit: 1
    granularity: run
"""

# The event log storage an earlier kam named in the dagster.yaml it wrote; kam no longer has it
# (Dagster's own storage reads and writes the same files).
FORMER_EVENT_LOG_STORAGE = {
    "module": "orchestration.instance",
    "class": "KamSqliteEventLogStorage",
    "config": {},
}


class DagsterHomeError(ValueError):
    """The Dagster home cannot be given its dagster.yaml."""


def dagster_home_of(kam_home: Path) -> Path:
    """The Dagster home kam's runs use: ``$DAGSTER_HOME`` if set, else ``<kam home>/dagster``."""
    return Path(os.environ.get("DAGSTER_HOME") or kam_home / "dagster")


def ensure_instance_config(dagster_home: Path) -> bool:
    """Write kam's dagster.yaml into ``dagster_home`` unless it already has one; say whether
    it was written.

    A dagster.yaml that is there, the user's, is never changed; one an earlier kam wrote, which
    names kam's former event log storage, is replaced by this kam's.
    """
    config = dagster_home / "dagster.yaml"
    try:
        dagster_home.mkdir(parents=True, exist_ok=True)
        if config.exists() and not _written_by_an_earlier_kam(config):
            return False
        config.write_text(INSTANCE_CONFIG, encoding="utf-8")
    except OSError as exc:
        raise DagsterHomeError(
            f"cannot write the Dagster instance's configuration {config}: {exc.strerror}. "
            f"The Dagster home {dagster_home} must be a folder you can write: "
            "set DAGSTER_HOME (or KAM_HOME) to one"
        ) from None
    return True


def _written_by_an_earlier_kam(config: Path) -> bool:
    """Whether ``config`` is a dagster.yaml an earlier kam wrote, unedited but for comments.

    Raises DagsterHomeError for a dagster.yaml that names kam's former event log storage among
    settings of the user's: Dagster could not load it, and only the user can say what to keep.
    """
    try:
        settings: Any = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return False  # not kam's; Dagster names what is wrong with it
    if not isinstance(settings, dict):
        return False
    storage = settings.get("event_log_storage")
    if not isinstance(storage, dict) or storage.get("module") != "orchestration.instance":
        return False
    rest = {key: value for key, value in settings.items() if key != "event_log_storage"}
    current = yaml.safe_load(INSTANCE_CONFIG)
    # The first kam's turned telemetry off only; the next added the warehouse pool's limit.
    earlier = (current, {"telemetry": current["telemetry"]})
    if storage == FORMER_EVENT_LOG_STORAGE and rest in earlier:
        return True
    raise DagsterHomeError(
        f"{config} names the event log storage {storage.get('module')}."
        f"{storage.get('class')}, which kam no longer has, so Dagster cannot load this "
        "Dagster home. Fix: delete the event_log_storage block from it (Dagster's own SQLite "
        "storage reads the run history in the same files), or delete the file and run "
        "`kam prepare` for kam's"
    )
