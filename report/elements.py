"""What a report page is made of: headline figures, sections with their charts and tables,
the quality gates of the run. Built by :mod:`report.page`, rendered by :mod:`report.render`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import plotly.graph_objects as go


@dataclass
class Gate:
    """One quality check of the run that published the copy."""

    name: str
    passed: bool
    severity: str  # "ERROR" or "WARN"
    description: str = ""


@dataclass(frozen=True)
class Column:
    """A table column (frozen: the columns every section shows are shared instances)."""

    key: str
    header: str
    kind: str = "text"  # text, int, money, share, prob, date


@dataclass
class Table:
    id: str
    columns: list[Column]
    rows: list[dict[str, object]]
    caption: str = ""
    note: str = ""
    # Folded under its caption (opened for printing): long lists that most readers skip.
    folded: bool = False


@dataclass
class Chart:
    id: str
    figure: go.Figure


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


@dataclass
class Figure:
    """A headline number."""

    id: str
    label: str
    value: object
    kind: str = "int"
    detail: str = ""


@dataclass
class Page:
    business_date: date
    publication: dict[str, str]
    headline: list[Figure]
    sections: list[Section]
    missing: list[str]
