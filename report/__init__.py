"""The nightly key-account report: one self-contained HTML file per business date, built from
the published DuckDB copy (docs/report.md). A plain library: no Dagster here."""

from report.build import LATEST, ReportResult, build_report, report_name
from report.data import ReportDataError
from report.elements import Gate

__all__ = ["LATEST", "Gate", "ReportDataError", "ReportResult", "build_report", "report_name"]
