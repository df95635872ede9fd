"""Byte-level file work done in bounded memory: checksums, transcoding to UTF-8, encoding checks."""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

CHUNK_CHARS = 1 << 22
CHUNK_BYTES = 1 << 22
# DuckDB reads the normalised file one physical line per row using this as the column
# delimiter; a file that contains it is rejected (it never occurs in real exports).
LINE_SENTINEL = "\x1f\x1e\x1d\x1c"
# Python codecs used for each declared encoding: gb18030 is a superset of gbk and gb2312, and
# utf-8-sig also reads files without a byte order mark.
CODECS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030", "gbk": "gb18030"}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
HEADER_MAX_CHARS = 1 << 20

_counter = threading.local()


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: like ``replace`` (U+FFFD), counting the invalid sequences."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _counter.invalid = getattr(_counter, "invalid", 0) + 1
    return "\ufffd", exc.end


codecs.register_error("kam-count-replace", _count_and_replace)


@dataclass(frozen=True)
class Transcoded:
    """Outcome of :func:`normalise_to_utf8`."""

    has_sentinel: bool  # the file contains LINE_SENTINEL and was not fully written
    invalid_sequences: int  # byte sequences invalid in the declared encoding (now U+FFFD)


def file_checksum(path: Path) -> tuple[str, int]:
    """sha256 hex digest and size in bytes of ``path``."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def open_bytes(path: Path) -> io.BufferedIOBase:
    """``path`` opened for reading bytes, decompressed if its name ends in ``.gz``."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def starts_with_utf16_bom(path: Path) -> bool:
    """True if ``path`` (decompressed) begins with a UTF-16 byte order mark."""
    with open_bytes(path) as handle:
        return handle.read(2) in UTF16_BOMS


def normalise_to_utf8(source: Path, target: Path, encoding: str) -> Transcoded:
    """Write ``source`` as UTF-8 with ``\\n`` line ends to ``target``, chunk by chunk.

    Bytes invalid in ``encoding`` become U+FFFD, which validation reports per line. Stops early
    (``has_sentinel``) if the file contains ``LINE_SENTINEL``. A source that is already what
    would be written is not copied: ``target`` becomes a symbolic link to it, where the file
    system allows one.
    """
    target.unlink(missing_ok=True)  # never write through a link left by an earlier call
    if not source.name.lower().endswith(".gz") and _already_normal(source, encoding):
        try:
            os.symlink(os.path.abspath(source), target)
            return Transcoded(False, 0)
        except OSError:  # e.g. Windows without the right to create links: copy as below
            pass
    tail = ""
    _counter.invalid = 0
    with (
        io.TextIOWrapper(
            open_bytes(source), encoding=CODECS[encoding], errors="kam-count-replace", newline=None
        ) as reader,
        target.open("w", encoding="utf-8", newline="\n") as writer,
    ):
        while chunk := reader.read(CHUNK_CHARS):
            if LINE_SENTINEL in tail + chunk[: len(LINE_SENTINEL)] or LINE_SENTINEL in chunk:
                return Transcoded(True, _counter.invalid)
            tail = chunk[-(len(LINE_SENTINEL) - 1) :]
            writer.write(chunk)
    return Transcoded(False, _counter.invalid)


def _already_normal(source: Path, encoding: str) -> bool:
    """True if :func:`normalise_to_utf8` would write ``source``'s bytes unchanged.

    That is: no byte order mark, no carriage return (which the copy turns into line ends), no
    ``LINE_SENTINEL``, and valid UTF-8, or plain ASCII for another encoding. Checking costs a
    read of the file in C; copying it decodes and encodes every character in Python codecs,
    about three times as long, and writes the copy.
    """
    utf8 = CODECS[encoding] == "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    sentinel = LINE_SENTINEL.encode("ascii")
    tail, first = b"", True
    with source.open("rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            if first and block.startswith(codecs.BOM_UTF8):
                return False
            if b"\r" in block or sentinel in tail + block[: len(sentinel)] or sentinel in block:
                return False
            ascii_block = block.isascii()
            if not (utf8 or ascii_block):
                return False
            # An ASCII block needs no decoding unless a character began in the previous block.
            if not ascii_block or decoder.getstate()[0]:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    return False
            tail, first = block[-(len(sentinel) - 1) :], False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def decodes_as(path: Path, codec: str, *, needs_non_ascii: bool = False) -> bool:
    """True if every byte of ``path`` is valid in ``codec`` (and, if asked, some are not ASCII)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    non_ascii = False
    try:
        with open_bytes(path) as handle:
            while block := handle.read(CHUNK_BYTES):
                decoder.decode(block)
                non_ascii = non_ascii or not block.isascii()
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return non_ascii or not needs_non_ascii


def first_line_with(path: Path, char: str) -> int | None:
    """1-based number of the first line of UTF-8 file ``path`` containing ``char``."""
    lines_before = 0
    with path.open("r", encoding="utf-8", newline="") as handle:
        while chunk := handle.read(CHUNK_CHARS):
            at = chunk.find(char)
            if at >= 0:
                return lines_before + chunk.count("\n", 0, at) + 1
            lines_before += chunk.count("\n")
    return None


@dataclass(frozen=True)
class ReplacedLines:
    """Lines of a normalised file with and without U+FFFD (see :func:`replaced_lines`)."""

    replaced: list[int]  # 1-based numbers of the lines holding U+FFFD (at most ``limit``)
    replaced_count: int
    clean_non_ascii: int  # lines with other non-ASCII text and no U+FFFD


def replaced_lines(path: Path, limit: int = 5) -> ReplacedLines:
    """Which lines of UTF-8 file ``path`` hold U+FFFD, and how many hold non-ASCII text
    without it: tells a file in another encoding from a file with a few damaged lines."""
    replaced: list[int] = []
    count = clean = 0
    with path.open("r", encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if line.isascii():
                continue
            if "\ufffd" in line:
                count += 1
                if len(replaced) < limit:
                    replaced.append(number)
            else:
                clean += 1
    return ReplacedLines(replaced, count, clean)


def read_first_lines(path: Path, count: int) -> list[str]:
    """The first ``count`` lines of a normalised file (fewer if it is shorter), without their
    line ends."""
    lines = []
    with path.open("r", encoding="utf-8", newline="") as handle:
        for _ in range(count):
            line = handle.readline(HEADER_MAX_CHARS)
            if not line:
                break
            lines.append(line.rstrip("\n"))
    return lines


def split_header(first: str, delimiter: str, quote: str) -> list[str] | None:
    """Column names of a header line (None if the line is blank)."""
    if not first.strip():
        return None
    if delimiter == "whitespace":  # aligned text: runs of spaces or tabs separate the fields
        return first.split()
    row = next(csv.reader([first], delimiter=delimiter, quotechar=quote))
    return [name.strip() for name in row]
