"""Run the nightly job in this process (the CLI's ``kam run`` and the end-to-end tests)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from warehouse import churn_quality
from warehouse.settings import Settings


class BusinessDateError(ValueError):
    """The requested business date has no partition."""


class RunLockedError(RuntimeError):
    """Another kam run holds the warehouse (DuckDB allows one writing process per file)."""


@contextlib.contextmanager
def warehouse_run_lock(warehouse_path: Path) -> Iterator[None]:
    """Hold the warehouse's run lock for a run, or raise :class:`RunLockedError` naming the run
    that holds it. An advisory lock on a file beside the warehouse: released when the run ends,
    also when its process dies."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse_path.with_name(f".{warehouse_path.name}.run-lock")
    with lock_path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLockedError(
                f"another kam run is using the warehouse {warehouse_path} ({holder}); DuckDB "
                "allows one writer per file — fix: wait for that run to finish (or stop it), "
                "then run this date again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


#: How a failure of the report step (after publishing) starts in :attr:`RunOutcome.failures`.
REPORT_STEP = "step published__report"


@dataclass
class RunOutcome:
    """What one run did, for the user and for tests."""

    business_date: date
    run_id: str
    success: bool
    failures: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    customers: int = 0
    customers_derived: bool = False  # no master landed: derived from the transactions
    key_accounts: dict[str, int] = field(default_factory=dict)
    churn: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    published_path: Path | None = None
    log_path: Path | None = None

    def report(self) -> str:
        if not self.success:
            lines = [f"kam run for {self.business_date} FAILED (run {self.run_id}):"]
            lines += [f"  - {failure}" for failure in self.failures]
            if self.failures and all(f.startswith(REPORT_STEP) for f in self.failures):
                lines.append(
                    "The warehouse was published; only the report failed: fix the cause and run "
                    f"`kam report --date {self.business_date}`."
                )
            else:
                lines.append("The published warehouse was left as it was.")
            if self.log_path:
                lines.append(f"dbt output: {self.log_path}")
            return "\n".join(lines)
        return "\n".join(
            [
                f"kam run for {self.business_date} succeeded (run {self.run_id})",
                (
                    f"  rows read {self.rows_read:,}, loaded {self.rows_loaded:,}, "
                    f"quarantined {self.rows_quarantined:,}"
                    if self.rows_read
                    else "  no new or changed landing files (everything landed was loaded before)"
                ),
                f"  customers {self.customers:,}"
                + (
                    " (no customer master landed: derived from the transactions, first seen "
                    "date only)"
                    if self.customers_derived
                    else ""
                ),
                *self._key_account_lines(),
                *self.churn,
                *self.notices,
                f"  published warehouse: {self.published_path}",
            ]
        )

    def _key_account_lines(self) -> list[str]:
        counts = self.key_accounts
        if not counts.get("scored"):
            return []
        share = counts["key_accounts"] / counts["scored"]
        return [
            f"  key accounts {counts['key_accounts']:,} of {counts['scored']:,} customers "
            f"({share:.1%}): by revenue share {counts['revenue_share']:,}, strategic "
            f"{counts['strategic']:,}, by score {counts['score']:,} of {counts['candidates']:,} "
            f"candidates; one-off buyers {counts['one_off']:,}"
        ]


@dataclass
class StepProgress:
    """One finished step of a run, as the terminal shows it."""

    step_key: str
    status: str  # succeeded, failed or skipped
    seconds: float
    assets: list[str] = field(default_factory=list)
    rows: int | None = None
    checks_passed: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``step  rows  seconds``, e.g. ``raw/customers  3 rows  0.3 s``."""
        checks = self.checks_passed + self.checks_failed
        if len(self.assets) == 1:
            what = self.assets[0]
        elif self.assets:
            what = f"{self.step_key} ({len(self.assets)} assets)"
        elif len(checks) == 1:
            what = f"check {checks[0]}"
        else:
            what = self.step_key
        counts = []
        if self.rows is not None:
            counts.append(f"{self.rows:,} rows")
        if len(checks) > 1 or self.assets and checks:
            counts.append(f"{len(self.checks_passed)} of {len(checks)} checks passed")
        elif checks:
            counts.append("passed" if self.checks_passed else "FAILED")
        mark = {"succeeded": "done", "failed": "FAILED", "skipped": "skipped"}[self.status]
        return f"  {mark:<7} {what:<44} {'; '.join(counts):<24} {self.seconds:6.1f} s"


class StepListener:
    """Turns a run's Dagster events into one :class:`StepProgress` per finished step.

    Registered with ``DagsterInstance.add_event_listener`` for the run's id; a step's rows are
    the sum of the standard ``dagster/row_count`` metadata of the assets it materialized.
    """

    def __init__(self, report: Callable[[StepProgress], None]):
        self._report = report
        self._started: dict[str, float] = {}
        self._steps: dict[str, StepProgress] = {}

    def __call__(self, record) -> None:
        event = record.dagster_event
        if event is None or event.step_key is None:
            return
        key, kind = event.step_key, event.event_type_value
        step = self._steps.setdefault(key, StepProgress(key, "succeeded", 0.0))
        if kind == "STEP_START":
            self._started[key] = record.timestamp
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            step.assets.append(materialization.asset_key.to_user_string())
            rows = materialization.metadata.get("dagster/row_count")
            if rows is not None:
                step.rows = (step.rows or 0) + int(rows.value)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
            (step.checks_passed if evaluation.passed else step.checks_failed).append(name)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            step.status = {"STEP_SUCCESS": "succeeded", "STEP_FAILURE": "failed"}.get(
                kind, "skipped"
            )
            step.seconds = record.timestamp - self._started.get(key, record.timestamp)
            self._report(self._steps.pop(key))


def execute_nightly(
    settings: Settings,
    business_date: date,
    *,
    verbose: bool = False,
    full_refresh: bool = False,
    accept_gates: Sequence[str] = (),
    on_step: Callable[[StepProgress], None] | None = None,
) -> RunOutcome:
    """Execute ``nightly_job`` for ``business_date`` in-process and summarise it.

    ``full_refresh`` rebuilds every incremental dbt model from all landed history;
    ``accept_gates`` names score checks whose failure only warns in this run; ``on_step`` is
    called as each step finishes; ``verbose`` shows Dagster's INFO log and dbt's output.
    """
    import dagster as dg

    # The partitions start at the first landed date of the settings' landing folder: export the
    # settings before they are first built in this process.
    _export_settings(settings)
    from orchestration.partitions import daily_partitions

    key = business_date.isoformat()
    _check_partition(daily_partitions, key)
    from orchestration.definitions import defs

    job = defs.resolve_job_def("nightly_job")
    log_path = settings.home / "logs" / f"kam-run-{key}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The full log is kept in the Dagster instance and dbt's output in the log file; the terminal
    # shows problems and the summary unless asked for more. The instance is closed after the
    # run: its event log keeps database connections open (orchestration/instance.py), and a
    # backfill runs many nights in one process.
    run_id = str(uuid.uuid4())
    try:
        with (
            warehouse_run_lock(settings.warehouse_path),
            dg.DagsterInstance.get() as instance,
            log_path.open("w", encoding="utf-8") as log,
            _maybe_redirect(log, not verbose),
        ):
            if on_step is not None:
                instance.add_event_listener(run_id, StepListener(on_step))
            result = job.execute_in_process(
                partition_key=key,
                instance=instance,
                raise_on_error=False,
                run_id=run_id,
                run_config={
                    # INFO: each step's start and end, materializations, checks and the assets'
                    # own messages; DEBUG adds hundreds of Dagster's internal lines.
                    "loggers": {
                        "console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}
                    },
                    "ops": {"kam_dbt_models": {"config": {"full_refresh": full_refresh}}},
                    "resources": {"kam": {"config": {"accept_gates": list(accept_gates)}}},
                },
            )
    except Exception as exc:
        # A full disk breaks Dagster's own event log (SQLite) before any step can report it.
        full = disk_full_message(settings, [repr(exc)])
        if full is None:
            raise
        return RunOutcome(
            business_date=business_date, run_id=run_id, success=False, failures=[full],
            log_path=log_path,
        )
    outcome = RunOutcome(business_date=business_date, run_id=result.run_id, success=result.success)
    outcome.log_path = log_path
    if not result.success:
        outcome.failures = _failures(result)
        full = disk_full_message(settings, outcome.failures)
        if full is not None:
            outcome.failures.insert(0, full)
        return outcome
    _fill_counts(outcome, settings)
    return outcome


@contextlib.contextmanager
def _maybe_redirect(target, redirect: bool) -> Iterator[None]:
    if not redirect:
        yield
        return
    with contextlib.redirect_stdout(target):
        yield


def _export_settings(settings: Settings) -> None:
    """Make the settings visible to resources and to the dbt subprocess of this run, and give
    the Dagster home (``$KAM_HOME/dagster`` unless DAGSTER_HOME is set) kam's dagster.yaml if it
    has none."""
    from orchestration.instance import dagster_home_of, ensure_instance_config

    os.environ["KAM_HOME"] = str(settings.home)
    os.environ["KAM_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["KAM_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ["KAM_PUBLISH_DIR"] = str(settings.publish_dir)
    os.environ["KAM_CONFIG_DIR"] = str(settings.config_dir)
    dagster_home = dagster_home_of(settings.home)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    ensure_instance_config(dagster_home)


def _check_partition(partitions, key: str) -> None:
    keys = partitions.get_partition_keys()
    if not keys:
        raise BusinessDateError(
            f"no business date has ended since the first one ({partitions.start:%Y-%m-%d}): "
            "land a folder <landing>/<source>/<YYYY-MM-DD>/ for a past date, or set "
            "KAM_FIRST_BUSINESS_DATE to the first date kam should hold"
        )
    if key < keys[0]:
        raise BusinessDateError(
            f"business date {key} is before the first business date {keys[0]} (the oldest "
            "landed date folder, or KAM_FIRST_BUSINESS_DATE); set KAM_FIRST_BUSINESS_DATE to "
            "an earlier date, or land that date's folder first"
        )
    if key > keys[-1]:
        raise BusinessDateError(
            f"business date {key} has not ended yet (latest complete business date is {keys[-1]})"
        )


#: What a full disk looks like in the errors of SQLite, DuckDB and the OS: sure signs, and signs
#: that a full disk also gives (taken for one when little space is left).
DISK_FULL_SIGNS = ("no space left on device", "database or disk is full", "errno 28")
DISK_FULL_HINTS = ("disk i/o error", "cannot rollback", "could not write")
#: Below this much free space a failed run is taken for a full disk whatever it said.
DISK_NEARLY_FULL_BYTES = 1 << 20
#: Below this much free space a hint is taken for a full disk.
DISK_LOW_BYTES = 64 << 20


def disk_full_message(settings: Settings, errors: Sequence[str]) -> str | None:
    """kam's message for a run that failed because a disk filled up, naming the folder and the
    fix; None when the errors and the free space do not say so."""
    import shutil

    from orchestration.instance import dagster_home_of

    folders = {
        "warehouse": settings.warehouse_path.parent,
        "published copy": settings.publish_dir,
        "Dagster home": dagster_home_of(settings.home),
        "home": settings.home,
    }
    free: dict[str, tuple[Path, int]] = {}
    for name, folder in folders.items():
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is not None:
            free[name] = (folder, shutil.disk_usage(existing).free)
    if not free:
        return None
    name, (folder, left) = min(free.items(), key=lambda item: item[1][1])
    text = " ".join(errors).lower()
    sure = any(sign in text for sign in DISK_FULL_SIGNS)
    hinted = any(hint in text for hint in DISK_FULL_HINTS) and left < DISK_LOW_BYTES
    if not (sure or hinted or left < DISK_NEARLY_FULL_BYTES):
        return None
    return (
        f"disk full: the run could not write ({left / 2**20:.1f} MB free where the {name} is, "
        f"{folder}) — fix: free space on that disk, or move KAM_HOME (or KAM_WAREHOUSE_PATH, "
        "KAM_PUBLISH_DIR) to a larger one, then run the date again; the published copy is the "
        "last one that was completed"
    )


def _failures(result) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity.value == "ERROR":
                messages.append(
                    f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} "
                    f"failed:\n{evaluation.description}"
                )
        elif event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                detail = data.user_failure_data.description
            else:
                detail = _root_cause(data.error)
            messages.append(f"step {event.step_key}: {detail}")
    return messages or ["the run failed before any step started; see the Dagster logs"]


def _root_cause(error) -> str:
    """The innermost error of a Dagster error chain: what actually went wrong."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    return f"{error.cls_name}: {error.message.strip()}"


def _fill_counts(outcome: RunOutcome, settings: Settings) -> None:
    published = settings.published_path
    outcome.published_path = published
    with duckdb.connect(str(published), read_only=True) as con:
        outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined = con.execute(
            "select coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), "
            "coalesce(sum(rows_quarantined), 0) from ingestion_ledger where run_id = ? "
            # A kept (archived) file's row repeats the rows it still holds: not read again.
            "and status in ('loaded', 'replaced', 'rejected')",
            [outcome.run_id],
        ).fetchall()[0]
        outcome.customers, outcome.customers_derived = con.execute(
            "select count(*), coalesce(bool_or(is_derived_from_transactions), false) "
            "from dim_customers"
        ).fetchall()[0]
        stale = dict(con.execute("select key, value from publication").fetchall()).get(
            "stale_business_dates"
        )
        if stale:
            from orchestration.assets.publishing import stale_notice

            outcome.notices.append(
                "  " + stale_notice([date.fromisoformat(d) for d in stale.split(",")])
            )
        outcome.key_accounts = _key_account_counts(con, outcome.business_date)
        outcome.churn = _churn_lines(con, outcome.business_date)
        quality = churn_quality.summary_line(con)
        outcome.churn.append(
            quality
            or "  churn quality: no past business date with its outcome in the history yet "
            "(needs facts as of a date and as of its horizon later)"
        )


def _churn_lines(con: duckdb.DuckDBPyConnection, business_date: date) -> list[str]:
    """Which churn model scored the run's date (a fallback says why) and the call list."""
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where table_name = 'customer_score_history'"
        ).fetchall()
    }
    if not {"churn_model", "churn_model_status", "is_churn_risk"} <= columns:
        return []
    note = "any_value(churn_model_note)" if "churn_model_note" in columns else "null"
    models = con.execute(
        f"""
        select churn_model, churn_model_status, count(*), {note}
        from customer_score_history
        where as_of_date = ? and churn_model is not null
        group by all order by 3 desc
        """,
        [business_date],
    ).fetchall()
    flagged = con.execute(
        "select count(*) filter (where is_churn_risk) from customer_score_history "
        "where as_of_date = ?",
        [business_date],
    ).fetchall()[0][0]
    described = "; ".join(
        f"{model} ({status}{': ' + why if why and status != 'fitted' else ''}) for {n:,}"
        for model, status, n, why in models
    )
    return [f"  churn model {described or 'none'}; call list {flagged:,} customers"]


def _key_account_counts(con: duckdb.DuckDBPyConnection, business_date: date) -> dict[str, int]:
    """Key accounts of the run's date and why, from the published score history."""
    row = con.execute(
        """
        select
            count(*),
            count(*) filter (where is_key_account),
            count(*) filter (where key_account_reasons like '%revenue_share%'),
            count(*) filter (where key_account_reasons like '%strategic%'),
            count(*) filter (where key_account_reasons like '%score%'),
            count(*) filter (where is_key_account_candidate),
            count(*) filter (where is_one_off_buyer)
        from customer_score_history
        where as_of_date = ?
        """,
        [business_date],
    ).fetchall()[0]
    names = ("scored", "key_accounts", "revenue_share", "strategic", "score", "candidates",
             "one_off")
    return dict(zip(names, row, strict=True))
