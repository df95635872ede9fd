"""``kam map``: propose a mapping file for a sample export by matching its headers to the
contract (canonical names, Chinese names and the usual other names of contracts.yaml ``aka``).

The proposal says which columns it found, which are missing (and what kam does without each:
the contract's ``when_absent``), which export columns it leaves unmapped, and the file format,
encoding, delimiter and date formats it read the sample with. It is written for the user to
review; kam validates it like any mapping file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.contracts import SourceContract, load_contracts
from ingestion.excel_input import ExcelUnavailable, read_sheet
from ingestion.header import HEADER_SEARCH_LINES
from ingestion.mapping import WHITESPACE
from ingestion.sql import lit
from ingestion.textfile import open_bytes

SAMPLE_ROWS = 500
SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
# Tried in this order; the first that reads every sampled value wins. Day-first and month-first
# forms that both read the sample are reported as ambiguous.
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y年%m月%d日",
)


class ProposalError(ValueError):
    """The sample cannot be read; the message names the file and the fix."""


@dataclass
class Proposal:
    """A proposed mapping of one source and what the user should know about it."""

    source: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None  # set when lines above the header are skipped
    file_pattern: str | None = None
    date_format: str | None = None
    timestamp_format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # canonical → export name
    missing_required: list[str] = field(default_factory=list)
    derived: list[tuple[str, str]] = field(default_factory=list)  # (column, what kam does)
    absent_optional: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def yaml(self) -> str:
        """The mapping file's text, with comments for the reviewer."""
        lines = [
            f"# Mapping for `{self.source}` proposed by `kam map`: review it before use.",
            "# Canonical name (left, docs/contracts.md) -> the export's column (right).",
        ]
        lines += [f"# {note}" for note in self.notes]
        lines.append(f"format: {self.format}")
        if self.encoding:
            lines.append(f"encoding: {self.encoding}")
        if self.delimiter:
            shown = "'\\t'" if self.delimiter == "\t" else _quoted(self.delimiter)
            lines.append(f"delimiter: {shown}")
        if self.header_row:
            lines.append(f"header_row: {self.header_row}")
        for key in ("sheet", "file_pattern", "date_format", "timestamp_format"):
            value = getattr(self, key)
            if value:
                lines.append(f"{key}: {_quoted(value)}")
        lines.append("columns:")
        lines += [f"  {c}: {_quoted(e)}" for c, e in self.columns.items()]
        for name in self.missing_required:
            lines.append(f"  # {name}: ???   (required: no export column matched; fill it in)")
        return "\n".join(lines) + "\n"

    def report(self) -> str:
        """What the proposal found and what the user must check, for the terminal."""
        lines = [f"{self.source}: {len(self.columns)} column(s) matched"]
        lines += [f"  {c} <- {e}" for c, e in self.columns.items()]
        if self.missing_required:
            lines.append(
                "  missing, required (the file is rejected until mapped): "
                + ", ".join(self.missing_required)
            )
        for name, what in self.derived:
            lines.append(f"  missing, {name}: {what}")
        if self.absent_optional:
            lines.append(
                "  missing, optional (loaded as empty): " + ", ".join(self.absent_optional)
            )
        if self.unmapped:
            lines.append("  export columns not used (ignored): " + ", ".join(self.unmapped))
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def normalised(name: str) -> str:
    """A header name compared ignoring case, spaces, underscores, hyphens, dots and brackets."""
    return re.sub(r"[\s_\-.()（）/]+", "", name).casefold()


def synonyms(source: str) -> dict[str, list[str]]:
    """Every name that means each canonical column of ``source``: its own name, its Chinese
    name and its ``aka``, plus those of same-named columns of other sources."""
    contracts = load_contracts()
    result: dict[str, list[str]] = {}
    for column in contracts[source].columns:
        names = [column.name, column.zh, *column.aka]
        for other in contracts.values():
            if other.name != source and column.name in other.column_names:
                twin = other.column(column.name)
                names += [twin.zh, *twin.aka]
        result[column.name] = [n for n in dict.fromkeys(names) if n]
    return result


def match_headers(source: str, header: Iterable[str]) -> dict[str, str]:
    """Canonical column → the export column whose name means it. The earlier name in a
    column's synonym list wins; each export column serves one canonical column."""
    by_name: dict[str, str] = {}
    for export in header:
        by_name.setdefault(normalised(export), export)
    taken: set[str] = set()
    result: dict[str, str] = {}
    for canonical, names in synonyms(source).items():
        for name in names:
            export = by_name.get(normalised(name))
            if export is not None and export not in taken:
                result[canonical] = export
                taken.add(export)
                break
    return result


def propose_mapping(source: str, path: Path, sheet: str | None = None) -> Proposal:
    """Read a sample of ``path`` (CSV or text, Parquet or Excel) and propose its mapping."""
    contracts = load_contracts()
    if source not in contracts:
        raise ProposalError(
            f"unknown source {source!r}; name one of {', '.join(contracts)} (docs/contracts.md)"
        )
    path = Path(path)
    if not path.is_file():
        raise ProposalError(f"{path}: no such file; give the path of a sample export")
    suffix = path.name.lower().removesuffix(".gz").rsplit(".", 1)[-1]
    if suffix == "parquet":
        proposal = Proposal(source, "parquet")
        header, samples = _parquet_sample(path)
    elif suffix in ("xlsx", "xlsm"):
        proposal = Proposal(source, "excel", sheet=sheet)
        header, samples = _excel_sample(path, sheet, proposal)
        if suffix != "xlsx":
            proposal.file_pattern = f"*.{suffix}"
    elif suffix == "xls":
        raise ProposalError(
            f"{path}: is an old Excel 97 workbook (.xls); save it as .xlsx (or export CSV)"
        )
    else:
        proposal = Proposal(source, "csv")
        header, samples = _text_sample(path, proposal)
        if suffix != "csv":
            proposal.file_pattern = f"*.{suffix}"
    contract = contracts[source]
    proposal.columns = match_headers(source, header)
    for column in contract.columns:
        if column.name in proposal.columns:
            continue
        if column.required:
            proposal.missing_required.append(column.name)
        elif column.when_absent:
            proposal.derived.append((column.name, column.when_absent))
        else:
            proposal.absent_optional.append(column.name)
    used = set(proposal.columns.values())
    proposal.unmapped = [h for h in header if h not in used]
    if proposal.format == "csv":
        _choose_formats(contract, proposal, samples)
    return proposal


def _text_sample(path: Path, proposal: Proposal) -> tuple[list[str], dict[str, list[str]]]:
    """Header and sampled values of a text export; sets the encoding and delimiter found."""
    with open_bytes(path) as handle:
        raw = handle.read(SAMPLE_BYTES)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ProposalError(f"{path}: is UTF-16 text; save it as UTF-8 or GB18030 first")
    text = None
    for encoding, codec in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        try:
            text = decoder.decode(raw, final=len(raw) < SAMPLE_BYTES)
        except UnicodeDecodeError:
            continue
        proposal.encoding = encoding
        break
    if text is None:
        raise ProposalError(
            f"{path}: is neither UTF-8 nor GB18030 text; export it as UTF-8 (or GB18030) text"
        )
    physical = text.splitlines()
    if len(raw) == SAMPLE_BYTES and len(physical) > 1:
        physical = physical[:-1]  # the sample may have cut the last line
    numbered = [(n, line) for n, line in enumerate(physical, 1) if line.strip()]
    if not numbered:
        raise ProposalError(f"{path}: is empty; give a sample with a header line and data")
    # The header is the first line naming a column kam knows (else the first line).
    header_at = next(
        (
            k
            for k, (_, line) in enumerate(numbered[:HEADER_SEARCH_LINES])
            if match_headers(proposal.source, _split(line, _delimiter_of(line)))
        ),
        0,
    )
    if header_at:
        proposal.header_row = numbered[header_at][0]
        proposal.notes.append(
            f"the column names are on line {proposal.header_row}: the lines above it are "
            f"skipped (header_row: {proposal.header_row})"
        )
    lines = [line for _, line in numbered[header_at:]]
    first = lines[0]
    delimiter = _delimiter_of(first)
    if delimiter == WHITESPACE:
        proposal.notes.append(
            "columns are aligned with spaces: delimiter whitespace (a value must not hold a "
            "space; an empty value must be written as NA)"
        )
    proposal.delimiter = None if delimiter == "," else delimiter
    rows = [_split(line, delimiter) for line in lines[: SAMPLE_ROWS + 1]]
    header = [name.strip() for name in rows[0]]
    samples = {
        name: [row[i].strip() for row in rows[1:] if i < len(row) and row[i].strip()]
        for i, name in enumerate(header)
    }
    return header, samples


def _delimiter_of(line: str) -> str:
    """The delimiter a text line uses most (whitespace for aligned columns, ',' for none)."""
    counts = {d: line.count(d) for d in DELIMITERS}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0 and len(line.split()) > 1:
        return WHITESPACE
    return delimiter


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter), [])


def _parquet_sample(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path).names, {}
    except (OSError, pa.ArrowException) as exc:
        raise ProposalError(f"{path}: cannot be read as Parquet ({exc})") from exc


def _excel_sample(
    path: Path, sheet: str | None, proposal: Proposal
) -> tuple[list[str], dict[str, list[str]]]:
    try:
        top = read_sheet(
            path, sheet, has_header=False, drop_empty_rows=False, infer_schema_length=0
        ).head(HEADER_SEARCH_LINES)
    except ExcelUnavailable as exc:
        raise ProposalError(str(exc)) from exc
    except Exception as exc:  # calamine's errors share no base class
        raise ProposalError(f"{path}: cannot be read as an Excel workbook ({exc})") from exc
    rows = [[str(v).strip() for v in row if v is not None] for row in top.iter_rows()]
    # The header is the first row naming a column kam knows (else the first row).
    at = next((k for k, row in enumerate(rows) if match_headers(proposal.source, row)), 0)
    if at:
        proposal.header_row = at + 1
        proposal.notes.append(
            f"the column names are in row {at + 1}: the rows above it are skipped "
            f"(header_row: {at + 1})"
        )
    return rows[at] if rows else [], {}


def _choose_formats(
    contract: SourceContract, proposal: Proposal, samples: dict[str, list[str]]
) -> None:
    """Pick date_format and timestamp_format that read every sampled value of the matched
    date and timestamp columns (the defaults are left out when they do)."""
    dated = [c for c in contract.columns if c.type in ("date", "timestamp")]
    with duckdb.connect() as con:
        for kind, candidates, default in (
            ("date", DATE_FORMATS, "%Y-%m-%d"),
            ("timestamp", TIMESTAMP_FORMATS + DATE_FORMATS, "%Y-%m-%d %H:%M:%S"),
        ):
            values = [
                v
                for c in dated
                if c.type == kind and c.name in proposal.columns
                for v in samples.get(proposal.columns[c.name], [])
            ]
            if not values:
                continue
            fits = [f for f in candidates if _reads_all(con, values, f)]
            if not fits:
                proposal.notes.append(
                    f"no known format reads the {kind} values (e.g. {values[0]!r}); set "
                    f"{kind}_format by hand (strftime codes, docs/mappings.md)"
                )
                continue
            chosen = fits[0]
            if kind == "timestamp" and chosen in DATE_FORMATS:
                proposal.date_format = proposal.date_format or chosen
            elif chosen != default:
                setattr(proposal, f"{kind}_format", chosen)
            swapped = _day_month_swapped(chosen)
            if swapped in fits:
                proposal.notes.append(
                    f"the sampled {kind}s read both as {chosen} and as {swapped}; {chosen} was "
                    "chosen: check a date after the 12th of a month"
                )


def _reads_all(con: duckdb.DuckDBPyConnection, values: list[str], fmt: str) -> bool:
    return con.execute(
        f"select bool_and(try_strptime(v, {lit(fmt)}) is not null) from unnest(?) t(v)",
        [values],
    ).fetchall()[0][0]


def _day_month_swapped(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
