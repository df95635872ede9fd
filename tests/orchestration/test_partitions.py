"""Business dates start at the first landed date (or KAM_FIRST_BUSINESS_DATE), not a fixed year."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from orchestration.partitions import first_business_date, landed_dates

REPO = Path(__file__).resolve().parents[2]
LANDING = Path(__file__).parents[1] / "e2e_landing"


def _land(root: Path, *folders: str) -> None:
    for folder in folders:
        (root / folder).mkdir(parents=True)


def test_the_oldest_date_folder_of_any_source_is_the_first_business_date(tmp_path: Path) -> None:
    _land(
        tmp_path / "landing",
        "payments/2024-06-02",
        "customers/2024-05-31",
        "customers/2024-07-01",
        "customers/archive",
        "invoices/2024-02-30",
    )
    (tmp_path / "landing" / "customers" / "2023-01-01").write_text("a file, not a folder")
    assert landed_dates(tmp_path / "landing") == [
        date(2024, 5, 31),
        date(2024, 6, 2),
        date(2024, 7, 1),
    ]
    assert first_business_date({"KAM_HOME": str(tmp_path)}) == date(2024, 5, 31)
    moved = tmp_path / "elsewhere"
    _land(moved, "transactions/2022-12-31")
    assert first_business_date({"KAM_HOME": str(tmp_path), "KAM_LANDING_DIR": str(moved)}) == date(
        2022, 12, 31
    )


def test_a_configured_first_date_wins_and_a_bad_one_names_the_fix(tmp_path: Path) -> None:
    _land(tmp_path / "landing", "payments/2024-06-02")
    env = {"KAM_HOME": str(tmp_path), "KAM_FIRST_BUSINESS_DATE": "2024-01-01"}
    assert first_business_date(env) == date(2024, 1, 1)
    with pytest.raises(ValueError, match="KAM_FIRST_BUSINESS_DATE='2024-13-01' is not a date"):
        first_business_date({**env, "KAM_FIRST_BUSINESS_DATE": "2024-13-01"})


def test_with_nothing_landed_the_dates_start_today(tmp_path: Path) -> None:
    env = {"KAM_HOME": str(tmp_path), "KAM_TIMEZONE": "Pacific/Kiritimati"}
    assert first_business_date(env) == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()


def test_the_definitions_partitions_start_at_the_first_landed_date(tmp_path: Path) -> None:
    """In a process of its own: the partitions are built when the definitions are imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "DAGSTER_HOME"))}
    env["KAM_LANDING_DIR"] = str(LANDING)
    code = (
        "import json; from orchestration.definitions import defs; "
        "p = defs.resolve_job_def('nightly_job').partitions_def; "
        "keys = p.get_partition_keys(); print(json.dumps([keys[0], str(p.timezone)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # tests/e2e_landing's oldest folders are dated 2025-03-01.
    assert json.loads(out.splitlines()[-1]) == ["2025-03-01", "Asia/Shanghai"]
