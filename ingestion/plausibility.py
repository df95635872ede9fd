"""Plausibility settings: the reporting currency, the earliest plausible date and the time zone
that time-zone-aware timestamps are converted to.

The defaults are declared in ``contracts.yaml`` (``plausibility:``); an installation overrides
them in ``config/ingestion.yaml``, e.g.::

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

import yaml

from ingestion.contracts import plausibility_defaults

FILE_NAME = "ingestion.yaml"
CURRENCY_CODE = re.compile(r"[A-Z]{3}")


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
