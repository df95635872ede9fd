"""kam's own packaging: the license it declares is the one it ships, and installing it prints
no warning caused by its pyproject.toml."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_the_declared_license_is_shipped_in_full() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    # All nine sections of the terms and the end marker: the whole license, not a notice.
    sections = re.findall(r"^   (\d)\. [A-Z]", text, flags=re.MULTILINE)
    assert sections == [str(n) for n in range(1, 10)]
    assert "END OF TERMS AND CONDITIONS" in text


@pytest.mark.slow
def test_building_kams_metadata_prints_no_warning() -> None:
    # pip prepares the metadata in an isolated build environment with the setuptools that
    # pyproject.toml's [build-system] asks for, as `make setup` does; -v shows its warnings.
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--no-deps",
        "--ignore-installed",
        "--disable-pip-version-check",
        "-v",
        str(REPO),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    if done.returncode != 0 and "No matching distribution found for setuptools" in output:
        pytest.skip(f"the package index is unreachable: `{' '.join(command)}` needs it")
    assert done.returncode == 0, output[-3000:]
    assert "Would install kam-" in output
    warnings = [line.strip() for line in output.splitlines() if "Warning" in line]
    assert warnings == []
