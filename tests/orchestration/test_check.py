"""`kam check` lists every problem of the configuration and the landing folders, with its fix,
without running anything."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.cli import main
from warehouse.settings import DEFAULT_CONFIG_DIR

LANDING = Path(__file__).parents[1] / "e2e_landing"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home holding the hand-made landing and a copy of the shipped configuration."""
    shutil.copytree(LANDING, tmp_path / "landing")
    shutil.copytree(DEFAULT_CONFIG_DIR, tmp_path / "config")
    for name in (
        "KAM_HOME",
        "KAM_LANDING_DIR",
        "KAM_WAREHOUSE_PATH",
        "KAM_PUBLISH_DIR",
        "KAM_TIMEZONE",
        "KAM_NIGHTLY_CRON",
        "KAM_FIRST_BUSINESS_DATE",
        "KAM_PUBLISH_STORAGE_VERSION",
        "KAM_DUCKDB_MEMORY_LIMIT",
        "KAM_INGEST_THREADS",
        "KAM_DBT_THREADS",
        "DAGSTER_HOME",
    ):
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)
    monkeypatch.setenv("KAM_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


def _check(capsys: pytest.CaptureFixture[str], home: Path) -> tuple[int, str]:
    code = main(["check", "--home", str(home)])
    return code, capsys.readouterr().out


def test_a_sound_home_has_no_problems_and_nothing_is_written(capsys, home: Path) -> None:
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    code, out = _check(capsys, home)
    # tests/e2e_landing: 10 date folders with one CSV each.
    assert (code, out) == (
        0,
        "kam check: no problems (settings, scoring.yaml, mappings, 10 landing folder(s), "
        "10 file(s))\n",
    )
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before


def test_every_problem_is_listed_with_its_fix(capsys, home: Path, monkeypatch) -> None:
    mappings = home / "config" / "mappings"
    # A mapping typo: renaming a column to a name the export does not have is found only when
    # a file is read; an unknown key is found when the mapping is read.
    (mappings / "payments.yaml").write_text("encodng: utf-8\n", encoding="utf-8")
    (mappings / "customers.yaml").write_text(
        "columns:\n  customer_name: 客户名称\n", encoding="utf-8"
    )
    (mappings / "orders.yaml").write_text("format: csv\n", encoding="utf-8")
    # A folder not named after a date, and a GB18030 export under a UTF-8 mapping.
    (home / "landing" / "invoices" / "March").mkdir()
    export = home / "landing" / "interactions" / "2025-03-20" / "interactions.csv"
    text = export.read_text(encoding="utf-8").replace("C1", "客户1")
    export.write_bytes(text.encode("gb18030"))
    scoring = home / "config" / "scoring.yaml"
    scoring.write_text(
        scoring.read_text(encoding="utf-8").replace(
            "shares: [0.01, 0.04, 0.15, 0.80]", "shares: [0.01, 0.04, 0.15, 0.90]"
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("KAM_TIMEZONE", "Asia/Shangai")
    monkeypatch.setenv("KAM_INGEST_THREADS", "four")
    monkeypatch.setenv("KAM_DBT_THREADS", "0")

    code, out = _check(capsys, home)
    assert code == 1
    problems = [line for line in out.splitlines() if line.startswith("  - ")]
    assert out.splitlines()[0].startswith(f"kam check: {len(problems)} problem(s)")
    found = "\n".join(problems)
    assert len(problems) == 9, out
    assert "[settings] KAM_TIMEZONE='Asia/Shangai' is not a time zone — fix:" in found
    assert (
        "[settings] KAM_INGEST_THREADS='four' is not a number of folders to load at once — fix: "
        "a whole number of at least 1" in found
    )
    assert (
        "[settings] KAM_DBT_THREADS='0' is not a number of dbt nodes to run at once — fix: "
        "a whole number of at least 1" in found
    )
    assert "[scoring] " in found and "scoring.yaml" in found
    assert f"[mappings] {mappings / 'orders.yaml'}: 'orders' is not a source" in found
    assert f"[mappings] {mappings / 'payments.yaml'}" in found and "encodng" in found
    assert (
        f"[landing] landing folder {home / 'landing' / 'invoices' / 'March'} is not named "
        "after a business date; rename it to YYYY-MM-DD" in found
    )
    assert (
        "[landing] customers/2025-03-01/customers.csv: " in found
        and "required column 'customer_name' (export name '客户名称') missing from the header"
        in found
    )
    assert (
        "[landing] interactions/2025-03-20/interactions.csv" in found
        and "declare encoding: gb18030" in found
    )
    # The 10 dated folders are looked at; the 2 files of payments, whose mapping cannot be
    # read, are not read.
    assert "(10 landing folder(s), 8 file(s) looked at)" in out


def test_a_dagster_home_without_the_warehouse_limit_is_named_with_the_fix(
    capsys, home: Path
) -> None:
    from orchestration.instance import INSTANCE_CONFIG, ensure_instance_config

    ensure_instance_config(home / "dagster")
    assert _check(capsys, home)[0] == 0
    # The dagster.yaml an earlier kam wrote: telemetry off, no pool limit.
    (home / "dagster" / "dagster.yaml").write_text(
        INSTANCE_CONFIG.split("# Every kam asset")[0], encoding="utf-8"
    )
    code, out = _check(capsys, home)
    assert code == 1
    assert (
        f"  - [dagster] {home / 'dagster' / 'dagster.yaml'} does not limit the warehouse pool to "
        "one run (concurrency: pools: default_limit is None)"
    ) in out
    assert "fix: delete it and run `kam prepare`" in out
