"""The page takes its limits from the server (issue 18): LOSSLAB_MAX_STEPS=100 bounds the step box
and what a link may ask for, with no literal in the page."""

from __future__ import annotations

from tests.e2e.conftest import _make_tab
from tests.live_server import serving


def test_page_reads_the_step_limit_from_the_server(context):
    with serving(env={"LOSSLAB_MAX_STEPS": "100"}) as base:
        tab = _make_tab(context, base)
        try:
            tab.open("#view=paths&surface=quadratic&steps=5000&opt=gd(lr=0.03)")
            page = tab.page
            assert page.locator("[data-testid=steps]").get_attribute("max") == "100"
            assert page.evaluate("() => window.__losslab.lastRun.steps") == 100  # the link's 5000 is clamped
            assert "steps=100" in page.evaluate("() => location.hash")
            tab.assert_clean()
        finally:
            tab.page.close()
