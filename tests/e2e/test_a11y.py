"""axe-core (axe-playwright-python) on every view and a lesson, light and dark: 0 serious or critical
violations (issue 19). One page per theme; views are switched through the address bar's hash."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import settle

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python")

SCENES = ["#view=paths", "#view=basins", "#view=phase", "#view=tune", "#view=networks", "#lesson=stability-cliff"]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_or_critical_axe_violations(tab, theme):
    page = tab.page
    page.emulate_media(color_scheme=theme)
    tab.open()
    assert page.evaluate("() => document.documentElement.dataset.theme") == theme
    axe = axe_sync.Axe()
    found = {}
    for scene in SCENES:
        v = tab.version()
        page.evaluate("(h) => { location.hash = h; }", scene)
        page.wait_for_function("() => !window.__losslab.busy", timeout=60000)
        if scene.startswith("#lesson"):
            settle(page, v)
        page.wait_for_timeout(400)
        view = scene.split("=")[1] if scene.startswith("#view") else "paths"
        assert page.locator(f"#view-{view}").is_visible(), scene
        result = axe.run(page)
        bad = [f"{v['id']}: {n['target']}" for v in result.response["violations"]
               if v["impact"] in ("serious", "critical") for n in v["nodes"]]
        if bad:
            found[scene] = bad
    assert found == {}
    tab.assert_clean()
