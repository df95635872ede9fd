"""The nightly report on the demo company, opened in headless Chromium (docs/report.md): it
loads with no console errors and no request leaving the file, every chart draws, and the
figures it shows equal the published tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from demo_homes import LAST_TWO_DATES, shared_demo_home

from report.browser import INSTALL_HINT, launch

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}

if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
    pytest.skip(f"headless Chromium is not installed: {INSTALL_HINT}", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python: .venv/bin/python -m pip install -e '.[dev]'",
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo home after two nightly runs (the second date's report has a previous date)."""
    return shared_demo_home(tmp_path_factory, LAST_TWO_DATES)


@pytest.fixture(scope="module")
def report_path(home: Path) -> Path:
    return home / "published" / "report" / "latest.html"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def opened(browser, report_path: Path):
    """The report loaded at desktop width, with what happened while loading."""
    console, errors, requests = [], [], []
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.on("console", lambda m: console.append((m.type, m.text)))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report_path.as_uri(), wait_until="load")
    page.wait_for_function(
        "[...document.querySelectorAll('.chart')].every(el => el.querySelector('.main-svg'))"
    )
    yield page, console, errors, requests
    page.close()


def _published(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "published" / "kam.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_nightly_job_writes_a_report_per_date_and_latest(home: Path, report_path: Path) -> None:
    folder = home / "published" / "report"
    assert sorted(p.name for p in folder.iterdir()) == [
        "kam-report-2025-12-30.html",
        "kam-report-2025-12-31.html",
        "latest.html",
    ]
    assert report_path.read_bytes() == (folder / "kam-report-2025-12-31.html").read_bytes()


def test_loads_without_console_errors_or_requests_leaving_the_file(opened, report_path) -> None:
    _, console, errors, requests = opened
    assert [text for kind, text in console if kind in ("error", "warning")] == []
    assert errors == []
    outside = [u for u in requests if u != report_path.as_uri() and not u.startswith("data:")]
    assert outside == []


def test_every_chart_renders(opened) -> None:
    page, *_ = opened
    charts = page.eval_on_selector_all(
        ".chart",
        """els => els.map(el => {
            const svg = el.querySelector('.js-plotly-plot svg.main-svg');
            const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            return {
                id: el.dataset.chart,
                width: box.width,
                height: box.height,
                // Drawn marks: bars, funnel steps and lines are paths; a heat map is an image.
                marks: el.querySelectorAll('.mlayer .trace path, .mlayer .hm image').length,
            };
        })""",
    )
    ids = {c["id"] for c in charts}
    assert {
        "chart-pyramid",
        "chart-pareto",
        "chart-ladder",
        "chart-key-account-reasons",
        "chart-credit-grades",
        "chart-credit-migration",
        "chart-migration-pyramid-tier",
        "chart-migration-abc-class",
        "chart-migration-churn-risk-level",
        "chart-churn",
        "chart-trend-revenue",
        "chart-trend-key-accounts",
        "chart-trend-churn",
    } <= ids
    empty = [c for c in charts if c["width"] < 100 or c["height"] < 100 or c["marks"] == 0]
    assert empty == []


def _text(page, selector: str) -> str:
    return page.inner_text(selector).strip()


def test_headline_equals_the_published_tables(opened, home: Path) -> None:
    page, *_ = opened
    [(customers, key_accounts, flagged)] = _published(
        home,
        "select count(*), count(*) filter (where is_key_account), "
        "count(*) filter (where is_churn_risk) from customer_scores",
    )
    assert customers == 300
    assert page.get_attribute("#headline-customers", "data-value") == "300"
    assert _text(page, "#headline-customers .value") == "300"
    assert _text(page, "#headline-key-accounts .value") == f"{key_accounts:,}"
    assert _text(page, "#headline-churn-flagged .value") == f"{flagged:,}"
    [(revenue,)] = _published(
        home,
        "select sum(revenue_trailing) from fct_customer_facts where as_of_date = '2025-12-31'",
    )
    assert _text(page, "#headline-revenue .value") == f"{float(revenue):,.0f}"
    assert _text(page, "#headline-date .value") == "2025-12-31"


def test_pyramid_counts_equal_the_published_tables(opened, home: Path) -> None:
    page, *_ = opened
    published = dict(
        _published(home, "select pyramid_tier, count(*) from customer_scores group by all")
    )
    shown = page.eval_on_selector_all(
        "#table-pyramid tbody tr",
        "rows => rows.map(r => [r.querySelector('[data-col=code]').dataset.value,"
        " r.querySelector('[data-col=customers]').textContent.trim()])",
    )
    assert [code for code, _ in shown] == ["vip", "major", "regular", "small"]
    assert {code: int(n.replace(",", "")) for code, n in shown} == {
        code: published.get(code, 0) for code, _ in shown
    }


def test_first_call_list_rows_equal_the_published_call_list(opened, home: Path) -> None:
    page, *_ = opened
    # A second way to the same list: the master's account manager, not the facts'.
    expected = _published(
        home,
        """select s.customer_id, d.account_manager, s.churn_call_priority
           from customer_scores as s join dim_customers as d using (customer_id)
           where s.is_churn_risk order by s.churn_call_priority limit 5""",
    )
    assert len(expected) == 5, "the demo flags customers; without them this test proves nothing"
    shown = page.eval_on_selector_all(
        "#table-call-list tbody tr",
        "rows => rows.slice(0, 5).map(r => ['customer_id', 'account_manager',"
        " 'churn_call_priority'].map(k => r.querySelector(`[data-col=${k}]`).dataset.value))",
    )
    assert shown == [[c, m, str(p)] for c, m, p in expected]


def test_every_account_manager_is_reachable_from_the_index(opened, home: Path) -> None:
    page, *_ = opened
    managers = dict(
        _published(home, "select account_manager, count(*) from dim_customers group by all")
    )
    links = page.eval_on_selector_all(
        "#table-managers tbody tr",
        "rows => rows.map(r => [r.querySelector('a').getAttribute('href'),"
        " r.querySelector('a').textContent,"
        " r.querySelector('[data-col=customers]').dataset.value])",
    )
    assert {name: int(n) for _, name, n in links} == managers
    for href, name, _ in links:
        assert page.inner_text(f"{href} h3").startswith(name)


def test_fits_a_phone_screen_and_prints(browser, report_path: Path) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(report_path.as_uri(), wait_until="load")
    page.wait_for_selector(".chart .main-svg")
    # Wide tables scroll inside their own box; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.emulate_media(media="print")
    assert page.eval_on_selector("nav", "el => getComputedStyle(el).display") == "none"
    assert page.pdf(format="A4")[:4] == b"%PDF"
    page.close()
