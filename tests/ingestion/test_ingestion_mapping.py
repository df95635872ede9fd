"""Mapping files and contract documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion import (
    Mapping,
    MappingError,
    contracts_markdown,
    load_mapping,
    load_mappings,
)
from ingestion.contracts import SOURCES
from warehouse.settings import REPO_ROOT


def write(tmp_path: Path, text: str, name: str = "customers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_mappings_are_the_identity_defaults():
    mappings = load_mappings(REPO_ROOT / "config" / "mappings")
    assert sorted(mappings) == sorted(SOURCES)
    for source, mapping in mappings.items():
        assert mapping.path is not None
        defaults = Mapping(source)
        assert (mapping.format, mapping.encoding, mapping.delimiter, mapping.pattern) == (
            defaults.format,
            defaults.encoding,
            defaults.delimiter,
            "*.csv",
        )
        assert all(k == v for k, v in mapping.columns.items())


def test_reads_tab_delimiter_and_column_renames(tmp_path):
    mapping = load_mapping(
        write(tmp_path, "delimiter: '\\t'\nencoding: GBK\ncolumns:\n  customer_id: 客户编号\n")
    )
    assert (
        mapping.delimiter,
        mapping.encoding,
        mapping.export_name("customer_id"),
        mapping.export_name("status"),
    ) == ("\t", "gbk", "客户编号", "status")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "format: csv\nencodng: utf-8\n",
            "customers.yaml line 2: key 'encodng': unknown setting; did you mean 'encoding'? "
            "use one of",
        ),
        (
            "columns:\n  customer_id: 客户编号\n  cust_name: 客户名称\n",
            "customers.yaml line 3: key 'columns.cust_name': 'cust_name' is not a column of "
            "customers; "
            "the left side must be one of customer_id, customer_name",
        ),
        (
            "encoding: latin-1\n",
            "customers.yaml line 1: key 'encoding': unknown encoding 'latin-1'; use one of utf-8, "
            "utf-8-sig, gb18030, gbk",
        ),
        (
            "delimiter: ';;'\n",
            "customers.yaml line 1: key 'delimiter': ';;' is not a single character; "
            "give one character",
        ),
        (
            "format: xls\n",
            "customers.yaml line 1: key 'format': unknown format 'xls'; use csv, parquet or excel",
        ),
        (
            "sheet: Sheet1\n",
            "customers.yaml line 1: key 'sheet': a sheet is read only from Excel files",
        ),
        (
            "columns:\n  customer_id: [客户编号\n",
            "customers.yaml line 3, column 1: YAML syntax error",
        ),
    ],
)
def test_mapping_errors_name_file_key_and_fix(tmp_path, text, expected):
    with pytest.raises(MappingError) as error:
        load_mapping(write(tmp_path, text))
    assert expected in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_mapping_file_for_unknown_source_is_reported(tmp_path):
    write(tmp_path, "format: csv\n", name="custmers.yaml")
    with pytest.raises(MappingError, match="'custmers' is not a source"):
        load_mappings(tmp_path)


def test_contracts_doc_is_generated_from_contracts_yaml():
    doc = (REPO_ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    assert doc == contracts_markdown()
    assert (
        "| `qualitative_rating` | integer | no | Account manager's rating from 1 (poor) to 5 "
        "(excellent) | 定性评级 | ≥ 1; ≤ 5 |  |"
    ) in doc
