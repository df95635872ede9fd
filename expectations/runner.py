"""Run Great Expectations on a pandas frame and map its results to :class:`CheckOutcome`.

One ephemeral GE context per process (in-memory stores, no files, no analytics, no progress
bars), one pandas data source with a whole-dataframe batch definition. Each expectation carries
its kam check in ``meta``: ``check`` (name), ``severity`` and ``description``. Expectations that
share a check name are *tiers* of one check (e.g. churn share moved > 15 pp is an error, > 5 pp a
warning): the check reports its first failing tier, error before warn.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.expectations import Expectation

from expectations.outcome import CheckOutcome

_LOCK = threading.Lock()
_Groups = dict[tuple[str, ...], list[Expectation]]
_SAMPLE_VALUES = 5
# Columns per GE batch: GE copies the whole batch for each column expectation, and each batch
# has its own overhead. Facts, 100k rows: 1 → 2.4 s, 10 → 2.1 s, 200 → 4.2 s.
_CHUNK_COLUMNS = 10
_NANOSECONDS = np.dtype("datetime64[ns]")


@cache
def _batch_definition() -> Any:
    """The process-wide GE context's dataframe batch definition (created on first use)."""
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas("kam_frames").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def run_expectations(
    suite: str, frame: pd.DataFrame, expectations: Sequence[Expectation]
) -> list[CheckOutcome]:
    """Validate ``frame``; one outcome per check name, in the order the checks were given.

    GE's pandas engine copies every column of the batch when it drops a column's nulls, so one
    batch of a wide frame costs (expectations × columns), and each batch costs ~20 ms of
    overhead. Column expectations therefore run in batches of up to ``_CHUNK_COLUMNS`` columns
    (as :func:`comparable` values, which GE compares much faster); multi-column ones on their
    own columns; table-level ones on a same-shaped frame of booleans.
    """
    groups: _Groups = {}
    for expectation in expectations:
        groups.setdefault(_columns(expectation), []).append(expectation)
    groups = _chunk(groups, _CHUNK_COLUMNS)
    tiers: dict[str, list[CheckOutcome]] = {}
    for columns, group in groups.items():
        for outcome in _validate(suite, _view(frame, columns), group):
            tiers.setdefault(outcome.name, []).append(outcome)
    order = dict.fromkeys(e.meta["check"] for e in expectations)
    return [_merge_tiers(tiers[name]) for name in order]


def _chunk(groups: _Groups, width: int) -> _Groups:
    """Merge single-column groups into batches of up to ``width`` columns."""
    merged: _Groups = {}
    columns: list[str] = []
    pending: list[Expectation] = []
    for key, group in groups.items():
        if len(key) != 1:
            merged[key] = group
            continue
        columns.append(key[0])
        pending.extend(group)
        if len(columns) == width:
            merged[tuple(columns)], columns, pending = pending, [], []
    if columns:
        merged[tuple(columns)] = pending
    return merged


def _columns(expectation: Expectation) -> tuple[str, ...]:
    """The columns an expectation reads; () for table-level ones. A row condition counts when
    given as GE condition objects (``Column("quantity") > 0``), not as a pandas query string."""
    kwargs = expectation.configuration.kwargs
    if "column_list" in kwargs:
        return tuple(kwargs["column_list"])
    if "column_A" in kwargs:
        return (kwargs["column_A"], kwargs["column_B"])
    if "column" not in kwargs:
        return ()
    condition = _condition_columns(kwargs.get("row_condition"))
    return tuple(dict.fromkeys((kwargs["column"], *condition)))


def _condition_columns(condition: object) -> tuple[str, ...]:
    """The columns a row condition reads, as GE serialises it (``{"column": {"name": …}}``, or
    ``{"conditions": [...]}`` for and/or)."""
    if not isinstance(condition, dict):
        return ()
    if "column" in condition:
        return (condition["column"]["name"],)
    return tuple(c for part in condition.get("conditions", ()) for c in _condition_columns(part))


def _view(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    if not columns:
        shape = np.zeros(frame.shape, dtype=bool)
        return pd.DataFrame(shape, index=frame.index, columns=frame.columns)
    view = frame.loc[:, list(columns)]
    for column in columns:
        view[column] = comparable(view[column])
    return view


def comparable(values: pd.Series) -> pd.Series:
    """``values`` in the dtype GE compares vectorised, where that changes no value.

    ``Decimal`` objects become float64. Time-zone-naive timestamps finer or coarser than
    nanoseconds (DuckDB's TIMESTAMP arrives as ``datetime64[us]``) become ``datetime64[ns]`` when
    every value lies within its range (1677-09-21 to 2262-04-11): GE's between expectations
    compare only nanosecond columns vectorised and build one ``Timestamp`` per value of any
    other unit, about 1 s per 200,000 values. A column holding a value outside that range (a
    year-1 placeholder) keeps its unit, so the value is still checked and shown as it is.
    """
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "decimal":
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if pd.api.types.is_datetime64_dtype(values.dtype) and values.dtype != _NANOSECONDS:
        low, high = values.min(), values.max()  # NaT when every value is null
        if pd.isna(low) or (low >= pd.Timestamp.min and high <= pd.Timestamp.max):
            return values.astype(_NANOSECONDS)
    return values


def _validate(suite: str, frame: pd.DataFrame, group: list[Expectation]) -> list[CheckOutcome]:
    gx_suite = gx.ExpectationSuite(name=suite, expectations=group)
    with _LOCK:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        # BASIC: SUMMARY would add value counts and row indexes, ~40 % slower on small frames
        result = batch.validate(gx_suite, result_format="BASIC")
    outcomes = []
    for item in result.results:
        meta = item.expectation_config.meta or {}
        outcomes.append(
            CheckOutcome(
                name=meta["check"],
                severity=meta["severity"],
                passed=bool(item.success),
                description=meta["description"],
                details=_details(item.result or {}, item.exception_info or {}),
            )
        )
    return outcomes


def _merge_tiers(tiers: list[CheckOutcome]) -> CheckOutcome:
    ranked = sorted(tiers, key=lambda o: o.severity != "error")
    return next((o for o in ranked if not o.passed), ranked[0])


def _details(result: dict[str, Any], exception: dict[str, Any]) -> str:
    """Observed value, or how many rows break the expectation with a few examples."""
    if exception.get("raised_exception"):
        return f"could not be evaluated: {exception.get('exception_message')}"
    missing = result.get("details", {}).get("mismatched", {}).get("missing")
    if missing:
        return "missing: " + ", ".join(missing)
    if "unexpected_count" in result:
        count, total = result["unexpected_count"], result.get("element_count", 0)
        if not count:
            return f"0 of {total} rows break it"
        sample = Counter(_show(v) for v in result.get("partial_unexpected_list", []))
        examples = ", ".join(f"{v} ×{k}" for v, k in sample.most_common(_SAMPLE_VALUES))
        share = 100 * count / total if total else 0.0
        return f"{count} of {total} rows ({share:.1f} %) break it; e.g. {examples}"
    if "observed_value" in result:
        return f"observed {_show(result['observed_value'])}"
    return ""


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, dict):  # a compound key
        return "(" + ", ".join(_show(v) for v in value.values()) + ")"
    if isinstance(value, float):  # short, but never a rounded value (12.34567 is no 12.3457)
        short = f"{value:.6g}"
        return short if float(short) == value else repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    if isinstance(value, np.datetime64):  # a timestamp of a column pair
        return str(pd.Timestamp(value))
    return repr(value) if isinstance(value, str) else str(value)
