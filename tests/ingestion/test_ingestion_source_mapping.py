"""A mistake in one source's mapping is reported once, under that source (issue 23)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.contracts import SOURCES
from ingestion.mapping import Mapping, MappingError, load_source_mapping


def test_a_broken_mapping_fails_only_its_own_source(tmp_path: Path) -> None:
    (tmp_path / "transactions.yaml").write_text("delimeter: ';'\n", encoding="utf-8")
    failing = []
    for source in SOURCES:
        try:
            load_source_mapping(tmp_path, source)
        except MappingError as exc:
            failing.append((source, str(exc).split(": key")[0]))
    assert failing == [("transactions", f"{tmp_path / 'transactions.yaml'} line 1")]


def test_a_file_named_after_no_source_is_reported_under_the_closest_source(tmp_path: Path) -> None:
    (tmp_path / "transaction.yaml").write_text("format: csv\n", encoding="utf-8")
    with pytest.raises(MappingError, match="'transaction' is not a source.*transactions.yaml"):
        load_source_mapping(tmp_path, "transactions")
    assert load_source_mapping(tmp_path, "payments") == Mapping("payments")
