"""A CSV file as a relation of its lines split into fields, for the validation to type.

CSV files are read one physical line per row (a quoted field must not contain a line break;
if one does, both halves are quarantined as broken quoting). Blank lines are skipped. The lines
are split into fields in DuckDB's SQL: a plain split where a line has no quote, a regular
expression where it has; a line whose quoting or number of fields is wrong gets its reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ingestion.mapping import Mapping
from ingestion.results import FileRejected, first_line
from ingestion.sql import lit, regex_char
from ingestion.textfile import LINE_SENTINEL
from ingestion.transcode import transcode
from ingestion.typed_values import PLAIN_WHITESPACE

NUL_REASON = (
    "contains a NUL byte (\\x00), so the line is damaged; fix the line in the export "
    "(NUL bytes are never valid in text)"
)
MAX_LINE_BYTES = 16 << 20


def csv_relation(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, mapping: Mapping, utf8: Path
) -> tuple[str, list[str], list[str]]:
    """Transcode, check the encoding and header, and load the physical lines into ``_lines``.

    Returns the relation, the header and notes for the ledger."""
    header, notes, replaced = transcode(path, name, mapping, utf8)
    try:
        con.execute(f"""create or replace temp table _lines as
            select row_number() over () as _line, line
            from read_csv({lit(str(utf8))}, columns = {{'line': 'VARCHAR'}}, header = false,
                          auto_detect = false, delim = {lit(LINE_SENTINEL)}, quote = '',
                          escape = '', strict_mode = false, max_line_size = {MAX_LINE_BYTES})""")
    except duckdb.Error as exc:
        if "maximum line size" in str(exc).lower():
            line = re.search(r"Line: (\d+)", str(exc))
            raise FileRejected(
                f"{name}{f' line {line.group(1)}' if line else ''}: is longer than "
                f"{MAX_LINE_BYTES // (1 << 20)} MB, the most kam reads in one line (a line break "
                "missing from the export?); fix that line in the export"
            ) from exc
        raise FileRejected(
            f"{name}: cannot be read ({first_line(exc)}); check that it is a complete text export"
        ) from exc
    d, q = ("," if mapping.whitespace else mapping.delimiter), mapping.quote
    rd, rq = regex_char(d), regex_char(q)
    field = f"{rq}(?:[^{rq}]|{rq}{rq})*{rq}|[^{rq}{rd}]*"
    full = f"(?:{field})(?:{rd}(?:{field}))*"
    unquote = (
        f"lambda f: trim(case when starts_with(f, {lit(q)}) "
        f"then replace(f[2:-2], {lit(q + q)}, {lit(q)}) else f end)"
    )
    # Fields are trimmed here, once per line, not value by value in the validation: trim()
    # on every value cost a third of the validation. trim() removes only Unicode space
    # separators (Zs), whose only ASCII member is the space; so on an ASCII line with no space
    # next to a delimiter or at either end, no field has anything to trim.
    split = f"string_split(line, {lit(d)})"
    edge_space = (
        f"contains(line, {lit(' ' + d)}) or contains(line, {lit(d + ' ')}) "
        "or starts_with(line, ' ') or ends_with(line, ' ') or strlen(line) <> length(line)"
    )
    fields = (
        f"case when not contains(line, {lit(q)}) then (case when {edge_space} "
        f"then list_transform({split}, lambda f: trim(f)) else {split} end) "
        f"when regexp_full_match(line, {lit(full)}) then list_transform("
        f"regexp_extract_all({lit(d)} || line, {lit(f'{rd}({field})')}, 1), {unquote}) end"
    )
    if mapping.whitespace:
        # Aligned text: runs of spaces or tabs separate the fields; there is no quoting, so a
        # value cannot hold a space and an empty value must be written as a null marker (NA).
        fields = (
            "regexp_split_to_array(regexp_replace(line, '^[ \\t]+|[ \\t]+$', '', 'g'), '[ \\t]+')"
        )
    plain = " and ".join(f"not contains(line, chr({ord(w)}))" for w in PLAIN_WHITESPACE)
    width = len(header)
    struct_error = (
        # U+FFFD marks invalid bytes only if the transcoding put it there; in a valid file it is
        # text (garbled upstream), loaded as it is and noted in the ledger.
        f"case when {'contains(line, chr(65533))' if replaced else 'false'} "
        f"then {lit(f'invalid bytes for encoding {mapping.encoding}; check the encoding setting')} "
        f"when contains(line, chr(0)) then {lit(NUL_REASON)} "
        f"when _f is null then "
        f"{lit(f'broken quoting: a {q} quote is not closed or is followed by text; ')}"
        f" || {lit('fix the quoting (a quote inside a quoted value is written twice)')} "
        f"when len(_f) <> {width} then 'wrong number of fields: expected {width} "
        f"(as in the header), found ' || len(_f)"
        + (
            " || ' (with delimiter: whitespace a value must not hold a space, and an empty "
            "value must be written as a null marker such as NA)'"
            if mapping.whitespace
            else ""
        )
        + " end"
    )
    # A line starting with a printable ASCII character is not blank: trimming it (the whole
    # line, every line) to find out cost a sixth of the validation.
    not_blank = "(ascii(line) between 33 and 126 or trim(line) <> '')"
    relation = f"""(select _line, line as _raw, {struct_error} as _struct_error,
            {plain} as _plain, *
        from (select _line, line, {fields} as _f from _lines
              where _line > {mapping.header_row} and line is not null and {not_blank}))"""
    return relation, header, notes
