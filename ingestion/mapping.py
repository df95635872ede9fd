"""Mapping files: how one source's export differs from its contract (names, encoding, formats)."""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from ingestion.contracts import SOURCES, load_contracts

FORMATS = ("csv", "parquet", "excel")
# `delimiter: whitespace`: fields are separated by runs of spaces or tabs (aligned text, no
# quoting); leading and trailing spaces of a line are not a field.
WHITESPACE = "whitespace"
FILE_SUFFIX = {"csv": "csv", "parquet": "parquet", "excel": "xlsx"}
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk")
DEFAULT_TRUE = ("true", "1", "yes", "y", "是", "t")
DEFAULT_FALSE = ("false", "0", "no", "n", "否", "f")
DEFAULT_NULLS = ("", "NULL", "null", "NA", "N/A")
MAX_HEADER_ROW = 1000

#: PyYAML's safe loader, in C (libyaml) where PyYAML has it: ten times faster than in Python.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MappingError(ValueError):
    """A mapping file cannot be used; the message says where, what and how to fix it."""


@dataclass(frozen=True)
class Mapping:
    """Validated settings for reading one source's files. Defaults describe a plain UTF-8 CSV."""

    source: str
    format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    header: bool = True
    # The line (CSV) or sheet row (Excel) holding the column names; the lines above it (a
    # report's title, its date) are skipped.
    header_row: int = 1
    quote: str = '"'
    date_format: str = "%Y-%m-%d"
    timestamp_format: str = "%Y-%m-%d %H:%M:%S"
    true_values: tuple[str, ...] = DEFAULT_TRUE
    false_values: tuple[str, ...] = DEFAULT_FALSE
    null_values: tuple[str, ...] = DEFAULT_NULLS
    file_pattern: str | None = None
    sheet: str | None = None  # Excel: the sheet to read (default: the first)
    columns: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def pattern(self) -> str:
        return self.file_pattern or f"*.{FILE_SUFFIX[self.format]}"

    @property
    def whitespace(self) -> bool:
        """True if fields are separated by runs of whitespace (aligned text)."""
        return self.delimiter == WHITESPACE

    def export_name(self, column: str) -> str:
        """The export's name for canonical ``column``."""
        return self.columns.get(column, column)

    def describe(self) -> str:
        return str(self.path) if self.path else f"the default mapping of {self.source}"


def load_mappings(mappings_dir: Path) -> dict[str, Mapping]:
    """A mapping for every source: ``<mappings_dir>/<source>.yaml`` or the default if absent."""
    mappings_dir = Path(mappings_dir)
    if mappings_dir.is_dir():
        for path in sorted(mappings_dir.glob("*.y*ml")):
            if path.stem not in SOURCES:
                raise MappingError(
                    f"{path}: {path.stem!r} is not a source; name mapping files after one of "
                    f"{', '.join(SOURCES)} (e.g. customers.yaml)"
                )
    result = {}
    for source in SOURCES:
        path = next(
            (
                p
                for p in (mappings_dir / f"{source}.yaml", mappings_dir / f"{source}.yml")
                if p.is_file()
            ),
            None,
        )
        result[source] = load_mapping(path) if path else Mapping(source)
    return result


def load_source_mapping(mappings_dir: Path, source: str) -> Mapping:
    """The mapping of one ``source`` (its file, or the default), so that a mistake in another
    source's mapping is reported once, under that source, not under every source.

    A file in the folder named after no source is reported under the source whose name is
    closest (``transaction.yaml`` under transactions), or under the first source."""
    mappings_dir = Path(mappings_dir)
    if mappings_dir.is_dir():
        for path in sorted(mappings_dir.glob("*.y*ml")):
            if path.stem in SOURCES:
                continue
            close = difflib.get_close_matches(path.stem, SOURCES, n=1)
            if (close[0] if close else SOURCES[0]) == source:
                raise MappingError(
                    f"{path}: {path.stem!r} is not a source; name mapping files after one of "
                    f"{', '.join(SOURCES)} (e.g. {close[0] if close else 'customers'}.yaml)"
                )
    for path in (mappings_dir / f"{source}.yaml", mappings_dir / f"{source}.yml"):
        if path.is_file():
            return load_mapping(path)
    return Mapping(source)


def load_mapping(path: Path, source: str | None = None) -> Mapping:
    """Read and validate one mapping file; ``source`` defaults to the file name without suffix."""
    path = Path(path)
    source = source or path.stem
    contracts = load_contracts()
    if source not in contracts:
        raise MappingError(
            f"{path}: unknown source {source!r}; expected one of {', '.join(contracts)}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(
            f"{path}: cannot read the mapping file ({exc}); save it as UTF-8"
        ) from exc
    try:
        node = yaml.compose(text, Loader=_YAML_LOADER)
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError(
            f"{path}{where}: YAML syntax error: {problem}; fix the indentation or quoting there "
            "(values containing ':' or '#' need quotes)"
        ) from exc
    _refuse_repeated_keys(path, node)
    return _validate(path, source, data or {}, _key_lines(node))


def _refuse_repeated_keys(path: Path, node: yaml.Node | None) -> None:
    """YAML keeps the last of two equal keys silently; a mapping must not say a thing twice."""
    if not isinstance(node, yaml.MappingNode):
        return
    for prefix, mapping_node in [("", node)] + [
        ("columns.", value)
        for key, value in node.value
        if key.value == "columns" and isinstance(value, yaml.MappingNode)
    ]:
        seen: dict[str, int] = {}
        for key, _ in mapping_node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                raise MappingError(
                    f"{path} line {line}: key '{prefix}{key.value}' appears a second time (first "
                    f"on line {seen[key.value]}); YAML would keep only the last one: remove one"
                )
            seen[key.value] = line


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    """1-based line of every top-level key and of every ``columns`` entry (as columns.<key>)."""
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        lines[str(key.value)] = key.start_mark.line + 1
        if key.value == "columns" and isinstance(value, yaml.MappingNode):
            for sub, _ in value.value:
                lines[f"columns.{sub.value}"] = sub.start_mark.line + 1
    return lines


@functools.lru_cache(maxsize=64)
def _format_problem(fmt: str) -> tuple[str, str] | None:
    """(problem, fix) if ``fmt`` is not a strptime format DuckDB reads, or has no year. Asked once
    a format and process: the in-memory database that asks costs about 10 ms."""
    try:
        with duckdb.connect() as con:
            con.execute("select try_strptime('', ?)", [fmt])
    except duckdb.Error as exc:
        detail = str(exc).strip().splitlines()[0].split(": ", 1)[-1]
        return (
            f"{fmt!r} is not a valid format ({detail})",
            "use the directives of docs/mappings.md, e.g. '%Y-%m-%d' or '%d/%m/%Y %H:%M'",
        )
    if "%Y" not in fmt and "%y" not in fmt and "%G" not in fmt:
        return (
            f"{fmt!r} has no year (%Y or %y), so every date would be read as 1900",
            "include the year, e.g. '%Y-%m-%d'",
        )
    return None


def _validate(path: Path, source: str, data: object, lines: dict[str, int]) -> Mapping:
    def fail(key: str, problem: str, fix: str) -> MappingError:
        line = f" line {lines[key]}" if key in lines else ""
        return MappingError(f"{path}{line}: key '{key}': {problem}; {fix}")

    if not isinstance(data, dict):
        raise MappingError(
            f"{path}: expected 'key: value' settings at the top level; "
            "see docs/mappings.md for an example"
        )
    known = {
        "format",
        "encoding",
        "delimiter",
        "header",
        "header_row",
        "quote",
        "date_format",
        "timestamp_format",
        "true_values",
        "false_values",
        "file_pattern",
        "null_values",
        "sheet",
        "columns",
    }
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            guess = f"did you mean '{close[0]}'? " if close else ""
            raise fail(str(key), "unknown setting", f"{guess}use one of {', '.join(sorted(known))}")
    values: dict[str, object] = {}
    fmt = data.get("format", "csv")
    fmt = "excel" if fmt == "xlsx" else fmt
    if fmt not in FORMATS:
        raise fail("format", f"unknown format {fmt!r}", "use csv, parquet or excel (.xlsx)")
    values["format"] = fmt
    encoding = str(data.get("encoding", "utf-8")).strip().lower().replace("_", "-")
    encoding = {"utf8": "utf-8", "utf-8-bom": "utf-8-sig", "utf8-sig": "utf-8-sig"}.get(
        encoding, encoding
    )
    if encoding not in ENCODINGS:
        raise fail(
            "encoding",
            f"unknown encoding {data.get('encoding')!r}",
            f"use one of {', '.join(ENCODINGS)} (gb18030 also reads gbk and gb2312 files)",
        )
    values["encoding"] = encoding
    for key in ("delimiter", "quote"):
        if key in data:
            value = data[key]
            value = "\t" if value in ("\\t", "tab") else value
            if key == "delimiter" and value == WHITESPACE:
                values[key] = value
                continue
            if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
                raise fail(
                    key,
                    f"{value!r} is not a single character"
                    + (" (a line break)" if value in ("\r", "\n") else ""),
                    "give one character in quotes, e.g. ';' or '\\t' for tab"
                    + (", or whitespace for aligned columns" if key == "delimiter" else ""),
                )
            values[key] = value
    if values.get("delimiter", ",") == values.get("quote", '"'):
        raise fail("quote", "the quote character equals the delimiter", "choose different ones")
    if "header" in data and data["header"] is not True:
        raise fail(
            "header",
            f"{data['header']!r} is not supported",
            "exports must have a header line naming the columns; set header: true",
        )
    if "header_row" in data:
        row = data["header_row"]
        if isinstance(row, bool) or not isinstance(row, int) or not 1 <= row <= MAX_HEADER_ROW:
            raise fail(
                "header_row",
                f"{row!r} is not a line number from 1 to {MAX_HEADER_ROW}",
                "give the number of the line (Excel: the row) that names the columns, e.g. 3",
            )
        if fmt == "parquet":
            raise fail(
                "header_row",
                "a Parquet file has no header line (its columns are named in the file)",
                "remove it, or correct format: if the files are CSV or Excel",
            )
        values["header_row"] = row
    for key in ("date_format", "timestamp_format", "file_pattern", "sheet"):
        if key in data:
            if not isinstance(data[key], str) or not data[key]:
                raise fail(key, f"{data[key]!r} is not a text value", "give a quoted text value")
            values[key] = data[key]
    if "sheet" in values and fmt != "excel":
        raise fail(
            "sheet", "a sheet is read only from Excel files", "remove it, or set format: excel"
        )
    pattern = values.get("file_pattern")
    if isinstance(pattern, str) and ("/" in pattern or "\\" in pattern or ".." in pattern):
        raise fail(
            "file_pattern",
            f"{pattern!r} reaches outside the date folder",
            "give a file name pattern without folders, e.g. '*.csv' or 'export_*.txt'",
        )
    for key in ("date_format", "timestamp_format"):
        if key in values and "%" not in str(values[key]):
            raise fail(
                key,
                f"{values[key]!r} has no % directives",
                "write it like '%Y-%m-%d' or '%Y/%m/%d %H:%M'",
            )
        if key in values and (problem := _format_problem(str(values[key]))):
            raise fail(key, *problem)
    for key in ("true_values", "false_values", "null_values"):
        if key in data:
            value = data[key]
            if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
                raise fail(key, "expected a list of texts", "write it like ['yes', 'y', '是']")
            values[key] = tuple(
                str(v) if key == "null_values" else str(v).strip().lower() for v in value
            )
    values["columns"] = _columns(data.get("columns"), source, fail)
    return Mapping(source=source, path=path, **values)  # type: ignore[arg-type]


def _columns(columns: object, source: str, fail) -> dict[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, dict):
        raise fail(
            "columns",
            "expected a map of canonical name: export name",
            "write one 'customer_id: 客户编号' line per renamed column",
        )
    contract = load_contracts()[source]
    result = {}
    for canonical, export in columns.items():
        if canonical not in contract.column_names:
            raise fail(
                f"columns.{canonical}",
                f"{canonical!r} is not a column of {source}",
                f"the left side must be one of {', '.join(contract.column_names)} "
                "(see docs/contracts.md); the export's own name goes on the right",
            )
        if not isinstance(export, str | int) or str(export).strip() == "":
            raise fail(
                f"columns.{canonical}",
                f"{export!r} is not a column name",
                "give the export's header text for this column",
            )
        result[canonical] = str(export).strip()
    # One export column may feed several canonical columns (e.g. a stock code serving as both
    # product_id and product_category): each reads the same values.
    return result
