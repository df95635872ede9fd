"""What a person sees while kam works: a line per step of a run, backfill time left, options."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from orchestration import runner
from orchestration.cli import main
from orchestration.cli.parser import build_parser
from orchestration.cli.runs import backfill_progress
from orchestration.run_progress import StepProgress
from orchestration.run_summary import RunOutcome

LANDING = Path(__file__).parents[1] / "e2e_landing"
STEP_LINE = re.compile(r"^  (done|FAILED|skipped) +(\S+(?: \S+)*?) {2,}(.*?) +(\d+\.\d) s$")
KAM_VARIABLES = (
    "KAM_HOME",
    "KAM_LANDING_DIR",
    "KAM_WAREHOUSE_PATH",
    "KAM_PUBLISH_DIR",
    "KAM_CONFIG_DIR",
    "DAGSTER_HOME",
    "KAM_AS_OF_DATE",
)


def _isolate(mp: pytest.MonkeyPatch) -> None:
    """Unset kam's variables for the test (a developer's own would point the run elsewhere) and
    restore them after."""
    for name in KAM_VARIABLES:
        mp.setenv(name, "unset")
        mp.delenv(name)


@pytest.fixture(scope="module")
def verbose_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One run of the hand-made landing, with --verbose given after the command."""
    home = tmp_path_factory.mktemp("kam_home")
    shutil.copytree(LANDING, home / "landing")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["run", "--date", "2025-03-31", "--home", str(home), "--verbose"])
        left = {name: os.environ[name] for name in KAM_VARIABLES if name in os.environ}
    return {"code": code, "out": out.getvalue(), "err": err.getvalue(), "left": left}


@pytest.mark.slow
def test_a_run_leaves_the_environment_as_it_found_it(verbose_run) -> None:
    # The settings reach the run as run config; dbt's and Dagster's variables are set only
    # while the run needs them.
    assert verbose_run["code"] == 0, verbose_run["out"] + verbose_run["err"]
    assert verbose_run["left"] == {}


@pytest.mark.slow
def test_a_run_prints_a_line_per_step_with_rows_and_seconds(verbose_run) -> None:
    assert verbose_run["code"] == 0, verbose_run["out"] + verbose_run["err"]
    out = str(verbose_run["out"])
    steps = {
        m.group(2): (m.group(1), m.group(3).strip(), float(m.group(4)))
        for m in map(STEP_LINE.match, out.splitlines())
        if m
    }
    # Rows of each raw table, counted in tests/e2e_landing by hand: data lines of every folder
    # up to 2025-03-31, less the transaction line whose quantity is "abc" (quarantined).
    expected_rows = {
        "raw/customer_financials": "1 rows",
        "raw/customers": "3 rows",
        "raw/interactions": "3 rows",
        "raw/invoices": "3 rows",
        "raw/payments": "2 rows",
        "raw/transactions": "5 rows",
        "scores/customer_scores": "3 rows",
    }
    for label, rows in expected_rows.items():
        assert steps[label][:2] == ("done", rows), label
    for source in (
        "customer_financials",
        "customers",
        "interactions",
        "invoices",
        "payments",
        "transactions",
    ):
        assert steps[f"check raw/{source} expectations"][:2] == ("done", "passed")
    assert steps["check marts/fct_customer_facts expectations"][:2] == ("done", "passed")
    assert steps["check scores/customer_scores expectations"][:2] == ("done", "passed")
    (dbt_label,) = [label for label in steps if label.startswith("kam_dbt_models")]
    assert re.fullmatch(r"kam_dbt_models \(\d+ assets\)", dbt_label)
    assert re.fullmatch(r"(\d+) of \1 checks passed", steps[dbt_label][1])
    assert {"published/warehouse", "published/report"} <= set(steps)
    # Its own step even on a night that builds nothing (2025-03-31 ends a quarter itself).
    assert steps["quarter_end_facts"][:2] == ("done", "")
    assert len(steps) == 19
    assert all(seconds >= 0 for _, _, seconds in steps.values())
    # The lines come as the steps finish, before the summary.
    assert out.index("raw/customers ") < out.index("kam run for 2025-03-31 succeeded")


@pytest.mark.slow
def test_verbose_shows_dagsters_info_log_and_dbts_output_not_debug(verbose_run) -> None:
    err, out = str(verbose_run["err"]), str(verbose_run["out"])
    assert " - INFO - nightly_job - " in err
    assert " - DEBUG - " not in err
    assert "Running dbt command" in err
    assert "Found 26 models" in out  # dbt's own output reaches the terminal


def test_quiet_prints_only_the_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _isolate(monkeypatch)
    calls: list[dict] = []

    def fake_execute(settings, business_date, **kwargs):
        calls.append(kwargs)
        if kwargs["on_step"] is not None:
            kwargs["on_step"](
                StepProgress("raw__customers", "succeeded", 1.25, ["raw/customers"], 3)
            )
        return RunOutcome(business_date, "r1", False, failures=["step x: broken"])

    monkeypatch.setattr(runner, "execute_nightly", fake_execute)
    assert main(["--home", str(tmp_path), "run", "--date", "2025-03-31", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert calls[0]["on_step"] is None and calls[0]["verbose"] is False
    assert out == (
        "kam run for 2025-03-31 FAILED (run r1):\n  - step x: broken\n"
        "The published warehouse was left as it was.\n"
    )
    assert main(["run", "--date", "2025-03-31", "--home", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "kam run for 2025-03-31: a line per step as it finishes",
        f"  done    {'raw/customers':<44} {'3 rows':<24}    1.2 s",
    ]


def test_backfill_says_which_date_of_how_many_and_the_time_left() -> None:
    assert backfill_progress(0, 14, date(2025, 3, 1), 0.0) == "date 1/14 2025-03-01"
    # 2 dates in 20 s: 10 s a date, 12 dates left (this one included) = 120 s.
    assert backfill_progress(2, 14, date(2025, 3, 3), 20.0) == (
        "date 3/14 2025-03-03 … about 2 min left"
    )
    assert backfill_progress(13, 14, date(2025, 3, 14), 130.0) == (
        "date 14/14 2025-03-14 … about 10 s left"
    )
    assert backfill_progress(1, 400, date(2024, 1, 2), 30.0) == (
        "date 2/400 2024-01-02 … about 3 h 20 min left"
    )


def test_backfill_prints_progress_before_each_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _isolate(monkeypatch)
    ran: list[date] = []
    monkeypatch.setattr(
        "orchestration.cli.runs.run_job", lambda settings, day, **kw: ran.append(day) or True
    )
    code = main(
        [
            "backfill",
            "--start",
            "2025-03-01",
            "--end",
            "2025-03-03",
            "--home",
            str(tmp_path),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and ran == [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)]
    assert out[0] == "date 1/3 2025-03-01"
    assert re.fullmatch(r"date 2/3 2025-03-02 … about \d+ s left", out[1])
    assert re.fullmatch(r"backfill of 3 date\(s\) done in \d+ s", out[-1])


def test_global_options_work_before_and_after_the_command(tmp_path: Path) -> None:
    parser = build_parser()
    after = parser.parse_args(["run", "--date", "2025-03-31", "--verbose", "--home", "h"])
    before = parser.parse_args(["--home", "h", "--verbose", "run", "--date", "2025-03-31"])
    for args in (after, before):
        assert (args.home, args.verbose, args.quiet, args.date) == ("h", True, False, "2025-03-31")
    # An option given before the command is not reset by the command's own parser.
    assert parser.parse_args(["--quiet", "backfill", "--start", "a", "--end", "b"]).quiet is True
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--verbose", "--quiet"])


def test_version_is_the_installed_packages(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"kam {version('kam')}\n"


def test_every_command_has_a_description_and_every_option_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "==SUPPRESS==" and a.choices]
    assert "``" not in parser.format_help()
    for name, command in commands.choices.items():
        assert command.description and len(command.description) > 20, name
        for action in command._actions:
            # Flags (store_true: off unless given) need no default; options with a value do.
            if action.option_strings and not action.required and action.nargs != 0:
                assert "default" in (action.help or ""), f"kam {name} {action.option_strings}"
        assert "(default: " in command.format_help()


@pytest.mark.parametrize(("lines", "shown"), [(1_000_000, True), (999_999, False)])
def test_a_large_demo_shows_what_it_has_written(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: int,
    shown: bool,
) -> None:
    _isolate(monkeypatch)
    landing = tmp_path / "landing"

    class Summary:
        landing_dir = landing

        def __str__(self) -> str:
            return "demo written"

    def fake_generate(home: Path, **kwargs) -> Summary:
        assert kwargs["lines"] == lines
        (landing / "transactions" / "2025-12-31").mkdir(parents=True)
        (landing / "transactions" / "2025-12-31" / "a.csv").write_bytes(b"x" * 2_000_000)
        (landing / "transactions" / "2025-12-31" / "b.csv").write_bytes(b"x" * 1_000_000)
        return Summary()

    monkeypatch.setattr("demo.generate_demo", fake_generate)
    assert main(["demo", "--home", str(tmp_path), "--lines", str(lines)]) == 0
    out = capsys.readouterr().out
    assert out.endswith("demo written\n")
    assert ("demo landing files: 2 files, 3 MB written" in out) is shown
