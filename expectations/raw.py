"""Suite for one raw source partition (one source, one business date), from contracts.yaml."""

from __future__ import annotations

import great_expectations.expectations as gxe
import pandas as pd

from expectations import rules
from expectations.outcome import SuiteOutcome
from expectations.plausibility import plausibility_outcomes
from expectations.runner import run_expectations
from expectations.schema import column_types_outcome
from ingestion.contracts import SQL_TYPES, SourceContract, load_contracts
from ingestion.plausibility import Plausibility
from ingestion.schema import LINEAGE_COLUMNS

# Added by the loader to every raw row (declared in ingestion/schema.py), in contract types.
_CONTRACT_TYPES = {sql_type: name for name, sql_type in SQL_TYPES.items()}
LINEAGE_TYPES = {column: _CONTRACT_TYPES[sql_type] for column, sql_type in LINEAGE_COLUMNS}
# Checked for nulls: every lineage column but the file checksum.
LINEAGE_REQUIRED = tuple(column for column in LINEAGE_TYPES if column != "_file_checksum")


def raw_column_types(source: str) -> dict[str, str]:
    """Contract type of every column of a raw source, lineage columns included."""
    contract = _contract(source)
    return {c.name: c.type for c in contract.columns} | LINEAGE_TYPES


def _contract(source: str) -> SourceContract:
    contracts = load_contracts()
    if source not in contracts:
        raise ValueError(
            f"unknown source {source!r}: expected one of {', '.join(contracts)} "
            "(ingestion/contracts.yaml)"
        )
    return contracts[source]


def validate_raw_partition(
    source: str, frame: pd.DataFrame, plausibility: Plausibility | None = None
) -> SuiteOutcome:
    """Check a raw partition against its contract: columns, types, keys, required, ranges, enums,
    and the plausibility rules under ``plausibility`` (the installation's settings; the defaults
    of contracts.yaml when None)."""
    contract = _contract(source)
    suite = f"raw_{source}"
    types = raw_column_types(source)
    present = set(frame.columns)
    checks = [
        rules.columns_present(types, f"every contract and lineage column of {source} is present")
    ]
    key = [k for k in contract.key if k in present]
    if len(key) > 1:
        checks.append(
            rules.expect(
                gxe.ExpectCompoundColumnsToBeUnique,
                check="key_unique",
                severity="error",
                description=f"key ({', '.join(key)}) is unique within the partition",
                column_list=key,
            )
        )
    elif key:
        checks.append(rules.unique(key[0], "the key of the partition"))
    required = [c.name for c in contract.columns if c.required] + list(LINEAGE_REQUIRED)
    for column in (c for c in required if c in present):
        checks.append(
            rules.not_null(
                column, role="key column" if column in contract.key else "required column"
            )
        )
    for c in (c for c in contract.columns if c.name in present):
        if c.min is not None or c.max is not None:
            low = "" if c.min is None else f"≥ {c.min}"
            high = "" if c.max is None else f"≤ {c.max}"
            text = " and ".join(filter(None, [low, high]))
            checks.append(
                rules.between(
                    c.name,
                    None if c.min is None else float(c.min),
                    None if c.max is None else float(c.max),
                    text,
                )
            )
        if c.nonzero:
            checks.append(
                rules.expect(
                    gxe.ExpectColumnValuesToNotBeInSet,
                    check=f"{c.name}_nonzero",
                    severity="error",
                    description=f"{c.name} is never 0",
                    column=c.name,
                    value_set=[0],
                )
            )
        if c.allowed:
            checks.append(rules.in_set(c.name, c.allowed))
    if "_business_date" in present:
        checks.append(
            rules.single_value(
                "_business_date", "single_business_date", "the partition holds one business date"
            )
        )
    outcomes = run_expectations(suite, frame, checks)
    outcomes.insert(1, column_types_outcome(frame, types))
    settings = plausibility or Plausibility.defaults()
    outcomes += plausibility_outcomes(contract, frame, settings, suite)
    return SuiteOutcome(suite, outcomes)
