"""Telling a run that failed because a disk filled up from other failures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from warehouse.settings import Settings

#: What a full disk looks like in the errors of SQLite, DuckDB and the OS: sure signs, and signs
#: that a full disk also gives (taken for one when little space is left).
DISK_FULL_SIGNS = ("no space left on device", "database or disk is full", "errno 28")
DISK_FULL_HINTS = ("disk i/o error", "cannot rollback", "could not write")
#: Below this much free space a failed run is taken for a full disk whatever it said.
DISK_NEARLY_FULL_BYTES = 1 << 20
#: Below this much free space a hint is taken for a full disk.
DISK_LOW_BYTES = 64 << 20


def disk_full_message(settings: Settings, errors: Sequence[str]) -> str | None:
    """kam's message for a run that failed because a disk filled up, naming the folder and the
    fix; None when the errors and the free space do not say so."""
    import shutil

    from orchestration.instance import dagster_home_of

    folders = {
        "warehouse": settings.warehouse_path.parent,
        "published copy": settings.publish_dir,
        "Dagster home": dagster_home_of(settings.home),
        "home": settings.home,
    }
    free: dict[str, tuple[Path, int]] = {}
    for name, folder in folders.items():
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is not None:
            free[name] = (folder, shutil.disk_usage(existing).free)
    if not free:
        return None
    name, (folder, left) = min(free.items(), key=lambda item: item[1][1])
    text = " ".join(errors).lower()
    sure = any(sign in text for sign in DISK_FULL_SIGNS)
    hinted = any(hint in text for hint in DISK_FULL_HINTS) and left < DISK_LOW_BYTES
    if not (sure or hinted or left < DISK_NEARLY_FULL_BYTES):
        return None
    return (
        f"disk full: the run could not write ({left / 2**20:.1f} MB free where the {name} is, "
        f"{folder}) — fix: free space on that disk, or move KAM_HOME (or KAM_WAREHOUSE_PATH, "
        "KAM_PUBLISH_DIR) to a larger one, then run the date again; the published copy is the "
        "last one that was completed"
    )
