"""``kam check``: every problem a run would meet in the configuration and the landing folders,
found without running anything, each with its fix.

Nothing here re-implements a rule: each check calls the function the run itself uses (the
scoring configuration's loader, the mapping loader, the landing folder listing, the ingestion's
own encoding and header checks), so ``kam check`` and a run can never disagree on a file.
Only the files' first stage is done (decoding and the header); bad rows are the run's to
quarantine, not a reason to refuse a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import yaml

from ingestion.contracts import SOURCES, load_contracts
from ingestion.discovery import date_folders, folder_date
from ingestion.header import match_header
from ingestion.landing import list_folder
from ingestion.mapping import Mapping, MappingError, load_mapping
from ingestion.parquet_input import parquet_relation
from ingestion.plausibility import PlausibilityError, load_plausibility
from ingestion.results import FileRejected, LandingError
from ingestion.transcode import transcode
from warehouse.settings import CHECKED_SETTINGS, Settings, SettingsError


@dataclass(frozen=True)
class Problem:
    """One thing a run would fail on or get wrong: where, and the message naming the fix."""

    area: str  # settings, scoring, mappings, landing
    message: str


@dataclass(frozen=True)
class CheckReport:
    """What ``kam check`` looked at and what it found."""

    problems: list[Problem]
    folders: int
    files: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        seen = f"{self.folders} landing folder(s), {self.files} file(s)"
        if self.ok:
            return f"kam check: no problems (settings, scoring.yaml, mappings, {seen})"
        lines = [f"kam check: {len(self.problems)} problem(s) ({seen} looked at):"]
        for p in self.problems:
            first, *rest = p.message.splitlines()
            lines.append(f"  - [{p.area}] {first}")
            lines += [f"    {line}" for line in rest]
        return "\n".join(lines)


def check(settings: Settings, environ: MappingType[str, str] | None = None) -> CheckReport:
    """Check ``settings``' configuration and landing folders; run nothing, write nothing."""
    env = os.environ if environ is None else environ
    problems = [*_settings_problems(settings, env), *_scoring_problems(settings)]
    mappings, mapping_problems = _mappings(settings.mappings_dir)
    problems += mapping_problems
    problems += _dagster_problems(settings)
    try:
        load_plausibility(settings.config_dir)
    except PlausibilityError as exc:
        problems.append(Problem("mappings", str(exc)))
    landing = _landing_problems(settings.landing_dir, mappings)
    folders = files = 0
    for item in landing:
        if item == "folder":
            folders += 1
        elif item == "file":
            files += 1
        else:
            problems.append(item)
    return CheckReport(problems, folders, files)


def _settings_problems(settings: Settings, env: MappingType[str, str]) -> Iterator[Problem]:
    # Only what is set is checked (the defaults are sound); the Dagster definitions would fail
    # to load on these, so they are checked here without importing them.
    import dagster as dg

    from warehouse.publish import StorageVersionError
    from warehouse.publish.staging import new_database

    for setting in CHECKED_SETTINGS.values():
        try:
            setting(env)
        except SettingsError as exc:
            yield Problem("settings", str(exc))
    timezone = env.get("KAM_TIMEZONE")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            yield Problem(
                "settings",
                f"KAM_TIMEZONE={timezone!r} is not a time zone — fix: name one from the IANA "
                "database, e.g. KAM_TIMEZONE=Asia/Shanghai, or unset it for Asia/Shanghai",
            )
    cron = env.get("KAM_NIGHTLY_CRON")
    if cron:
        try:
            dg.ScheduleDefinition(name="nightly", cron_schedule=cron, job_name="nightly_job")
        except dg.DagsterInvalidDefinitionError:
            yield Problem(
                "settings",
                f"KAM_NIGHTLY_CRON={cron!r} is not a cron schedule — fix: five fields, minute "
                "hour day month weekday, e.g. KAM_NIGHTLY_CRON='30 1 * * *' (01:30 daily), or "
                "unset it",
            )
    first = env.get("KAM_FIRST_BUSINESS_DATE")
    if first:
        try:
            date.fromisoformat(first)
        except ValueError:
            yield Problem(
                "settings",
                f"KAM_FIRST_BUSINESS_DATE={first!r} is not a date — fix: write it as "
                "YYYY-MM-DD, e.g. 2024-01-01, or unset it to start at the first landed date",
            )
    with tempfile.TemporaryDirectory(prefix="kam-check-") as tmp:
        try:
            new_database(Path(tmp) / "probe.duckdb", settings.publish_storage_version).close()
        except StorageVersionError as exc:
            yield Problem("settings", f"KAM_PUBLISH_STORAGE_VERSION: {exc}")
    if not settings.config_dir.is_dir():
        yield Problem(
            "settings",
            f"configuration folder {settings.config_dir} does not exist — fix: point "
            "KAM_CONFIG_DIR at the folder holding scoring.yaml and mappings/",
        )
    if not settings.landing_dir.is_dir():
        yield Problem(
            "landing",
            f"landing folder {settings.landing_dir} does not exist — fix: create it and drop "
            "exports into <landing>/<source>/<YYYY-MM-DD>/, run `kam demo`, or set "
            "KAM_LANDING_DIR",
        )


def _dagster_problems(settings: Settings) -> list[Problem]:
    """A Dagster home whose dagster.yaml (kept as it is, e.g. from an earlier kam) does not let
    only one run at a time use the warehouse."""
    from orchestration.instance import dagster_home_of

    config = dagster_home_of(settings.home) / "dagster.yaml"
    if not config.is_file():
        return []  # kam writes its own before the first run
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        limit = data.get("concurrency", {}).get("pools", {}).get("default_limit")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError) as exc:
        return [Problem("dagster", f"{config}: cannot be read ({exc}); fix or delete it")]
    if limit == 1:
        return []
    return [
        Problem(
            "dagster",
            f"{config} does not limit the warehouse pool to one run (concurrency: pools: "
            f"default_limit is {limit}), so runs launched from the UI may write the warehouse "
            "at once and fail on DuckDB's lock — fix: delete it and run `kam prepare` for kam's, "
            "or add 'concurrency: {pools: {default_limit: 1, granularity: run}}' to your own",
        )
    ]


def _scoring_problems(settings: Settings) -> list[Problem]:
    from scoring.config import ScoringConfigError, load_scoring_config

    try:
        load_scoring_config(settings.scoring_config_path)
    except ScoringConfigError as exc:
        return [Problem("scoring", problem) for problem in exc.problems]
    return []


def _mappings(mappings_dir: Path) -> tuple[dict[str, Mapping | None], list[Problem]]:
    """Each source's mapping (None where its file is broken) and every mapping file's problem;
    one file at a time, so that one broken file does not hide another."""
    problems: list[Problem] = []
    if mappings_dir.is_dir():
        for path in sorted(mappings_dir.glob("*.y*ml")):
            if path.stem not in SOURCES:
                problems.append(
                    Problem(
                        "mappings",
                        f"{path}: {path.stem!r} is not a source; name mapping files after one "
                        f"of {', '.join(SOURCES)} (e.g. customers.yaml)",
                    )
                )
    mappings: dict[str, Mapping | None] = {}
    for source in SOURCES:
        path = next(
            (
                p
                for p in (mappings_dir / f"{source}.yaml", mappings_dir / f"{source}.yml")
                if p.is_file()
            ),
            None,
        )
        try:
            mappings[source] = load_mapping(path) if path else Mapping(source)
        except MappingError as exc:
            problems.append(Problem("mappings", str(exc)))
            mappings[source] = None
    return mappings, problems


def _landing_problems(
    landing_dir: Path, mappings: dict[str, Mapping | None]
) -> Iterator[Problem | str]:
    """Problems of every date folder and file, and "folder" / "file" for each one looked at."""
    contracts = load_contracts()
    with duckdb.connect() as con, tempfile.TemporaryDirectory(prefix="kam-check-") as tmp:
        for source in SOURCES:
            try:
                folders = date_folders(landing_dir / source)
            except LandingError as exc:
                yield Problem("landing", str(exc))
                continue
            mapping = mappings[source]
            for folder in folders:
                try:
                    folder_date(folder)
                except LandingError as exc:
                    yield Problem("landing", str(exc))
                    continue
                yield "folder"
                if mapping is None:
                    continue  # its mapping's problem is listed; the files are read by it
                listing = list_folder(landing_dir, folder, mapping)
                for entry in listing.entries:
                    if entry.status == "rejected":
                        yield Problem("landing", entry.message)
                for name, path in listing.files.items():
                    yield "file"
                    problem = _file_problem(con, contracts[source], mapping, path, name, tmp)
                    if problem:
                        yield Problem("landing", problem)


def _file_problem(con, contract, mapping: Mapping, path: Path, name: str, tmp: str) -> str | None:
    """The ingestion's own verdict on a file's encoding and header, or None if it is readable."""
    utf8 = Path(tmp) / "utf8.csv"
    try:
        if mapping.format == "csv":
            header, _, _ = transcode(path, name, mapping, utf8)
            native: dict[str, str] = {}
        elif mapping.format == "parquet":
            _, header, native = parquet_relation(con, path, name)
        else:
            return None  # read by its own relation when the run loads it
        match_header(contract, mapping, header, name, native)
    except FileRejected as exc:
        return str(exc)
    finally:
        utf8.unlink(missing_ok=True)
    return None
