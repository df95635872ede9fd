"""Plausibility rules and their settings: the reporting currency, the earliest plausible date
and the time zone that time-zone-aware timestamps are converted to.

Which column has which rule follows from ``contracts.yaml`` (a column's type, and its
``reporting_currency`` / ``not_before`` / ``sign_of``); :func:`plausibility_rules` lists them, and
:data:`RULE_KINDS` says what each kind forbids and how to fix a value that breaks it. Ingestion
quarantines such values (``ingestion/value_checks.py``); the raw checks test the same rules again
(``expectations/plausibility.py``).

The defaults of the settings are declared in ``contracts.yaml`` (``plausibility:``); an
installation overrides them in ``config/ingestion.yaml``, e.g.::

    reporting_currency: HKD
    earliest_date: 1970-01-01
    time_zone: Asia/Hong_Kong
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import yaml

from ingestion.contracts import Column, SourceContract, plausibility_defaults

FILE_NAME = "ingestion.yaml"
CURRENCY_CODE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class RuleKind:
    """A kind of plausibility rule: the columns it applies to, what it forbids, what ingestion
    does with a value that breaks it, and how to fix such a value."""

    name: str
    applies_to: str
    forbids: str
    action: Literal["quarantine", "convert"]
    fix: str


RULE_KINDS: dict[str, RuleKind] = {
    kind.name: kind
    for kind in (
        RuleKind(
            "decimal_scale",
            "every decimal column",
            "more than 4 decimals (kam stores 4 and never rounds)",
            "quarantine",
            "round the value to 4 decimals in the export",
        ),
        RuleKind(
            "earliest_date",
            "every date and timestamp column",
            "a date before earliest_date (a placeholder such as 1900-01-01)",
            "quarantine",
            "fix the date in the export, or set earliest_date in config/ingestion.yaml",
        ),
        RuleKind(
            "local_time",
            "every timestamp column",
            "a time-zone-aware timestamp (kam stores local time in time_zone)",
            "convert",
            "load the values with kam's loader, which converts them to local time in time_zone",
        ),
        RuleKind(
            "reporting_currency",
            "a column marked reporting_currency: true",
            "a currency other than reporting_currency (amounts are added up in one currency)",
            "quarantine",
            "export the amounts converted to the reporting currency, or set reporting_currency "
            "in config/ingestion.yaml",
        ),
        RuleKind(
            "not_before",
            "a column marked not_before: <column>",
            "a date before the other column's date",
            "quarantine",
            "fix whichever of the two dates is wrong in the export",
        ),
        RuleKind(
            "sign_of",
            "a column marked sign_of: <column>",
            "the opposite sign of the other column (0 is allowed)",
            "quarantine",
            "fix the signs in the export: a sale has positive, a return negative quantity, "
            "amount and cost",
        ),
    )
}


@dataclass(frozen=True)
class PlausibilityRule:
    """One plausibility rule on one column; ``other`` is the column a paired rule compares with."""

    kind: str
    column: str
    other: str | None = None


def column_rules(col: Column) -> tuple[PlausibilityRule, ...]:
    """The plausibility rules of one contract column, in the order ingestion checks them."""
    rules = []
    if col.type == "decimal":
        rules.append(PlausibilityRule("decimal_scale", col.name))
    if col.type in ("date", "timestamp"):
        rules.append(PlausibilityRule("earliest_date", col.name))
    if col.type == "timestamp":
        rules.append(PlausibilityRule("local_time", col.name))
    if col.reporting_currency:
        rules.append(PlausibilityRule("reporting_currency", col.name))
    if col.not_before:
        rules.append(PlausibilityRule("not_before", col.name, col.not_before))
    if col.sign_of:
        rules.append(PlausibilityRule("sign_of", col.name, col.sign_of))
    return tuple(rules)


def plausibility_rules(contract: SourceContract) -> tuple[PlausibilityRule, ...]:
    """Every plausibility rule of a source, column by column."""
    return tuple(rule for col in contract.columns for rule in column_rules(col))


class PlausibilityError(ValueError):
    """``config/ingestion.yaml`` cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class Plausibility:
    """Settings of the plausibility rules (see the module docstring)."""

    reporting_currency: str
    earliest_date: date
    time_zone: str

    @classmethod
    def defaults(cls) -> Plausibility:
        return _validated(plausibility_defaults(), Path("contracts.yaml"))


def load_plausibility(config_dir: Path | None) -> Plausibility:
    """The defaults, overridden by ``<config_dir>/ingestion.yaml`` if that file exists."""
    values = plausibility_defaults()
    path = Path(config_dir) / FILE_NAME if config_dir is not None else None
    if path is None or not path.is_file():
        return _validated(values, Path("contracts.yaml"))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PlausibilityError(
            f"{path}: cannot be read ({str(exc).splitlines()[0]}); save it as UTF-8 YAML with "
            "'key: value' lines"
        ) from exc
    if not isinstance(data, dict):
        raise PlausibilityError(f"{path}: expected 'key: value' settings at the top level")
    unknown = sorted(str(k) for k in data if k not in values)
    if unknown:
        raise PlausibilityError(
            f"{path}: unknown setting {unknown[0]!r}; use one of {', '.join(sorted(values))}"
        )
    return _validated({**values, **data}, path)


def _validated(values: dict[str, object], path: Path) -> Plausibility:
    currency = str(values["reporting_currency"]).strip().upper()
    if not CURRENCY_CODE.fullmatch(currency):
        raise PlausibilityError(
            f"{path}: reporting_currency {values['reporting_currency']!r} is not an ISO currency "
            "code; write three letters, e.g. CNY"
        )
    earliest = values["earliest_date"]
    if isinstance(earliest, str):
        try:
            earliest = date.fromisoformat(earliest)
        except ValueError:
            earliest = None
    if not isinstance(earliest, date):
        raise PlausibilityError(
            f"{path}: earliest_date {values['earliest_date']!r} is not a date; write it as "
            "YYYY-MM-DD, e.g. 1980-01-01"
        )
    zone = str(values["time_zone"])
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise PlausibilityError(
            f"{path}: time_zone {zone!r} is not a known time zone; use an IANA name such as "
            "Asia/Shanghai"
        ) from exc
    return Plausibility(currency, earliest, zone)
