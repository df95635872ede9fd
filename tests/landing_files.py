"""Landing files written by hand for ingestion tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path


def land(
    landing: Path,
    source: str,
    name: str,
    content: str | bytes,
    day: date,
    encoding: str = "utf-8",
) -> Path:
    """Write ``content`` as ``<landing>/<source>/<day>/<name>`` (text in ``encoding``)."""
    folder = landing / source / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path
