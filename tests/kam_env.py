"""The kam settings a developer's shell may export, which a test with a home of its own must not
see: they would point its run at another landing folder, warehouse or configuration."""

from __future__ import annotations

import pytest

HOME_PATH_VARIABLES = (
    "KAM_HOME",
    "KAM_LANDING_DIR",
    "KAM_WAREHOUSE_PATH",
    "KAM_PUBLISH_DIR",
    "KAM_CONFIG_DIR",
)


def clear_home_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset the home's path settings for the test (``monkeypatch`` puts them back)."""
    for name in HOME_PATH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
