"""Input contracts: the canonical columns of each source, read from ``contracts.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

CONTRACTS_PATH = Path(__file__).with_name("contracts.yaml")

PLAUSIBILITY = "plausibility"
COLUMN_TYPES = ("string", "integer", "decimal", "date", "timestamp", "boolean")

SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    """One canonical column of a source."""

    name: str
    type: str
    required: bool
    zh: str
    meaning: str
    allowed: tuple[str, ...] | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    nonzero: bool = False
    may_be_future: bool = False
    pii: bool = False
    reporting_currency: bool = False
    not_before: str | None = None
    sign_of: str | None = None
    when_absent: str | None = None  # what kam does without the column (optional columns)
    aka: tuple[str, ...] = ()  # other names exports give the column, for `kam map`

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class SourceContract:
    """The contract of one source: its columns and the key identifying a row in a business date."""

    name: str
    zh: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def has_personal_data(self) -> bool:
        """True if a column holds personal data: then no message or reason quotes a value of
        this source's lines (a misaligned line can put an email in any column)."""
        return any(c.pii for c in self.columns)


@cache
def load_contracts() -> dict[str, SourceContract]:
    """Every source's contract, keyed by source name, in file order."""
    data = yaml.safe_load(CONTRACTS_PATH.read_text(encoding="utf-8"))
    return {name: _source(name, spec) for name, spec in data.items() if name != PLAUSIBILITY}


@cache
def plausibility_defaults() -> dict[str, object]:
    """The ``plausibility`` defaults of contracts.yaml (config/ingestion.yaml overrides them)."""
    data = yaml.safe_load(CONTRACTS_PATH.read_text(encoding="utf-8"))
    return dict(data[PLAUSIBILITY])


def _source(name: str, spec: dict) -> SourceContract:
    columns = tuple(_column(name, c) for c in spec["columns"])
    names = {c.name for c in columns}
    unknown_key = [k for k in spec["key"] if k not in names]
    if unknown_key:
        raise ValueError(f"{CONTRACTS_PATH}: key of {name} names unknown columns {unknown_key}")
    for c in columns:
        for other in (c.not_before, c.sign_of):
            if other is not None and other not in names:
                raise ValueError(f"{CONTRACTS_PATH}: {name}.{c.name} refers to unknown {other}")
    return SourceContract(name, spec["zh"], spec["grain"], tuple(spec["key"]), columns)


def _column(source: str, c: dict) -> Column:
    if c["type"] not in COLUMN_TYPES:
        raise ValueError(f"{CONTRACTS_PATH}: {source}.{c['name']} has unknown type {c['type']!r}")
    allowed = c.get("allowed")
    return Column(
        name=c["name"],
        type=c["type"],
        required=bool(c.get("required", False)),
        zh=c.get("zh", ""),
        meaning=c.get("meaning", ""),
        allowed=tuple(str(v).strip().lower() for v in allowed) if allowed else None,
        min=Decimal(str(c["min"])) if "min" in c else None,
        max=Decimal(str(c["max"])) if "max" in c else None,
        nonzero=bool(c.get("nonzero", False)),
        may_be_future=bool(c.get("may_be_future", False)),
        pii=bool(c.get("pii", False)),
        reporting_currency=bool(c.get("reporting_currency", False)),
        not_before=c.get("not_before"),
        sign_of=c.get("sign_of"),
        when_absent=c.get("when_absent"),
        aka=tuple(str(a) for a in c.get("aka", ())),
    )


def contracts_markdown() -> str:
    """docs/contracts.md: one table per source, generated from contracts.yaml."""
    defaults = plausibility_defaults()
    lines = [
        "# Input contracts",
        "",
        "<!-- Generated from ingestion/contracts.yaml by `kam contracts`;",
        "     do not edit by hand (a test keeps this file in step). -->",
        "",
        "Each source lands as files under `<landing>/<source>/<YYYY-MM-DD>/`. After the mapping in",
        "`config/mappings/<source>.yaml` is applied (see [mappings.md](mappings.md)), a file must",
        "provide the columns below. A row that breaks a rule is quarantined in `raw.quarantine`",
        "with its file, line and reason; a file missing a required column is rejected as a whole.",
        "",
        "Rules that apply to every source:",
        "",
        "- enumerations (columns with allowed values) are compared and stored trimmed and",
        "  lowercase;",
        "- numbers may use thousands separators (`1,234.50`) and full-width digits (`１２３`);",
        "- a date or timestamp more than one day after the folder's business date is rejected as",
        "  dated in the future, unless the column says otherwise;",
        "- the key columns identify a row within one business date: a later duplicate is",
        "  quarantined and the first one kept;",
        "- a decimal is stored with 4 decimals: a value with more is quarantined, never rounded;",
        f"- a date or timestamp before `earliest_date` ({defaults['earliest_date']}) is",
        "  quarantined as implausible (a placeholder such as 1900-01-01);",
        "- a time-zone-aware timestamp is converted to local time in `time_zone`",
        f"  ({defaults['time_zone']}), and the ledger says so;",
        "- a source with personal data (a `PII` column) never has a value quoted in a reason.",
        "",
        f"The reporting currency is {defaults['reporting_currency']}. `earliest_date`,",
        "`time_zone` and `reporting_currency` can be set in `config/ingestion.yaml`",
        "(see [bad-inputs.md](bad-inputs.md#plausibility)).",
        "",
    ]
    for contract in load_contracts().values():
        lines += [
            f"## {contract.name} ({contract.zh})",
            "",
            f"Grain: {contract.grain}. Key: {', '.join(f'`{k}`' for k in contract.key)}.",
            "",
            "| column | type | required | meaning | 中文 | allowed values / bounds | PII |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in contract.columns:
            lines.append(
                f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | {c.meaning} "
                f"| {c.zh} | {_rules(c)} | {'yes' if c.pii else ''} |"
            )
        lines.append("")
    return "\n".join(lines)


def _rules(c: Column) -> str:
    rules = []
    if c.allowed:
        rules.append(", ".join(f"`{v}`" for v in c.allowed))
    if c.min is not None:
        rules.append(f"≥ {c.min}")
    if c.max is not None:
        rules.append(f"≤ {c.max}")
    if c.nonzero:
        rules.append("not 0")
    if c.may_be_future:
        rules.append("may be after the business date")
    if c.reporting_currency:
        rules.append("the reporting currency")
    if c.not_before:
        rules.append(f"not before `{c.not_before}`")
    if c.sign_of:
        rules.append(f"not the opposite sign of `{c.sign_of}`")
    if c.when_absent:
        rules.append(f"when absent: {c.when_absent}")
    return "; ".join(rules)


#: The sources kam ingests, in the order of contracts.yaml.
SOURCES: tuple[str, ...] = tuple(load_contracts())
