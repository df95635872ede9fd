"""A disk that fills up during a run: kam says so, names the folder and the fix, never shows a
library traceback, and the published copy stays the last complete one (issue 22, item 9)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.runner import execute_nightly
from warehouse.settings import load_settings

LANDING = Path(__file__).parents[1] / "e2e_landing"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small file system of its own (tmpfs), where the machine lets us mount one."""
    mount = tmp_path_factory.mktemp("small_disk")
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=300m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave_bytes: int) -> Path:
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as out:
        remaining = max(free - leave_bytes, 0)
        chunk = b"\0" * (1 << 20)
        while remaining > 0:
            remaining -= out.write(chunk[: min(len(chunk), remaining)])
    return filler


def _publication(home: Path) -> dict[str, str]:
    with duckdb.connect(str(home / "published" / "kam.duckdb"), read_only=True) as con:
        return dict(con.execute("select key, value from publication").fetchall())


@pytest.fixture(scope="module")
def landing(disk: Path) -> Path:
    """The landing folder on the small disk, shared by every case and never copied: the files
    the first night recorded (path, inode, change time) are the files each case's night finds,
    so it skips them unread as a real home's night does (a copied file would be read again)."""
    landing = disk / "landing"
    shutil.copytree(LANDING, landing)
    return landing


@pytest.fixture(scope="module")
def first_night(disk: Path, landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the home after a good first night (2025-03-20), kept off the small disk.

    The night runs once, in the home's own folder on the small disk, so that every path it
    recorded (ledger, checksums, Dagster's storage) is the one each test restores it to."""
    home = disk / "home"
    (home / "dagster").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp, home)
        first = execute_nightly(_settings(home, landing), date(2025, 3, 20))
    assert first.success, first.report()
    saved = tmp_path_factory.mktemp("first_night") / "home"
    shutil.copytree(home, saved, symlinks=True)
    shutil.rmtree(home)
    return saved


def _settings(home: Path, landing: Path):
    return load_settings({"KAM_HOME": str(home), "KAM_LANDING_DIR": str(landing)})


def _isolate(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name in ("KAM_LANDING_DIR", "KAM_WAREHOUSE_PATH", "KAM_PUBLISH_DIR", "KAM_CONFIG_DIR"):
        mp.delenv(name, raising=False)


@pytest.mark.parametrize("free_mib", [0.2, 4, 12])
def test_a_full_disk_is_named_with_its_fix_and_the_copy_stays_whole(
    disk: Path, landing: Path, first_night: Path, free_mib: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = disk / "home"
    shutil.rmtree(home, ignore_errors=True)  # left by a failed earlier case
    shutil.copytree(first_night, home, symlinks=True)
    _isolate(monkeypatch, home)
    settings = _settings(home, landing)
    before = _publication(home)
    assert before["business_date"] == "2025-03-20"

    filler = _fill(disk, int(free_mib * 2**20))
    try:
        night = execute_nightly(settings, date(2025, 3, 31))
    finally:
        filler.unlink()
    report = night.report()
    assert "Traceback" not in report
    if free_mib < 1:
        assert not night.success  # no room for the night's event log, let alone its tables
    after = _publication(home)
    if night.success:  # enough room after all: a complete new copy
        assert after["business_date"] == "2025-03-31"
    else:
        assert night.failures[0].startswith("disk full: the run could not write"), report
        assert "free space on that disk, or move KAM_HOME" in night.failures[0]
        assert after == before  # the last complete copy, still readable
    # With room again, the date runs through (a new `kam run`: a process that met a full disk
    # may keep DuckDB's handle on the file it could not finish writing).
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
    env |= {"KAM_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    env["KAM_LANDING_DIR"] = str(landing)
    again = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--date", "2025-03-31", "--quiet"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert _publication(home)["business_date"] == "2025-03-31"
    shutil.rmtree(home)
