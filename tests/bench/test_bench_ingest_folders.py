"""bench/ingest_folders.py on a few folders: every source's folders load with one thread and with
two, and both warehouses hold the same rows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import ingest_folders  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.bench]


def test_the_report_times_each_thread_count_over_the_same_rows(tmp_path: Path) -> None:
    report_path = tmp_path / "ingest.json"
    arguments = ["--folders", "3", "--threads", "2", "--repeats", "1", "--lines", "2000"]
    assert ingest_folders.main([*arguments, "--json", str(report_path)]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["folders_per_source"] == 3 and report["sources"] == 6
    assert set(report["seconds_by_threads"]) == {"1", "2"}
    assert all(seconds > 0 for seconds in report["seconds_by_threads"].values())
    assert report["tables_differing_from_one_thread"] == []


def test_the_landing_area_has_the_asked_folders_of_every_source(tmp_path: Path) -> None:
    landing, last = ingest_folders.land_folders(tmp_path, folders=4, lines=2000)
    for source in ("customers", "transactions", "invoices", "payments", "interactions"):
        folders = sorted(p.name for p in (landing / source).iterdir())
        assert len(folders) == 4, source
        assert folders[-1] <= last.isoformat()
