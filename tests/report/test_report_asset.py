"""The report's Dagster asset writes the date's file and latest.html beside the published copy,
and a night whose report cannot be built says that publishing itself succeeded."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from test_report_page import make_published

from orchestration.assets.report import kam_report
from orchestration.resources import KamSettingsResource


def _materialize(home: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [kam_report],
        partition_key="2025-12-31",
        resources={"kam": KamSettingsResource(home=str(home))},
        raise_on_error=False,
    )


def test_asset_writes_the_dates_report_and_latest(tmp_path: Path) -> None:
    make_published(tmp_path / "published" / "kam.duckdb")
    result = _materialize(tmp_path)
    assert result.success
    folder = tmp_path / "published" / "report"
    assert sorted(p.name for p in folder.iterdir()) == ["kam-report-2025-12-31.html", "latest.html"]
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["customers"].value == 5
    # The run that scored the date ("run-2") is not in this Dagster instance: not recorded.
    assert "未记录 not recorded" in (folder / "latest.html").read_text(encoding="utf-8")


def test_asset_without_a_published_copy_fails_naming_what_to_run(tmp_path: Path) -> None:
    result = _materialize(tmp_path)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert "no published warehouse" in description
    assert "run `kam run --date D` first" in description
    assert "(the report of 2025-12-31 was not built)" in description


def test_kam_report_builds_a_held_date_and_refuses_others(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    from orchestration.cli import main

    make_published(tmp_path / "published" / "kam.duckdb")
    monkeypatch.setenv("KAM_HOME", str(tmp_path))
    for name in ("KAM_PUBLISH_DIR", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    assert main(["report", "--date", "2025-12-30"]) == 0
    out = capsys.readouterr().out
    assert f"report for 2025-12-30: {tmp_path / 'published' / 'report'}" in out
    assert "latest" not in out  # an older date leaves latest.html alone
    assert main(["report", "--date", "2025-11-30"]) == 2
    err = capsys.readouterr().err
    assert "kam: error: business date 2025-11-30 was not scored" in err
