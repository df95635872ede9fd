"""The report's figures on a small hand-made published copy whose right answers are worked out
by hand (docs/report.md): pyramid, Pareto, call list, missing columns, dates, latest.html."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import polars as pl
import pytest

from report import LATEST, ReportDataError, build_report
from report.data import load_report_data
from report.page import build_page, call_list

D1, D2 = date(2025, 12, 30), date(2025, 12, 31)

# Five customers on D2, trailing revenue 600 / 250 / 100 / 50 / 0 (total 1,000).
SCORES = {
    "customer_id": ["C1", "C2", "C3", "C4", "C5"],
    "pyramid_tier": ["vip", "major", "regular", "small", "small"],
    "pyramid_rank": [1, 2, 3, 4, 5],
    "abc_class": ["A", "A", "B", "C", "C"],
    "cumulative_revenue_share": [0.6, 0.85, 0.95, 1.0, None],
    "ladder_tier": ["A1", "A2", "B1", "D", "D"],
    "revenue_rank": [1, 2, 3, 4, None],
    "is_key_account": [True, True, False, False, False],
    "key_account_reasons": ["revenue_share;strategic", "score", None, None, None],
    "key_account_reasons_zh": [
        "交易额占比达标;战略客户",
        "综合评分不低于候选平均分",
        None,
        None,
        None,
    ],
    "key_account_status": ["key_account", "key_account", "candidate", "other", "other"],
    "service_gaps_zh": [None, "联系人员不足", None, None, None],
    "is_churn_risk": [False, True, True, False, True],
    "churn_probability": [0.1, 0.7, 0.9, 0.2, 0.6],
    "churn_risk_level": ["none", "medium", "high", "none", "medium"],
    "churn_reasons_zh": [None, "联络减少", "超出平时交易周期未下单", None, "模型判断已不活跃"],
    "value_at_risk": [900.0, 100.0, 50.0, 20.0, 0.0],
    "churn_call_priority": [5, 2, 1, 4, 3],
    "churn_score": [0.0, 1.0, 3.0, 0.0, 2.0],
}
FACTS = {
    "customer_id": ["C1", "C2", "C3", "C4", "C5"],
    "customer_name": ["甲", "乙", "丙", "丁", "戊"],
    "account_manager": ["王芳", "李强", "王芳", None, "李强"],
    "revenue_trailing": [600.0, 250.0, 100.0, 50.0, 0.0],
    "days_since_last_order": [3, 40, 200, 10, 400],
    "days_since_last_contact": [1, 35, 90, 5, None],
}
LABELS = [
    ("pyramid_tier", "vip", "VIP客户", 1),
    ("pyramid_tier", "major", "主要客户", 2),
    ("pyramid_tier", "regular", "普通客户", 3),
    ("pyramid_tier", "small", "小客户", 4),
    ("abc_class", "A", "A类客户", 1),
    ("abc_class", "B", "B类客户", 2),
    ("abc_class", "C", "C类客户", 3),
    ("ladder_tier", "A1", "A1类客户", 1),
    ("ladder_tier", "A2", "A2类客户", 2),
    ("ladder_tier", "B1", "B1类客户", 3),
    ("ladder_tier", "D", "D类客户", 4),
    ("credit_grade", "AAA", "AAA级", 1),
    ("credit_grade", "A", "A级", 2),
    ("key_account_reason", "revenue_share", "交易额占比达标", 1),
    ("key_account_reason", "strategic", "战略客户", 2),
    ("key_account_reason", "score", "综合评分不低于候选平均分", 3),
]


def make_published(path: Path, *, drop: tuple[str, ...] = ()) -> Path:
    """A published copy holding D1 (C1, C2 only) and D2 (all five), without ``drop``."""
    d2 = pl.DataFrame(SCORES).with_columns(as_of_date=pl.lit(D2), run_id=pl.lit("run-2"))
    d1 = d2.head(2).with_columns(as_of_date=pl.lit(D1), run_id=pl.lit("run-1"))
    history = pl.concat([d1, d2]).drop([c for c in drop if c in d2.columns])
    facts_d2 = pl.DataFrame(FACTS).with_columns(as_of_date=pl.lit(D2))
    facts = pl.concat([facts_d2.head(2).with_columns(as_of_date=pl.lit(D1)), facts_d2])
    credit = pl.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4", "C5"],
            "credit_grade": ["AAA", "A", "A", "A", "A"],
            "credit_quarter": ["2025Q3"] * 5,
            "credit_quarter_end_date": [date(2025, 9, 30)] * 5,
        }
    )
    migrations = pl.DataFrame(
        {
            "scheme": ["pyramid_tier"] * 3,
            "from_level": ["vip", "new", "major"],
            "to_level": ["vip", "small", "major"],
            "customers": [1, 3, 1],
            "as_of_date": [D2] * 3,
            "previous_as_of_date": [D1] * 3,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for name, frame in {
            "customer_score_history": history,
            "customer_scores": history.filter(pl.col("as_of_date") == D2),
            "fct_customer_facts": facts,
            "credit_grades": credit,
            "score_migrations": migrations,
            "score_labels": pl.DataFrame(
                LABELS, schema=["scheme", "label", "label_zh", "sort_order"], orient="row"
            ),
        }.items():
            con.register("frame", frame.to_arrow())
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
        con.execute(
            """create table ingestion_ledger as select * from (values
                ('transactions', date '2025-12-31', 90, 88, 2, 'loaded'),
                ('payments', date '2025-12-31', 10, 10, 0, 'replaced'),
                ('payments', date '2025-12-31', 0, 0, 0, 'rejected'),
                ('payments', date '2025-12-30', 70, 70, 0, 'loaded'))
               as t(source, business_date, rows_read, rows_loaded, rows_quarantined, status)"""
        )
        con.execute(
            "create table publication as select * from (values ('run_id', 'run-2'), "
            "('business_date', '2025-12-31')) as t(key, value)"
        )
    return path


@pytest.fixture
def published(tmp_path: Path) -> Path:
    return make_published(tmp_path / "published" / "kam.duckdb")


def _section(page, section_id: str):
    return next(s for s in page.sections if s.id == section_id)


def _table(section, table_id: str):
    return next(t for t in section.tables if t.id == table_id)


def test_pyramid_counts_and_revenue_shares_per_level(published: Path) -> None:
    page = build_page(load_report_data(published))
    rows = _table(_section(page, "pyramid"), "table-pyramid").rows
    assert [(r["code"], r["customers"]) for r in rows] == [
        ("vip", 1),
        ("major", 1),
        ("regular", 1),
        ("small", 2),
    ]
    assert [r["revenue_share"] for r in rows] == pytest.approx([0.6, 0.25, 0.1, 0.05])


def test_abc_table_gives_each_class_its_customers_and_revenue(published: Path) -> None:
    page = build_page(load_report_data(published))
    rows = _table(_section(page, "pyramid"), "table-abc").rows
    assert [r["customers"] for r in rows] == [2, 1, 2]
    assert [r["customer_share"] for r in rows] == pytest.approx([0.4, 0.2, 0.4])
    assert [r["revenue_share"] for r in rows] == pytest.approx([0.85, 0.10, 0.05])


def test_pareto_marks_the_last_a_and_last_b_customer(published: Path) -> None:
    page = build_page(load_report_data(published))
    figure = next(c for c in _section(page, "pyramid").charts if c.id == "chart-pareto").figure
    lines = [s["x0"] for s in figure.layout.shapes if s["x0"] == s["x1"]]
    assert lines == pytest.approx([0.4, 0.6])
    # The curve ends at 100 % of revenue over 100 % of customers (C5 has no revenue).
    last = figure.data[-1]
    assert (last.x[-1], last.y[-1]) == pytest.approx((1.0, 1.0))


def test_call_list_holds_flagged_customers_by_priority(published: Path) -> None:
    calls = call_list(load_report_data(published))
    assert calls["customer_id"].to_list() == ["C3", "C2", "C5"]


def test_headline_counts_and_ingestion_of_the_date(published: Path) -> None:
    page = build_page(load_report_data(published))
    values = {f.id: f.value for f in page.headline}
    assert values["headline-customers"] == 5
    assert values["headline-revenue"] == pytest.approx(1000.0)
    assert values["headline-key-accounts"] == 2
    assert values["headline-churn-flagged"] == 3
    assert values["headline-value-at-risk"] == pytest.approx(150.0)
    # 2025-12-31: transactions 88 + 2, payments 10 (a replaced file), one file rejected.
    assert values["headline-rows-loaded"] == 98
    assert values["headline-rows-quarantined"] == 2


def test_manager_index_counts_and_unassigned_customers(published: Path) -> None:
    page = build_page(load_report_data(published))
    managers = _section(page, "managers")
    index = {r["account_manager"]: r for r in _table(managers, "table-managers").rows}
    assert {k: (v["customers"], v["calls"]) for k, v in index.items()} == {
        "王芳": (2, 1),
        "李强": (2, 2),
        "(未分配 unassigned)": (1, 0),
    }
    assert [s.id for s in managers.subsections] == ["manager-1", "manager-2", "manager-3"]


def test_trends_hold_every_date_up_to_the_business_date(published: Path) -> None:
    page = build_page(load_report_data(published))
    rows = _table(_section(page, "trends"), "table-trends").rows
    assert [(r["as_of_date"], r["customers"], r["key_accounts"]) for r in rows] == [
        (D1, 2, 2),
        (D2, 5, 2),
    ]
    assert [r["churn_flagged_value"] for r in rows] == pytest.approx([100.0, 150.0])


def test_missing_churn_columns_are_named_and_the_report_still_builds(tmp_path: Path) -> None:
    published = make_published(
        tmp_path / "kam.duckdb",
        drop=("churn_probability", "value_at_risk", "churn_call_priority"),
    )
    data = load_report_data(published)
    # Without a priority the flagged customers are ordered by the warning-sign score.
    assert call_list(data)["customer_id"].to_list() == ["C3", "C5", "C2"]
    result = build_report(published, tmp_path / "report")
    html = result.path.read_text(encoding="utf-8")
    assert (
        "the published customer scores have no column churn_call_priority, churn_probability, "
        "value_at_risk: the list shows the churn columns that exist"
    ) in html
    assert 'id="table-call-list"' in html


def test_unknown_date_names_the_dates_held(published: Path, tmp_path: Path) -> None:
    with pytest.raises(
        ReportDataError, match=r"2025-11-30 was not scored .* 2025-12-30 … 2025-12-31"
    ):
        build_report(published, tmp_path / "report", date(2025, 11, 30))


def test_no_published_copy_says_to_run_first(tmp_path: Path) -> None:
    with pytest.raises(ReportDataError, match="no published warehouse .* run `kam run"):
        build_report(tmp_path / "nothing.duckdb", tmp_path / "report")


def test_an_older_date_does_not_replace_latest(published: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    newest = build_report(published, out)
    older = build_report(published, out, D1)
    assert newest.path.name == "kam-report-2025-12-31.html"
    assert older.path.name == "kam-report-2025-12-30.html"
    assert older.latest_path is None
    assert (out / LATEST).read_bytes() == newest.path.read_bytes()


class _Fetches(HTMLParser):
    """Every URL the browser would load from the page: src, href of links and stylesheets,
    CSS url(...) in style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (
                name in ("src", "srcset", "data", "poster")
                or (name == "href" and tag in ("link", "base", "image", "use"))
            ):
                self.urls.append(value)
            if value and name == "style":
                self.urls += re.findall(r"url\(([^)]*)\)", value)


def test_page_loads_nothing_from_outside_the_file(published: Path, tmp_path: Path) -> None:
    html = build_report(published, tmp_path / "report").path.read_text(encoding="utf-8")
    fetches = _Fetches()
    fetches.feed(html)
    assert fetches.urls == []
    # Inline scripts and styles only; plotly.js is inside the page.
    assert re.search(r"<script[^>]+src=", html) is None
    assert re.search(r"<link[^>]+stylesheet", html) is None
    assert "Plotly.newPlot" in html and len(html) > 3_000_000


def test_month_over_month_compares_with_the_newest_date_a_month_before(tmp_path: Path) -> None:
    published = make_published(tmp_path / "kam.duckdb")
    with duckdb.connect(str(published)) as con:
        # 2025-11-30: C1 vip, C2 regular, C3 major, C9 small (C9 is gone by 2025-12-31; C4
        # and C5 are new). 2025-12-30 is less than a month before and must not be used.
        con.execute(
            """insert into customer_score_history
               select * replace (date '2025-11-30' as as_of_date) from customer_score_history
               where as_of_date = '2025-12-31' and customer_id in ('C1', 'C2', 'C3', 'C4')"""
        )
        con.execute(
            """update customer_score_history set
                   customer_id = case customer_id when 'C4' then 'C9' else customer_id end,
                   pyramid_tier = case customer_id when 'C2' then 'regular'
                       when 'C3' then 'major' else pyramid_tier end
               where as_of_date = '2025-11-30'"""
        )
    data = load_report_data(published)
    moves = data.monthly_migrations.filter(pl.col("scheme") == "pyramid_tier")
    assert set(moves["previous_as_of_date"].to_list()) == {date(2025, 11, 30)}
    assert sorted(moves.select("from_level", "to_level", "customers").iter_rows()) == [
        ("major", "regular", 1),
        ("new", "small", 2),
        ("regular", "major", 1),
        ("small", "gone", 1),
        ("vip", "vip", 1),
    ]
    page = build_page(data)
    ids = [c.id for c in _section(page, "migrations").charts]
    assert "chart-migration-month-pyramid-tier" in ids


def test_a_copy_with_only_customer_ids_still_gives_a_report_saying_what_is_missing(
    tmp_path: Path,
) -> None:
    scored = [c for c in SCORES if c != "customer_id"]
    published = make_published(tmp_path / "kam.duckdb", drop=tuple(scored))
    result = build_report(published, tmp_path / "report")
    html = result.path.read_text(encoding="utf-8")
    assert result.customers == 5
    for column in ("pyramid_tier", "ladder_tier", "is_key_account", "abc_class"):
        assert f"have no column {column}" in html, column
    assert "no churn columns: no call list can be made" in html
