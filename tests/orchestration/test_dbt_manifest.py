"""A dbt manifest built from an older project (a `git pull` or an edit since `kam prepare`) is
refused with the fix, not left to fail inside dagster-dbt on a model or test it does not know."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import orchestration.dbt_project as dbt_project_module
from orchestration.dbt_project import (
    ManifestMissingError,
    changed_since_parse,
    manifest_path_or_raise,
)
from warehouse.settings import DBT_PROJECT_DIR

PARSED_AT = 1_700_000_000


def _file(path: Path, seconds: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("-- x\n", encoding="utf-8")
    os.utime(path, (seconds, seconds))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project parsed at PARSED_AT, each of its files older than the manifest."""
    for name in ("dbt_project.yml", "models/staging/a.sql", "macros/m.sql", "vendor/p/x.sql"):
        _file(tmp_path / name, PARSED_AT - 60)
    _file(tmp_path / "target" / "manifest.json", PARSED_AT)
    return tmp_path


@pytest.fixture
def manifest(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``project``'s manifest, made the one kam's dbt handle names."""
    path = project / "target" / "manifest.json"
    handle = SimpleNamespace(project_dir=project, manifest_path=path)
    monkeypatch.setattr(dbt_project_module, "dbt_project", handle)
    return path


def test_a_project_unchanged_since_its_parse_has_nothing_changed(project: Path) -> None:
    assert changed_since_parse(project, project / "target" / "manifest.json") == []


def test_files_edited_after_the_parse_are_named(project: Path) -> None:
    _file(project / "models" / "staging" / "a.sql", PARSED_AT + 1)
    _file(project / "dbt_project.yml", PARSED_AT + 5)
    _file(project / "vendor" / "p" / "x.sql", PARSED_AT + 9)
    # dbt's own output and the profile are not parsed into the manifest.
    _file(project / "target" / "run_results.json", PARSED_AT + 9)
    _file(project / "logs" / "dbt.log", PARSED_AT + 9)
    _file(project / "profiles.yml", PARSED_AT + 9)
    assert changed_since_parse(project, project / "target" / "manifest.json") == [
        Path("dbt_project.yml"),
        Path("models/staging/a.sql"),
        Path("vendor/p/x.sql"),
    ]


def test_an_outdated_manifest_is_refused_with_the_fix(project: Path, manifest: Path) -> None:
    assert manifest_path_or_raise() == str(manifest)

    for k, name in enumerate(("a", "b", "c", "d", "e")):
        _file(project / "models" / f"{name}.sql", PARSED_AT + 1 + k)
    with pytest.raises(ManifestMissingError) as refused:
        manifest_path_or_raise()
    assert str(refused.value) == (
        f"the dbt project changed after its manifest {manifest} was built (models/a.sql, "
        "models/b.sql, models/c.sql and 2 more): parse it again with `kam prepare` "
        "(`make prepare` does this), then run again."
    )


def test_the_prepared_manifest_is_that_of_this_project() -> None:
    """`make test` prepares first: the suite runs against the project as it is."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    assert changed_since_parse(DBT_PROJECT_DIR, manifest) == []


def test_kam_run_parses_a_changed_project_again_before_it_runs(
    project: Path,
    manifest: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import orchestration.cli.prepare as prepare_module
    import orchestration.cli.runs as runs_module
    from orchestration.cli import main

    calls: list[str] = []

    def parse(settings: object) -> None:  # what `kam prepare` leaves: a new manifest
        calls.append("parse")
        _file(manifest, PARSED_AT + 100)

    def run_job(settings: object, day: object, **options: object) -> bool:
        calls.append(f"run {day}")
        return True

    monkeypatch.setattr(prepare_module, "prepare_dbt", parse)
    monkeypatch.setattr(runs_module, "run_job", run_job)
    home = ["--home", str(tmp_path / "home")]

    assert main([*home, "run", "--date", "2025-03-31"]) == 0
    assert calls == ["run 2025-03-31"]  # nothing changed: no parse

    _file(project / "models" / "staging" / "a.sql", PARSED_AT + 10)
    _file(project / "macros" / "m.sql", PARSED_AT + 20)
    assert main([*home, "run", "--date", "2025-03-31"]) == 0
    assert calls == ["run 2025-03-31", "parse", "run 2025-03-31"]
    assert (
        "the dbt project changed since it was parsed (macros/m.sql and 1 more): parsing it again"
        in capsys.readouterr().out
    )

    _file(project / "models" / "staging" / "a.sql", PARSED_AT + 200)
    assert main([*home, "backfill", "--start", "2025-03-30", "--end", "2025-03-31"]) == 0
    assert calls[3:] == ["parse", "run 2025-03-30", "run 2025-03-31"]


class _SlowParse:
    """Stands in for dbt's runner: writes a manifest into --target-path in two halves, a pause
    between them, and counts how many parses run at once."""

    active = 0
    most_at_once = 0
    calls = 0
    guard = threading.Lock()

    def invoke(self, args: list[str]) -> SimpleNamespace:
        cls = _SlowParse
        with cls.guard:
            cls.calls += 1
            cls.active += 1
            cls.most_at_once = max(cls.most_at_once, cls.active)
        target = Path(args[args.index("--target-path") + 1])
        body = json.dumps({"parse": cls.calls, "nodes": ["x" * 100] * 1000})
        with (target / "manifest.json").open("w", encoding="utf-8") as out:
            out.write(body[: len(body) // 2])
            out.flush()
            time.sleep(0.3)
            out.write(body[len(body) // 2 :])
        (target / "partial_parse.msgpack").write_bytes(b"state")
        with cls.guard:
            cls.active -= 1
        return SimpleNamespace(success=True, exception=None)


def test_kam_processes_parsing_at_once_take_turns_and_never_show_half_a_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two homes' runs after a `git pull` both parse the project; a third process loads the
    manifest meanwhile (the Spark whole-night test once read half of one: JSONDecodeError)."""
    from orchestration.cli.prepare import prepare_dbt
    from warehouse.settings import load_settings

    monkeypatch.setitem(sys.modules, "dbt.cli.main", SimpleNamespace(dbtRunner=_SlowParse))
    for name, value in (("active", 0), ("most_at_once", 0), ("calls", 0)):
        monkeypatch.setattr(_SlowParse, name, value)
    target = tmp_path / "target"
    (target / ".parse-killed").mkdir(parents=True)  # left by a parse whose process was killed
    (target / ".parse-killed" / "manifest.json").write_text("{", encoding="utf-8")
    (target / "manifest.json").write_text('{"parse": 0}', encoding="utf-8")
    settings = load_settings({"KAM_HOME": str(tmp_path / "home")})

    seen, errors, done = set(), [], threading.Event()

    def load_manifest_until_done() -> None:
        while not done.is_set():
            try:
                seen.add(json.loads((target / "manifest.json").read_text("utf-8"))["parse"])
            except (ValueError, OSError) as exc:
                errors.append(repr(exc))

    reader = threading.Thread(target=load_manifest_until_done)
    reader.start()
    parses = [threading.Thread(target=prepare_dbt, args=(settings, target)) for _ in range(2)]
    for thread in parses:
        thread.start()
    for thread in parses:
        thread.join()
    done.set()
    reader.join()

    assert errors == []
    assert (_SlowParse.calls, _SlowParse.most_at_once) == (2, 1)
    # Each load saw a whole manifest: the first one's, or one of the two parses'.
    assert seen <= {0, 1, 2}
    assert json.loads((target / "manifest.json").read_text("utf-8"))["parse"] == 2
    # Only the parse's own files are left, no scratch folder (the killed parse's neither).
    assert sorted(p.name for p in target.iterdir()) == [
        ".kam-parse.lock",
        "manifest.json",
        "partial_parse.msgpack",
    ]


def test_a_run_that_waited_for_another_runs_parse_does_not_parse_again(
    project: Path,
    manifest: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import orchestration.cli.prepare as prepare_module

    parsed: list[int] = []

    def parse(settings: object) -> None:  # prepare_if_changed holds the lock around it
        time.sleep(0.3)
        parsed.append(1)
        _file(manifest, PARSED_AT + 100)

    monkeypatch.setattr(prepare_module, "prepare_dbt", parse)
    _file(project / "models" / "staging" / "a.sql", PARSED_AT + 10)
    outcomes: list[bool] = []
    runs = [
        threading.Thread(target=lambda: outcomes.append(prepare_module.prepare_if_changed(None)))
        for _ in range(2)
    ]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()

    assert (sorted(outcomes), parsed) == ([False, True], [1])
    assert capsys.readouterr().out.count("parsing it again") == 1


def test_dagster_dev_parses_under_the_same_lock_and_never_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each process under `dagster dev` parses the project when it loads the definitions (the
    code location, every run): through the same locked parse as kam's commands, into the
    project's own target folder whatever the working directory (dagster-dbt's ``target_path``
    is relative to the project)."""
    parsed: list[Path] = []
    monkeypatch.setattr(dbt_project_module, "parse_project", parsed.append)
    monkeypatch.chdir(tmp_path)
    project = dbt_project_module.dbt_project

    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    dbt_project_module.prepare_if_dev(project)
    assert parsed == []
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")  # what `dagster dev` sets for its processes
    dbt_project_module.prepare_if_dev(project)
    assert parsed == [DBT_PROJECT_DIR / "target"]
