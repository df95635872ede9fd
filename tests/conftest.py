"""Shared test set-up, and the fixtures several packages' tests use.

kam writes the process environment only inside ``warehouse.settings.environment`` blocks, which
put it back when they end, so one test module cannot leak settings into the next; tests set
variables with ``monkeypatch``.
"""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# The business-date partitions are built once per process, when the definitions are imported,
# from the oldest landed date (orchestration/partitions.py); one pytest process runs homes with
# different landing folders, so the suite fixes the start (tests/orchestration/test_partitions.py
# checks the start taken from the landing folders, in a process of its own).
os.environ.setdefault("KAM_FIRST_BUSINESS_DATE", "2023-01-01")

# The longest modules, longest first (minutes each on two cores). `make test` hands out whole
# modules to its workers in collection order (`--dist loadfile --no-loadscope-reorder`): started
# first, they run beside the many short ones; left to pytest-xdist's own order (modules with the
# most tests first) the Spark night started last and ran alone for its last ten minutes.
LONGEST_FIRST = (
    "tests/orchestration/test_spark_night.py",
    "tests/warehouse/test_disk_full.py",
    "tests/warehouse/test_write_audit_publish.py",
    "tests/orchestration/test_backfill_gates.py",
    "tests/warehouse/test_crash_safety.py",
    "tests/warehouse/test_backtest_parity.py",
    "tests/orchestration/test_end_to_end.py",
)


def pytest_collection_modifyitems(items: list) -> None:
    """Collect the :data:`LONGEST_FIRST` modules first, in that order; the rest keep theirs."""
    rank = {module: place for place, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session")
def install_reader(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Installs DuckDB releases into throwaway folders, each once per session: what BI tools
    bundling an older DuckDB read."""
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
