"""Open a report in headless Chromium (Debian's ``chromium``) with Playwright: screenshots for
the docs, and what the tests check (console errors, requests, rendered charts)."""

from __future__ import annotations

import shutil
from pathlib import Path

INSTALL_HINT = "apt-get install chromium (as root: apt-get update && apt-get install -y chromium)"
# Desktop and phone viewports of the documented screenshots: (name, width, height).
VIEWPORTS = (("desktop", 1366, 900), ("phone", 390, 844))


class BrowserMissingError(RuntimeError):
    """Chromium or Playwright is not installed."""


def chromium_executable() -> Path:
    """The system Chromium (Playwright's own browser download is not used)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise BrowserMissingError(f"no chromium on PATH; install it: {INSTALL_HINT}")


def launch(playwright):
    """A headless Chromium browser from the system's executable."""
    return playwright.chromium.launch(
        executable_path=str(chromium_executable()), headless=True, args=["--no-sandbox"]
    )


def _sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BrowserMissingError(
            "Playwright for Python is not installed; install the dev extras: "
            ".venv/bin/python -m pip install -e '.[dev]'"
        ) from None
    return sync_playwright


def take_screenshots(report: Path, out_dir: Path, *, prefix: str = "report") -> list[Path]:
    """PNG screenshots of ``report`` at desktop and phone widths: the top of the page (first
    screen and the section below it) into ``out_dir/<prefix>-<viewport>.png``."""
    sync_playwright = _sync_playwright()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for name, width, height in VIEWPORTS:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(report.resolve().as_uri())
                page.wait_for_selector(".js-plotly-plot .main-svg")
                path = out_dir / f"{prefix}-{name}.png"
                page.screenshot(
                    path=str(path),
                    clip={
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": height * 2,
                    },
                    full_page=True,
                )
                written.append(path)
                page.close()
        finally:
            browser.close()
    return written
