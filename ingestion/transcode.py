"""A CSV file written as UTF-8 for DuckDB to read, with its header line.

A file that is binary, UTF-16, or in another encoding than the mapping declares is rejected as a
whole with the fix; lines with bytes invalid in the declared encoding are named in the ledger
(docs/bad-inputs.md lists every case).
"""

from __future__ import annotations

import zlib
from pathlib import Path

from ingestion.landing import is_gzip
from ingestion.mapping import Mapping
from ingestion.results import FileRejected, first_line
from ingestion.textfile import (
    decodes_as,
    first_line_with,
    normalise_to_utf8,
    read_first_lines,
    replaced_lines,
    split_header,
    starts_with_utf16_bom,
)


def transcode(
    path: Path, name: str, mapping: Mapping, utf8: Path
) -> tuple[list[str], list[str], bool]:
    """Write ``path`` as UTF-8 to ``utf8``; reject a file that is binary or in another encoding
    than the mapping declares. Returns the header, notes for the ledger, and whether bytes
    invalid in the declared encoding were replaced by U+FFFD."""
    where, enc = mapping.describe(), mapping.encoding
    notes: list[str] = []
    try:
        if starts_with_utf16_bom(path):
            raise FileRejected(
                f"{name}: is UTF-16 text (it starts with a UTF-16 byte order "
                "mark); save it as UTF-8 or GB18030 and declare that encoding in "
                f"{where}"
            )
        transcoded = normalise_to_utf8(path, utf8, enc)
        if transcoded.has_sentinel:
            raise FileRejected(
                f"{name}: contains the control characters \\x1f\\x1e\\x1d\\x1c, "
                "which kam cannot read; remove them from the export"
            )
        row = mapping.header_row
        above = read_first_lines(utf8, row)
        first = above[row - 1] if len(above) == row else ""
        if any(ord(ch) < 32 and ch != "\t" for ch in first):
            raise FileRejected(
                f"{name} line {row}: the header contains control characters (e.g. NUL "
                "bytes), so this is not a CSV text file (binary, zipped or Excel?); "
                "export the data as CSV text"
            )
        lines = replaced_lines(utf8) if transcoded.invalid_sequences else None
        if (
            lines is not None
            and enc.startswith("utf-8")
            # Most text lines must be broken: a UTF-8 file with a few lines in GB18030 is
            # UTF-8 (declaring gb18030 would garble every other line); those lines are named.
            and lines.replaced_count > lines.clean_non_ascii
            and decodes_as(path, "gb18030")
        ):
            raise FileRejected(
                f"{name} line {lines.replaced[0]}: invalid bytes for encoding {enc}, but the "
                "whole file reads as GB18030 (a Chinese ERP export); declare "
                f"encoding: gb18030 in {where}"
            )
        if lines is not None:
            shown = ", ".join(map(str, lines.replaced))
            more = (
                f" and {lines.replaced_count - len(lines.replaced)} more"
                if (lines.replaced_count > len(lines.replaced))
                else ""
            )
            notes.append(
                f"line(s) {shown}{more} hold bytes invalid in {enc} while the rest of the file "
                f"is {enc} (the export mixes encodings?); they are quarantined: fix them at the "
                "source"
            )
        elif "\ufffd" in first or (line := first_line_with(utf8, "\ufffd")) is not None:
            line = row if "\ufffd" in first else line
            notes.append(
                f"line {line} (and maybe others) holds U+FFFD, the replacement character: its "
                "text was garbled before it was exported; loaded as it is"
            )
        if (
            not transcoded.invalid_sequences
            and not enc.startswith("utf-8")
            and decodes_as(path, "utf-8", needs_non_ascii=True)
        ):
            raise FileRejected(
                f"{name}: the mapping declares encoding {enc}, but the file is "
                "UTF-8 (reading it as GB18030 would garble every Chinese "
                f"character); declare encoding: utf-8 in {where}"
            )
    except (OSError, EOFError, zlib.error) as exc:
        if is_gzip(path):
            raise FileRejected(
                f"{name}: cannot be decompressed ({first_line(exc)}); the gzip file is damaged "
                "or incomplete: land it again"
            ) from exc
        raise FileRejected(
            f"{name}: cannot be read ({getattr(exc, 'strerror', None) or exc}); give the user "
            "running kam read permission on it"
        ) from exc
    header = split_header(first, mapping.delimiter, mapping.quote)
    if header is None and mapping.header_row > 1:
        raise FileRejected(
            f"{name} line {mapping.header_row}: is blank or missing, but header_row in {where} "
            "says the column names are there; set header_row to the line that names the columns"
        )
    if header is None:
        raise FileRejected(
            f"{name}: the file is empty (not even a header line); export it "
            "again with a header naming the columns"
        )
    return header, notes, bool(transcoded.invalid_sequences)
