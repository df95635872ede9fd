"""normalise_to_utf8 links a file that needs no change instead of copying it, and only then."""

from __future__ import annotations

import pytest

from ingestion import textfile
from ingestion.textfile import CHUNK_BYTES, LINE_SENTINEL, normalise_to_utf8

# A character of 3 bytes placed across the first block boundary (valid UTF-8, split in two).
SPLIT = b"a" * (CHUNK_BYTES - 1) + "客".encode() + b"\n"
# 客's first byte, a whole ASCII block, then its last two bytes: invalid, though each block
# alone, or the bytes without the ASCII block, would decode.
TORN = b"a" * (CHUNK_BYTES - 1) + b"\xe5" + b"b" * CHUNK_BYTES + b"\xae\xa2\n"
# The sentinel across the first block boundary.
SENTINEL_SPLIT = b"a" * (CHUNK_BYTES - 2) + LINE_SENTINEL.encode() + b"\n"

CASES = {
    # name: (bytes, declared encoding, linked?)
    "ascii": (b"id,name\n1,a\n2,b", "utf-8", True),
    "utf-8": ("id,name\n1,客户\n".encode(), "utf-8", True),
    "utf-8, character across blocks": (SPLIT, "utf-8", True),
    "ascii declared gb18030": (b"id,name\n1,a\n", "gb18030", True),
    "empty": (b"", "utf-8", True),
    "NUL byte": (b"id,name\n1,a\x00\n", "utf-8", True),
    "byte order mark": (b"\xef\xbb\xbfid,name\n1,a\n", "utf-8", False),
    "CRLF": (b"id,name\r\n1,a\r\n", "utf-8", False),
    "lone CR": (b"id,name\r1,a\n", "utf-8", False),
    "invalid UTF-8": (b"id,name\n1,\xff\n", "utf-8", False),
    "character torn by an ASCII block": (TORN, "utf-8", False),
    "truncated character at the end": (b"id,name\n1," + "客".encode()[:2], "utf-8", False),
    "GB18030 text": ("id,name\n1,客户\n".encode("gb18030"), "gb18030", False),
    "UTF-8 text declared gb18030": ("id,name\n1,客户\n".encode(), "gb18030", False),
    "sentinel across blocks": (SENTINEL_SPLIT, "utf-8", False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_links_exactly_the_files_the_copy_would_leave_unchanged(tmp_path, monkeypatch, case):
    data, encoding, linked = CASES[case]
    source = tmp_path / "source.csv"
    source.write_bytes(data)
    result = normalise_to_utf8(source, tmp_path / "fast.csv", encoding)
    assert (tmp_path / "fast.csv").is_symlink() == linked
    # The second method: the copy alone, as before the shortcut.
    monkeypatch.setattr(textfile, "_already_normal", lambda *_: False)
    copied = normalise_to_utf8(source, tmp_path / "copy.csv", encoding)
    assert result == copied
    if not result.has_sentinel:
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "copy.csv").read_bytes()
    if linked:
        assert (tmp_path / "copy.csv").read_bytes() == data


def test_a_link_left_in_the_target_is_replaced_not_written_through(tmp_path):
    source = tmp_path / "source.csv"
    source.write_bytes(b"id\r\n1\r\n")  # needs a copy
    other = tmp_path / "other.csv"
    other.write_bytes(b"id\n2\n")
    target = tmp_path / "utf8.csv"
    target.symlink_to(other)
    normalise_to_utf8(source, target, "utf-8")
    assert other.read_bytes() == b"id\n2\n"
    assert not target.is_symlink()
    assert target.read_bytes() == b"id\n1\n"
