"""What the page holds: headline figures, sections with their charts and tables, worked out
from :class:`report.data.ReportData` (one module per section in :mod:`report.sections`).
Rendering to HTML is :mod:`report.render`'s job."""

from __future__ import annotations

from collections.abc import Sequence

from report.data import ReportData
from report.elements import Chart, Gate, Page
from report.sections.churn import call_list, churn_section
from report.sections.headline import headline
from report.sections.managers import manager_anchor, manager_section
from report.sections.migrations import credit_section, migration_section
from report.sections.tiers import key_account_section, ladder_section, pyramid_section
from report.sections.trends import trend_section

__all__ = ["Chart", "Gate", "Page", "build_page", "call_list", "manager_anchor"]


def build_page(data: ReportData, gates: Sequence[Gate] | None = None) -> Page:
    """The whole page for one business date."""
    sections = [
        pyramid_section(data),
        ladder_section(data),
        key_account_section(data),
        credit_section(data),
        migration_section(data),
        churn_section(data),
        trend_section(data),
        manager_section(data),
    ]
    return Page(
        business_date=data.business_date,
        publication=data.publication,
        headline=headline(data, gates),
        sections=sections,
        missing=data.missing,
    )
