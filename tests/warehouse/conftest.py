"""Fixtures shared by the warehouse tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def install_reader(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Installs DuckDB releases into throwaway folders, each once per session."""
    root = tmp_path_factory.mktemp("duckdb-readers")
    installed: dict[str, Path] = {}

    def install(requirement: str) -> Path:
        if requirement not in installed:
            target = root / requirement.replace("*", "x").replace("=", "")
            command = [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(target),
                requirement,
            ]
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                pytest.skip(
                    f"cannot install {requirement} from the package index (offline?): "
                    f"`{' '.join(command)}` failed: {done.stderr.strip()[-300:]}"
                )
            installed[requirement] = target
        return installed[requirement]

    return install
