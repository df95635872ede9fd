"""The kam command line reports user mistakes plainly, without tracebacks."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import date
from pathlib import Path

import pytest

from orchestration.cli import main, prepare
from orchestration.cli.runs import resolve_business_date
from orchestration.instance import INSTANCE_CONFIG
from warehouse.settings import load_settings


@pytest.fixture(autouse=True)
def _restore_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A KAM_HOME in the environment would take the place of the tests' --home-less homes."""
    monkeypatch.delenv("KAM_HOME", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_prepare_gives_the_homes_dagster_instance_kams_config_once(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The dbt parse itself writes the project's shared target folder; its own tests cover it.
    parsed: list[Path] = []
    monkeypatch.setattr(prepare, "prepare_dbt", lambda settings: parsed.append(settings.home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    config = tmp_path / "dagster" / "dagster.yaml"

    code, out = _run(capsys, "--home", str(tmp_path), "prepare")
    assert (code, parsed) == (0, [tmp_path])
    assert config.read_text(encoding="utf-8") == INSTANCE_CONFIG
    assert f"Dagster home {tmp_path / 'dagster'}: dagster.yaml written" in out

    config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    code, out = _run(capsys, "--home", str(tmp_path), "prepare")
    assert code == 0
    assert config.read_text(encoding="utf-8") == "telemetry:\n  enabled: false\n"
    assert "dagster.yaml kept as it is" in out


def test_a_dagster_home_that_cannot_be_written_is_named_with_the_fix(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "dagster"
    not_a_folder.write_text("a file, not a folder")
    monkeypatch.setenv("DAGSTER_HOME", str(not_a_folder))
    code, out = _run(capsys, "--home", str(tmp_path), "run", "--date", "2025-03-20")
    assert code == 2
    assert f"kam: error: cannot write the Dagster instance's configuration {not_a_folder}" in out
    assert f"The Dagster home {not_a_folder} must be a folder you can write" in out
    assert "set DAGSTER_HOME (or KAM_HOME) to one" in out
    assert "Traceback" not in out


def test_unparsable_date_names_the_option_and_the_format(capsys, tmp_path: Path) -> None:
    code, out = _run(capsys, "--home", str(tmp_path), "run", "--date", "31/12/2025")
    assert code == 2
    assert "--date '31/12/2025' is not a date; use YYYY-MM-DD" in out


def test_impossible_date_is_rejected(capsys, tmp_path: Path) -> None:
    code, out = _run(capsys, "--home", str(tmp_path), "run", "--date", "2025-02-30")
    assert code == 2
    assert "is not a date" in out


def test_future_business_date_is_refused(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    code, out = _run(capsys, "--home", str(tmp_path), "run", "--date", "2999-01-01")
    assert code == 2
    assert "business date 2999-01-01 has not ended yet" in out


def test_date_before_first_business_date_names_the_setting(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    code, out = _run(capsys, "--home", str(tmp_path), "run", "--date", "2001-01-01")
    assert code == 2
    assert "KAM_FIRST_BUSINESS_DATE" in out


def test_backfill_with_reversed_range_says_to_swap(capsys, tmp_path: Path) -> None:
    code, out = _run(
        capsys, "--home", str(tmp_path), "backfill", "--start", "2025-02-01", "--end", "2025-01-01"
    )
    assert code == 2
    assert "is before --start" in out


def test_backfill_from_before_the_first_business_date_refuses_before_running(
    capsys, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    ran = []
    monkeypatch.setattr("orchestration.cli.runs.run_job", lambda *a, **kw: ran.append(a) or True)
    code, out = _run(
        capsys, "--home", str(tmp_path), "backfill", "--start", "2001-01-01", "--end", "2001-01-02"
    )
    assert code == 2 and ran == []
    assert "kam: error: --start 2001-01-01: business date 2001-01-01 is before the first " in out
    assert "date 1/2" not in out


def test_latest_date_is_newest_landed_folder(tmp_path: Path) -> None:
    for folder in ("transactions/2025-03-01", "transactions/2025-03-20", "payments/2025-03-31"):
        (tmp_path / "landing" / folder).mkdir(parents=True)
    settings = load_settings({"KAM_HOME": str(tmp_path)})
    assert resolve_business_date("latest", settings) == date(2025, 3, 31)


def test_no_date_is_the_newest_landed_folder_and_ignores_other_folders(tmp_path: Path) -> None:
    for folder in (
        "transactions/2025-03-20",
        "payments/2025-03-31",
        "payments/archive",
        "payments/2025-3-9",
    ):
        (tmp_path / "landing" / folder).mkdir(parents=True)
    settings = load_settings({"KAM_HOME": str(tmp_path)})
    assert resolve_business_date(None, settings) == date(2025, 3, 31)


def test_run_without_date_says_which_date_it_runs(capsys, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "landing" / "payments" / "2025-03-31").mkdir(parents=True)
    monkeypatch.delenv("KAM_LANDING_DIR", raising=False)  # the landing folder is the home's
    ran: list[tuple[date, list[str]]] = []
    monkeypatch.setattr(
        "orchestration.cli.runs.run_job",
        lambda settings, day, **kwargs: ran.append((day, kwargs["accept_gates"])) or True,
    )
    code, out = _run(capsys, "--home", str(tmp_path), "run", "--accept-gate", "churn_share_shift")
    assert code == 0, out
    assert "no --date given; running the newest landed business date 2025-03-31" in out
    assert ran == [(date(2025, 3, 31), ["churn_share_shift"])]


def test_latest_without_landing_tells_how_to_get_data(capsys, tmp_path: Path) -> None:
    code, out = _run(capsys, "--home", str(tmp_path), "run", "--date", "latest")
    assert code == 2
    assert "no landed folders" in out and "kam demo" in out


def test_bgnbd_missing_file_is_a_clear_error(capsys, tmp_path: Path) -> None:
    code, out = _run(capsys, "bgnbd", "--summary", str(tmp_path / "nope.csv"))
    assert code == 2
    assert "nope.csv does not exist" in out


def test_bgnbd_command_prints_published_cdnow_estimates(capsys) -> None:
    summary = (
        Path(__file__).resolve().parents[3] / "shared" / "data" / "cdnow_customers_summary.csv"
    )
    code, out = _run(capsys, "bgnbd", "--summary", str(summary))
    assert code == 0
    fitted = json.loads(out)
    # Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4}
    for key, value in published.items():
        assert fitted[key] == pytest.approx(value, rel=0.01), key


def test_an_unusable_memory_limit_names_the_variable_and_the_fix(
    capsys, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("KAM_DUCKDB_MEMORY_LIMIT", "lots")
    code, out = _run(capsys, "--home", str(tmp_path), "run", "--date", "2025-03-31")
    assert code == 2
    assert out.count("KAM_DUCKDB_MEMORY_LIMIT='lots' is not a memory size") == 1
    assert "e.g. KAM_DUCKDB_MEMORY_LIMIT=2GB" in out and "Traceback" not in out


class _FakeConnectServer:
    """Stands in for the Java server: ``wait`` delivers ``signal_in_wait`` to this process, as
    Ctrl-C or a service manager would while the server runs."""

    signal_in_wait: int = 0
    instances: list[_FakeConnectServer] = []

    def __init__(self, warehouse_dir: Path, log_path: Path, port: int) -> None:
        self.warehouse_dir, self.log_path, self.port = warehouse_dir, log_path, port
        self.url = f"sc://localhost:{port}"
        self.stopped = False
        _FakeConnectServer.instances.append(self)

    def start(self) -> None:
        pass

    def wait(self) -> int:
        os.kill(os.getpid(), self.signal_in_wait)
        time.sleep(5)  # the signal arrives first; the test fails if it does not stop the wait
        return 99

    def stop(self) -> None:
        self.stopped = True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_spark_server_stops_its_server_on_ctrl_c_and_on_sigterm(
    sig: int, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.cli import spark

    monkeypatch.setattr(spark, "missing_for", lambda engine: [])
    monkeypatch.setattr(spark, "ConnectServer", _FakeConnectServer)
    monkeypatch.setattr(_FakeConnectServer, "signal_in_wait", sig)
    monkeypatch.setattr(_FakeConnectServer, "instances", [])
    before = signal.getsignal(signal.SIGTERM)

    code, out = _run(capsys, "--home", str(tmp_path), "spark-server", "--port", "15099")

    (server,) = _FakeConnectServer.instances
    assert (code, server.stopped, server.port) == (0, True, 15099)
    assert out.startswith(f"Spark Connect server over {tmp_path / 'warehouse' / 'spark'} at ")
    # kam's SIGTERM handler lasts only while the server runs.
    assert signal.getsignal(signal.SIGTERM) == before
