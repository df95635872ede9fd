"""One sheet of an Excel workbook as a relation like a Parquet file's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ingestion.mapping import Mapping
from ingestion.results import FileRejected, first_line
from ingestion.sql import ident

if TYPE_CHECKING:
    import polars as pl

EXCEL_VIEW = "_kam_excel_sheet"
ROW_COLUMN = "_kam_row"  # the sheet row of each data row


class ExcelUnavailable(RuntimeError):
    """Polars cannot read Excel: the fastexcel package is missing (the message says how to
    install it)."""


def read_sheet(path: Path, sheet: str | None, **options: Any) -> pl.DataFrame:
    """One sheet of an .xlsx workbook (``sheet``, else the first) read by calamine through
    Polars; ``options`` go to ``pl.read_excel``.

    Raises :class:`ExcelUnavailable` when fastexcel is missing; calamine's own errors, which
    share no base class, pass through for the caller to word."""
    import polars as pl  # imported here: only Excel sources need it

    try:
        return pl.read_excel(
            path, sheet_name=sheet, engine="calamine", raise_if_empty=False, **options
        )
    except ModuleNotFoundError as exc:
        raise ExcelUnavailable(
            f"reading Excel needs the fastexcel package ({exc}); install it into kam's "
            "environment (.venv/bin/python -m pip install fastexcel)"
        ) from exc


def excel_relation(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, mapping: Mapping
) -> tuple[str, list[str], dict[str, str]]:
    """One sheet of an .xlsx workbook (``sheet`` of the mapping, else the first), read by
    calamine through Polars with the cells' own types, as a relation like a Parquet file's.

    The header is row ``header_row`` of the mapping (1 unless a title stands above it); a data
    line's number is its sheet row, and empty rows are skipped."""
    try:
        frame = read_sheet(
            path,
            mapping.sheet,
            drop_empty_rows=False,
            drop_empty_cols=False,
            infer_schema_length=None,
            read_options={"header_row": mapping.header_row - 1},
        )
    except ExcelUnavailable as exc:
        raise FileRejected(f"{name}: {exc}") from exc
    except Exception as exc:  # calamine's and fastexcel's errors share no base class
        detail = first_line(exc)
        if mapping.sheet and "sheet" in detail.lower():
            raise FileRejected(
                f"{name}: has no sheet {mapping.sheet!r} ({detail}); set sheet: in "
                f"{mapping.describe()} to the name of the sheet holding the data"
            ) from exc
        raise FileRejected(
            f"{name}: cannot be read as an Excel workbook ({detail}); save it again as .xlsx, "
            "or export the data as CSV and set format: csv"
        ) from exc
    header = [str(c) for c in frame.columns]
    frame = frame.with_row_index(ROW_COLUMN, offset=mapping.header_row + 1)
    con.register(EXCEL_VIEW, frame.to_arrow())
    described = con.execute(f"describe select * from {EXCEL_VIEW}").fetchall()[1:]
    native = {h: row[1] for h, row in zip(header, described, strict=True)}
    names = [row[0] for row in described]
    pack = ", ".join(f"{ident(h)} := {ident(c)}" for h, c in zip(header, names, strict=True))
    columns = ", ".join(f"{ident(c)} as _p{i}" for i, c in enumerate(names))
    present = " or ".join(f"{ident(c)} is not null" for c in names) or "false"
    relation = f"""(select {ROW_COLUMN} as _line, to_json(struct_pack({pack})) as _raw,
        cast(null as varchar) as _struct_error, false as _plain, {columns}
        from {EXCEL_VIEW} where {present})"""
    return relation, header, native
