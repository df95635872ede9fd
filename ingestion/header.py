"""A file's header matched to its source's contract: which field feeds each canonical column.

A file is rejected, with the fix, when a required or renamed column is missing, a column is
repeated, or the header shows that the mapping's delimiter is wrong or the file has no header.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from ingestion.contracts import SourceContract
from ingestion.mapping import Mapping
from ingestion.parquet_input import check_parquet_type, parquet_kind
from ingestion.results import FileRejected
from ingestion.textfile import split_header
from ingestion.typed_values import ColumnInput

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
# How many lines (Excel: rows) are searched for the header when the header line names no expected
# column: a report title, its date and blank lines may stand above the real one.
HEADER_SEARCH_LINES = 20


def match_header(
    contract: SourceContract,
    mapping: Mapping,
    header: list[str],
    name: str,
    native: dict[str, str],
    following: Callable[[], list[list[str]]] | None = None,
) -> tuple[dict[str, ColumnInput], list[str]]:
    """Locate every canonical column in the header; reject the file if a required column or a
    column the mapping renames is missing, or if a Parquet column's type cannot hold its values.

    ``native`` gives the DuckDB type of each Parquet column (empty for CSV). ``following``
    gives the fields of the lines after the header (asked only when the header names no
    expected column: a title above the real header says which line to set as header_row).
    """
    where = mapping.describe()
    at = f" line {mapping.header_row}"
    twice = sorted({h for h in header if header.count(h) > 1 and h})
    inputs, notes, missing, renamed_absent, absent = {}, [], [], [], []
    for col in contract.columns:
        export = mapping.export_name(col.name)
        if export in twice:
            raise FileRejected(
                f"{name}{at if mapping.format == 'csv' else ''}: column {export!r} "
                f"appears more than once in the header; rename or remove the duplicate in the "
                "export"
            )
        if export in header:
            if mapping.format == "csv":
                inputs[col.name] = ColumnInput(f"_f[{header.index(export) + 1}]", pretrimmed=True)
            else:
                what = "Excel" if mapping.format == "excel" else "Parquet"
                check_parquet_type(col, export, native[export], name, what)
                inputs[col.name] = ColumnInput(
                    f"_p{header.index(export)}",
                    native=native[export] != "VARCHAR",
                    tz_aware=native[export] == "TIMESTAMP WITH TIME ZONE",
                    fractional=parquet_kind(native[export]) == "fractional",
                    sheet_text=mapping.format == "excel" and native[export] == "VARCHAR",
                )
        elif col.required:
            missing.append((col.name, export))
        elif export != col.name:
            renamed_absent.append((col.name, export))
        else:
            inputs[col.name] = ColumnInput(None)
            if col.when_absent:
                notes.append(f"{col.name} absent: {col.when_absent}")
            else:
                absent.append(export)
    found = _shown_header(header)
    exports = {mapping.export_name(c.name) for c in contract.columns}
    hint = _delimiter_hint(header, mapping) if missing else None
    if hint and set(split_header(header[0], _unshown_char(hint), mapping.quote) or []) & exports:
        raise FileRejected(
            f"{name}{at}: the header was read as the single column {found}; the file seems "
            f"to be delimited by {hint!r}, not {_shown_char(mapping.delimiter)!r}: set "
            f"delimiter: '{hint}' in {where}"
        )
    # Space-aligned text read with a delimiter: its names come out in one field, or (read with
    # delimiter ' ' or tab) among empty names, which misaligns every line.
    aligned = " ".join(header).split()
    padded = mapping.delimiter in (" ", "\t") and "" in header
    if (
        (missing or padded)
        and not mapping.whitespace
        and aligned != header
        and set(aligned) & exports
    ):
        raise FileRejected(
            f"{name}{at}: the header was read as {found}, but its names are separated by "
            f"runs of spaces (aligned text); set delimiter: whitespace in {where}"
        )
    if missing and not set(header) & exports:
        # The first line names no column kam knows: it is most likely data (a file exported
        # without its header), so it is never quoted — it may hold names, phones and emails.
        required = ", ".join(f"'{export}'" for _, export in missing)
        rows = following() if following else []
        later = next((k for k, row in enumerate(rows) if set(row) & exports), None)
        if later is not None:
            row = mapping.header_row + 1 + later
            raise FileRejected(
                f"{name}{at}: names none of the expected columns, but line {row} does (lines "
                f"above the header, such as a report title?); set header_row: {row} in {where}"
            )
        raise FileRejected(
            f"{name}{at}: the {'first' if mapping.header_row == 1 else 'header'} line names none "
            f"of the expected columns (it has "
            f"{len(header)} field(s); required: {required}), so the file seems to have no "
            "header line; export it again with a header line naming the columns, or map the "
            f"export's own column names under 'columns:' in {where}"
        )
    if missing:
        hidden = any(visible(h) != h for h in header)
        names = ", ".join(
            f"'{canonical}'" + (f" (export name '{export}')" if export != canonical else "")
            for canonical, export in missing
        )
        raise FileRejected(
            f"{name}: required column {names} missing from the header (found: "
            f"{found}); add it to the export, or map the export's name for it under "
            f"'columns:' in {where}"
            + (
                "; the header holds invisible characters (shown as \\uXXXX, \\ufeff is a "
                "byte order mark): remove them from the export"
                if hidden
                else ""
            )
        )
    if renamed_absent:
        names = ", ".join(f"'{canonical}' to '{export}'" for canonical, export in renamed_absent)
        raise FileRejected(
            f"{name}: {where} maps {names}, but the header has no such column (found: {found}); "
            "correct the export name under 'columns:', or remove the line if the export does "
            "not have that column"
        )
    if absent:
        notes.append(f"optional columns absent (loaded as empty): {', '.join(absent)}")
    mapped = {mapping.export_name(c.name) for c in contract.columns}
    extra = [h for h in header if h not in mapped]
    if extra:
        notes.append(f"ignored unmapped columns: {', '.join(extra)}")
    return inputs, notes


def _shown_header(header: list[str], limit: int = 300) -> str:
    text = ", ".join(map(visible, header))
    return text if len(text) <= limit else text[:limit] + " …"


def visible(text: str) -> str:
    """``text`` with invisible characters (a byte order mark, zero-width or control characters)
    written as ``\\uXXXX``, so that a message shows why two names that look equal differ."""
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cf", "Cc") else ch for ch in text
    )


def _shown_char(char: str) -> str:
    return "\\t" if char == "\t" else char


def _unshown_char(shown: str) -> str:
    return "\t" if shown == "\\t" else shown


def _delimiter_hint(header: list[str], mapping: Mapping) -> str | None:
    """The delimiter a one-column header seems to use instead of the mapping's, if any."""
    if len(header) != 1:
        return None
    counts = {d: header[0].count(d) for d in CANDIDATE_DELIMITERS if d != mapping.delimiter}
    best = max(counts, key=lambda d: counts[d])
    return _shown_char(best) if counts[best] else None
