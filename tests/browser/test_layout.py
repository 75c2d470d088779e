"""The banner on small and zoomed screens, and with reduced motion."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import BANNER_BUTTONS, LiveServer

PLAIN = "/test-pages/plain.html"


def _inside(box: dict[str, float] | None, width: int) -> bool:
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= width


# 360 px: a small phone. 640 x 400: a 1280 x 800 window at 200 % zoom, which lays
# out exactly like a CSS viewport half as wide and high (WCAG 1.4.4 / 1.4.10).
@pytest.mark.parametrize(
    ("width", "height"),
    [pytest.param(360, 640, id="360px"), pytest.param(640, 400, id="200pct-zoom")],
)
def test_both_layers_fit_small_and_zoomed_screens(
    browser: Browser, live_server: LiveServer, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(live_server.url + PLAIN)
        banner = page.get_by_role("region", name="Cookies on this site")
        expect(banner).to_be_visible()
        assert _inside(banner.bounding_box(), width)
        for name in BANNER_BUTTONS:
            button = banner.get_by_role("button", name=name)
            expect(button).to_be_in_viewport()
            assert _inside(button.bounding_box(), width)
        # Nothing of the banner makes the page scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        banner.get_by_role("button", name="Preferences").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        assert _inside(dialog.bounding_box(), width)
        # The last control can be scrolled to and used inside the dialog.
        save = dialog.get_by_role("button", name="Save choices")
        save.scroll_into_view_if_needed()
        expect(save).to_be_in_viewport()
        save.click()
        expect(dialog).to_have_count(0)
    finally:
        context.close()


def _motion(page: Page, name: str) -> Any:
    return page.get_by_role("button", name=name).first.evaluate(
        "(b) => { const s = getComputedStyle(b);"
        " return [s.transitionDuration, s.animationName]; }"
    )


def test_reduced_motion_means_no_transition_or_animation(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(live_server.url + PLAIN)
        expect(page.get_by_role("button", name="Accept all")).to_be_visible()
        assert page.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
        for name in BANNER_BUTTONS:
            assert _motion(page, name) == ["0s", "none"]
        page.get_by_role("button", name="Preferences").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        assert _motion(page, "Save choices") == ["0s", "none"]
    finally:
        context.close()


def test_page_stays_usable_and_unshifted_behind_the_first_layer(
    page: Page, live_server: LiveServer
) -> None:
    page.add_init_script(
        "window.__shifts = [];"
        "new PerformanceObserver((l) => window.__shifts.push(...l.getEntries()))"
        ".observe({type: 'layout-shift', buffered: true});"
    )
    page.goto(live_server.url + PLAIN)
    expect(page.get_by_role("region", name="Cookies on this site")).to_be_visible()
    # The banner is laid over the page: showing it shifted nothing.
    page.evaluate("new Promise((r) => requestAnimationFrame(() => setTimeout(r)))")
    assert page.evaluate("window.__shifts.reduce((a, e) => a + e.value, 0)") == 0
    # The first layer is not modal: the page's own controls still take clicks.
    page.get_by_role("button", name="Cookie settings").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
