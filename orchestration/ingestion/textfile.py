"""Byte-level file work done in bounded memory: checksums and transcoding to UTF-8."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

CHUNK_CHARS = 1 << 22
# DuckDB reads the normalised file one physical line per row using this as the column
# delimiter; a file that contains it is rejected (it never occurs in real exports).
LINE_SENTINEL = "\x1f\x1e\x1d\x1c"
# Python codecs used for each declared encoding: gb18030 is a superset of gbk and gb2312, and
# utf-8-sig also reads files without a byte order mark.
CODECS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030", "gbk": "gb18030"}


def file_checksum(path: Path) -> tuple[str, int]:
    """sha256 hex digest and size in bytes of ``path``."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def normalise_to_utf8(source: Path, target: Path, encoding: str) -> bool:
    """Write ``source`` as UTF-8 with ``\\n`` line ends to ``target``, chunk by chunk.

    Bytes invalid in ``encoding`` become U+FFFD, which validation reports per line. Returns
    False if the file contains ``LINE_SENTINEL`` (and so cannot be split into lines safely).
    """
    tail = ""
    with (
        source.open("r", encoding=CODECS[encoding], errors="replace", newline=None) as reader,
        target.open("w", encoding="utf-8", newline="\n") as writer,
    ):
        while chunk := reader.read(CHUNK_CHARS):
            if LINE_SENTINEL in tail + chunk[: len(LINE_SENTINEL)] or LINE_SENTINEL in chunk:
                return False
            tail = chunk[-(len(LINE_SENTINEL) - 1):]
            writer.write(chunk)
    return True


def read_header(path: Path, delimiter: str, quote: str) -> list[str] | None:
    """Column names of the first line of a normalised file (None if the file is empty)."""
    with path.open("r", encoding="utf-8", newline="") as handle:
        first = handle.readline()
    if not first.strip():
        return None
    row = next(csv.reader([first.rstrip("\n")], delimiter=delimiter, quotechar=quote))
    return [name.strip() for name in row]
