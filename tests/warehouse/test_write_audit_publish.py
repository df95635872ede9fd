"""Write-audit-publish: a night that fails a blocking check never reaches the BI copy, and
readers of the BI copy always see a complete snapshot while runs publish."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from kam_env import clear_home_paths

from orchestration.runner import execute_nightly
from warehouse.settings import DEFAULT_CONFIG_DIR, load_settings

LANDING = Path(__file__).parents[1] / "e2e_landing"
pytestmark = pytest.mark.slow


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(LANDING, tmp_path / "landing")
    shutil.copytree(DEFAULT_CONFIG_DIR, tmp_path / "config")
    (tmp_path / "dagster").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    clear_home_paths(monkeypatch)
    return tmp_path


def _settings(home: Path):
    return load_settings({"KAM_HOME": str(home), "KAM_CONFIG_DIR": str(home / "config")})


def _publication(home: Path) -> dict[str, str]:
    with duckdb.connect(str(home / "published" / "kam.duckdb"), read_only=True) as con:
        return dict(con.execute("select key, value from publication").fetchall())


def _set_call_list(home: Path, top_share: str, min_probability: str) -> None:
    path = home / "config" / "scoring.yaml"
    text, count = re.subn(r"(?m)^(\s*top_share:\s*)[0-9.]+", rf"\g<1>{top_share}", path.read_text())
    text, count_p = re.subn(
        r"(?m)^(\s*min_probability:\s*)[0-9.]+(?=\s+# never flag)",
        rf"\g<1>{min_probability}",
        text,
    )
    assert (count, count_p) == (1, 1)
    path.write_text(text)


def test_blocking_check_failure_keeps_previous_copy_and_names_the_check(home: Path) -> None:
    settings = _settings(home)
    good = execute_nightly(settings, date(2025, 3, 20))
    assert good.success, good.report()
    before = _publication(home)

    # A bad night: a configuration slip puts every customer on the call list (share 0 % -> 67 %:
    # the two customers who bought; the third has no churn probability).
    _set_call_list(home, "1.0", "0")
    bad = execute_nightly(settings, date(2025, 3, 31))

    assert not bad.success
    report = bad.report()
    assert "check expectations on scores/customer_scores failed" in report
    assert "churn_share_shift" in report
    assert "The published warehouse was left as it was." in report
    assert _publication(home) == before
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        dates = con.execute("select distinct as_of_date from fct_customer_facts").fetchall()
    assert dates == [(date(2025, 3, 20),)]

    # Recovery: fix the configuration and run the date again.
    _set_call_list(home, "0.05", "0.5")
    fixed = execute_nightly(settings, date(2025, 3, 31))
    assert fixed.success, fixed.report()
    assert _publication(home)["business_date"] == "2025-03-31"


READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import duckdb

    published, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    seen, reads, problems = set(), 0, []
    while not stop.exists():
        if not published.exists():
            time.sleep(0.05)
            continue
        try:
            with duckdb.connect(str(published), read_only=True) as con:
                meta = dict(con.execute("select key, value from publication").fetchall())
                scores = con.execute(
                    "select count(*), count(distinct run_id), min(run_id) from customer_scores"
                ).fetchall()[0]
                facts = con.execute("select count(*) from fct_customer_facts").fetchall()[0][0]
        except Exception as exc:  # a reader must never fail
            problems.append(repr(exc))
            continue
        reads += 1
        seen.add(meta["run_id"])
        if scores != (int(meta["rows.customer_scores"]), 1, meta["run_id"]):
            problems.append(f"scores {scores} do not match publication {meta}")
        if facts != int(meta["rows.fct_customer_facts"]):
            problems.append(f"facts {facts} do not match publication {meta}")
    out.write_text(json.dumps({"reads": reads, "runs_seen": sorted(seen), "problems": problems}))
    """
)


def test_reader_sees_complete_snapshots_while_runs_publish(home: Path, tmp_path: Path) -> None:
    settings = _settings(home)
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.published_path), str(stop), str(out)]
    )
    try:
        outcomes = [
            execute_nightly(settings, date(2025, 3, 20)),
            execute_nightly(settings, date(2025, 3, 31)),
            execute_nightly(settings, date(2025, 3, 31)),
        ]
        time.sleep(0.5)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    assert [o.success for o in outcomes] == [True, True, True], [o.report() for o in outcomes]
    result = json.loads(out.read_text())
    assert result["problems"] == []
    assert result["reads"] > 10
    assert len(result["runs_seen"]) >= 2


def test_broken_configuration_fails_the_run_with_file_key_and_fix(home: Path) -> None:
    settings = _settings(home)
    mapping = home / "config" / "mappings" / "transactions.yaml"
    good_mapping = mapping.read_text()
    mapping.write_text(good_mapping + "\ndelimter: ';'\n")

    bad_mapping = execute_nightly(settings, date(2025, 3, 20))

    assert not bad_mapping.success
    report = bad_mapping.report()
    assert "transactions.yaml" in report and "delimter" in report and "delimiter" in report
    assert not settings.published_path.exists()

    mapping.write_text(good_mapping)
    scoring = home / "config" / "scoring.yaml"
    scoring.write_text(re.sub(r"(?m)^(\s*top_share:\s*)[0-9.]+", r"\g<1>high", scoring.read_text()))

    bad_scoring = execute_nightly(settings, date(2025, 3, 20))

    assert not bad_scoring.success
    report = bad_scoring.report()
    assert "scoring.yaml" in report and "churn.call_list.top_share" in report
    assert not settings.published_path.exists()
