"""Fixtures for the browser tests: uvicorn on a free loopback port, Debian's Chromium driven by
Playwright (no browser download), and a `tab` that records console errors, page errors and any
request leaving 127.0.0.1 (the page must work offline).

Skipped cleanly when /usr/bin/chromium is missing (`apt-get install -y chromium`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.live_server import serving

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def server_url():
    with serving() as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page plus what went wrong on it; `allowed` holds console texts a test expects (e.g. a 422)."""

    page: object
    base: str
    problems: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def open(self, hash_: str = "") -> None:
        self.page.goto(self.base + "/" + hash_)
        settle(self.page)

    def open_3d(self) -> bool:
        """Open the 3D view; False (after checking the page says why) when this browser offers no WebGL."""
        self.allowed.append("GPU stall")  # software GL chatter in headless Chromium
        self.open("#plot=3d")
        if self.page.evaluate("() => !!document.getElementById('surface3d').data"):
            return True
        assert "WebGL" in self.page.get_by_test_id("surface3d").inner_text()
        return False

    def version(self) -> int:
        return self.page.evaluate("() => window.__losslab.version")

    def settle(self, since: int = -1) -> int:
        return settle(self.page, since)

    def assert_clean(self) -> None:
        real = [p for p in self.problems if not any(a in p for a in self.allowed)]
        assert real == [], "\n".join(real)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def settle(page, since: int = -1) -> int:
    """Wait until the page is ready, nothing is in flight and a render newer than `since` happened."""
    page.wait_for_function(
        "(v) => window.__losslab && window.__losslab.isReady && !window.__losslab.busy && window.__losslab.version > v",
        arg=since, timeout=15000)
    return page.evaluate("() => window.__losslab.version")


def _on_host(url: str) -> bool:
    return url.startswith(("data:", "blob:", "about:")) or urlparse(url).hostname == "127.0.0.1"


@pytest.fixture(scope="session")
def context(browser):
    """One browser context for the session: pages share its HTTP cache (Plotly is 4.8 MB, cached immutable).
    No request routing (it would disable the cache): off-host requests are recorded by a listener instead."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


def _make_tab(context, server_url, viewport=None):
    page = context.new_page()
    if viewport:
        page.set_viewport_size(viewport)
    tab = Tab(page, server_url)
    page.on("console", lambda m: m.type == "error" and tab.problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    page.on("request", lambda r: _on_host(r.url) or tab.problems.append(f"off-host request: {r.url}"))
    return tab


@pytest.fixture
def tab(context, server_url):
    t = _make_tab(context, server_url)
    yield t
    t.page.close()


@pytest.fixture
def narrow_tab(context, server_url):
    t = _make_tab(context, server_url, {"width": 420, "height": 900})
    yield t
    t.page.close()
