"""Run the nightly job in this process (the CLI's ``kam run`` and the end-to-end tests).

The run's lock, its step lines, its summary and the disk-full diagnosis live beside this module
(``run_lock``, ``run_progress``, ``run_summary``, ``disk_full``).
"""

from __future__ import annotations

import contextlib
import gc
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from orchestration.disk_full import disk_full_message
from orchestration.run_lock import warehouse_run_lock
from orchestration.run_progress import StepListener, StepProgress
from orchestration.run_summary import RunOutcome, fill_counts
from warehouse.settings import Settings, definitions_environment, environment


class BusinessDateError(ValueError):
    """The requested business date has no partition."""


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

    The Dagster home (``$KAM_HOME/dagster`` unless DAGSTER_HOME is set) is given kam's
    dagster.yaml if it has none. The resources get the settings as run config; two readers take
    them from the environment only, which is set for the run's duration: Dagster its home
    (``DAGSTER_HOME``), and the partitions the landing folder, whose first landed date starts
    them when the definitions are first loaded in this process.
    """
    from orchestration.engine import require_engine_installed
    from orchestration.instance import dagster_home_of, ensure_instance_config

    require_engine_installed(settings)
    dagster_home = dagster_home_of(settings.home)
    ensure_instance_config(dagster_home)
    with environment({**definitions_environment(settings), "DAGSTER_HOME": str(dagster_home)}):
        return _execute_nightly(
            settings,
            business_date,
            verbose=verbose,
            full_refresh=full_refresh,
            accept_gates=accept_gates,
            on_step=on_step,
        )


def _execute_nightly(
    settings: Settings,
    business_date: date,
    *,
    verbose: bool,
    full_refresh: bool,
    accept_gates: Sequence[str],
    on_step: Callable[[StepProgress], None] | None,
) -> RunOutcome:
    import dagster as dg

    from orchestration.partitions import daily_partitions

    key = business_date.isoformat()
    _check_partition(daily_partitions, key)
    from orchestration.definitions import defs
    from orchestration.engine import require_graph_engine
    from orchestration.resources import KamSettingsResource

    require_graph_engine(settings)

    job = defs.resolve_job_def("nightly_job")
    log_path = settings.home / "logs" / f"kam-run-{key}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The full log is kept in the Dagster instance and dbt's output in the log file; the terminal
    # shows problems and the summary unless asked for more. The instance is closed after the
    # run, so a backfill running many nights in one process keeps no storage open between them.
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
                    "resources": {"kam": KamSettingsResource.run_config(settings, accept_gates)},
                },
            )
    except Exception as exc:
        # A full disk breaks Dagster's own event log (SQLite) before any step can report it.
        full = disk_full_message(settings, [repr(exc)])
        if full is None:
            raise
        # The broken run's frames, and the DuckDB connections they held, stay in reference
        # cycles with its exception until the collector runs; until then this process keeps
        # the warehouse locked and the next `kam run` (or the next date of a backfill) cannot
        # open it. Collect them now.
        gc.collect()
        return RunOutcome(
            business_date=business_date,
            run_id=run_id,
            success=False,
            failures=[full],
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
    fill_counts(outcome, settings)
    return outcome


@contextlib.contextmanager
def _maybe_redirect(target, redirect: bool) -> Iterator[None]:
    if not redirect:
        yield
        return
    with contextlib.redirect_stdout(target):
        yield


def check_business_date(settings: Settings, business_date: date) -> None:
    """Raise :class:`BusinessDateError` if ``business_date`` has no partition (before the first
    business date, or not ended yet), before anything runs."""
    with environment(definitions_environment(settings)):
        from orchestration.partitions import daily_partitions

        _check_partition(daily_partitions, business_date.isoformat())


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
