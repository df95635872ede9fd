"""Descriptions of the published tables and columns, read from where each one is documented.

Nothing here is a second list: a mart's and a raw table's descriptions come from the dbt docs
(the manifest's model and source descriptions); a column they do not describe from the table's
section of ``docs/bi-tables.md`` (a ``| column | meaning |`` table under a heading that names the
table), then, for the score tables, from the column tables of ``docs/scoring.md``,
``docs/credit.md`` and ``docs/churn.md``. Score columns get their Chinese name from
``scoring.columns.COLUMN_NAMES_ZH``.

A column may be documented by a pattern, ``credit_ind_<indicator>``, which describes every column
it matches (handed to :func:`warehouse.publish.publish` as ``credit_ind_*``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

from scoring.columns import COLUMN_NAMES_ZH
from warehouse.publish import PublishedTable
from warehouse.registry import SCORE_SCHEMA, registered_tables
from warehouse.settings import REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs"
# Where the columns of the score tables (schema ``scores``) are described.
SCORE_DOCS = ("scoring.md", "credit.md", "churn.md")
# The BI page: per-table sections, and the list of tables with their grain.
BI_DOCS = "bi-tables.md"

_HEADING = re.compile(r"^(#{2,6})\s+(.*)$")
_ROW = re.compile(r"^\|(.*)\|\s*$")
_RULE = re.compile(r"^\|[\s|:-]+\|\s*$")
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


@dataclasses.dataclass(frozen=True)
class DocTable:
    """One markdown table: the heading it stands under, its section's (level 2) heading, its
    header cells and rows."""

    heading: str
    section: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def markdown_tables(text: str) -> list[DocTable]:
    """Every table of a markdown text with the heading it stands under."""
    tables: list[DocTable] = []
    heading, section, block = "", "", []
    for line in [*text.splitlines(), ""]:
        if _ROW.match(line):
            block.append(line)
            continue
        if len(block) >= 2 and _RULE.match(block[1]):
            cells = [_cells(row) for row in block]
            rows = tuple(map(tuple, cells[2:]))
            tables.append(DocTable(heading, section, tuple(cells[0]), rows))
        block = []
        if found := _HEADING.match(line):
            heading = found.group(2)
            section = heading if len(found.group(1)) == 2 else section
    return tables


def _cells(row: str) -> list[str]:
    """A row's cells; ``\\|`` is a pipe inside a cell, as in GitHub's markdown."""
    cells = re.split(r"(?<!\\)\|", _ROW.match(row).group(1))
    return [cell.replace("\\|", "|").strip() for cell in cells]


def column_names(cell: str) -> list[str]:
    """The column names (or ``<placeholder>`` patterns) a ``column`` cell documents:
    ``\\`a\\` / \\`a_zh\\``` or ``a, b``."""
    names = _CODE.findall(cell) or re.split(r"\s*[,/]\s*", cell)
    return [name.strip() for name in names if re.fullmatch(r"[A-Za-z_][\w<>]*", name.strip())]


def plain(text: str) -> str:
    """Markdown cell text as plain text: no links, code marks or emphasis."""
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text).replace("**", "")
    return text.strip()


def column_docs(tables: Iterable[DocTable], *, topic: bool = False) -> dict[str, str]:
    """Column (or pattern) → description, from the ``| column | meaning |`` tables given;
    ``topic`` puts the heading of the table's section first ("Customer pyramid (客户金字塔)")."""
    found: dict[str, str] = {}
    for table in tables:
        if [cell.lower() for cell in table.header[:2]] != ["column", "meaning"]:
            continue
        lead = f"{_topic(table.section)}: " if topic and _topic(table.section) else ""
        for row in table.rows:
            text = plain(row[1])
            if not lead and not row[1].startswith("`"):  # a code name keeps its case
                text = text[:1].upper() + text[1:]
            for name in column_names(row[0]):
                found.setdefault(name, _sentence(lead + text))
    return found


def _topic(heading: str) -> str:
    """A heading without its configuration key: "Customer pyramid (客户金字塔) — `tier.pyramid`"
    is "Customer pyramid (客户金字塔)"."""
    heading = re.sub(r"\s*\(`[^`]*`\)", "", heading.split(" — ")[0])
    return plain(heading)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "。", ")")) else f"{text}."


def with_chinese_name(column: str, text: str) -> str:
    """``text`` followed by the column's Chinese name, when it has one not already given."""
    zh = COLUMN_NAMES_ZH.get(column)
    return text if zh is None or zh in text else f"{text} ({zh})"


def _patterns(docs: dict[str, str]) -> dict[str, str]:
    """``credit_ind_<indicator>`` → ``credit_ind_*``; plain names unchanged."""
    return {re.sub(r"<[^>]*>", "*", name): text for name, text in docs.items()}


@dataclasses.dataclass(frozen=True)
class Descriptions:
    """Everything the docs say about the published tables."""

    models: dict[str, dict]  # dbt model name → manifest node
    sources: dict[str, dict]  # "schema.table" → manifest source
    scores: dict[str, str]  # score column (or pattern) → description
    sections: dict[str, dict[str, str]]  # published table → its BI section's column docs
    grains: dict[str, str]  # published table → its grain, from the BI page's table list

    def table(self, table: PublishedTable) -> str | None:
        node = self._node(table)
        if node is not None and node.get("description"):
            return " ".join(node["description"].split())
        grain = self.grains.get(table.published_name)
        return _sentence(grain[:1].upper() + grain[1:]) if grain else None

    def columns(self, table: PublishedTable) -> dict[str, str]:
        """Column name or ``*`` pattern → description, the first source that has one winning:
        the table's dbt model or source, its BI section, the score docs (score tables)."""
        node = self._node(table) or {}
        found = {
            name: " ".join(column["description"].split())
            for name, column in node.get("columns", {}).items()
            if column.get("description")
        }
        for name, text in _patterns(self.sections.get(table.published_name, {})).items():
            found.setdefault(name, text)
        if table.source_schema == SCORE_SCHEMA:
            for name, text in _patterns(self.scores).items():
                found.setdefault(name, text)
        return {name: with_chinese_name(name, text) for name, text in found.items()}

    def describe(self, table: PublishedTable) -> PublishedTable:
        """``table`` with the descriptions of itself and its columns."""
        return dataclasses.replace(
            table,
            comment=self.table(table),
            column_comments=tuple(self.columns(table).items()),
        )

    def _node(self, table: PublishedTable) -> dict | None:
        return self.models.get(table.published_name) or self.sources.get(
            f"{table.source_schema}.{table.source_table}"
        )


def load_descriptions(manifest: dict, docs_dir: Path = DOCS_DIR) -> Descriptions:
    """The descriptions in the dbt ``manifest`` and the docs in ``docs_dir``."""
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    sources = {
        f"{source['schema']}.{source['identifier'] or source['name']}": source
        for source in manifest.get("sources", {}).values()
    }
    bi = markdown_tables(_read(docs_dir / BI_DOCS))
    sections: dict[str, dict[str, str]] = {}
    for table in bi:
        for name in _CODE.findall(table.heading):
            sections.setdefault(name, {}).update(column_docs([table]))
    grains = {
        column_names(row[0])[0]: plain(row[1])
        for table in bi
        if [cell.lower() for cell in table.header[:2]] == ["table", "grain"]
        for row in table.rows
        if column_names(row[0])
    }
    scores = column_docs(
        [t for page in SCORE_DOCS for t in markdown_tables(_read(docs_dir / page))], topic=True
    )
    return Descriptions(models, sources, scores, sections, grains)


def published_tables(manifest: dict, docs_dir: Path = DOCS_DIR) -> list[PublishedTable]:
    """Every table BI reads (:mod:`warehouse.registry`), with its descriptions from the dbt docs
    and kam's docs."""
    descriptions = load_descriptions(manifest, docs_dir)
    return [descriptions.describe(table) for table in registered_tables(manifest)]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""
