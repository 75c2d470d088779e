"""axe-core (a devDependency of banner-js) run on the banner in a page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

AXE = Path(__file__).resolve().parents[2] / "banner-js/node_modules/axe-core/axe.min.js"


def banner_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations on the banner's host and its shadow root (the page must have
    loaded ``AXE`` with ``add_init_script``)."""
    results = page.evaluate("() => axe.run({include: [['[data-consent-ui]']]})")
    inside = [
        node["target"]
        for rule in results["passes"]
        for node in rule["nodes"]
        if isinstance(node["target"][0], list) and len(node["target"][0]) == 2
    ]
    assert inside, "axe checked nothing inside the shadow root"
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results["violations"]
    ]


def check_both_layers(browser: Browser, url: str, locale: str, lang: str) -> None:
    """Open ``url`` in a browser speaking ``locale``: the banner shows ``lang``, and
    axe finds nothing on its first layer, nor on the preferences with every
    cookie table open."""
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.add_init_script(path=str(AXE))
        page.goto(url)
        host = page.locator("[data-consent-ui]")
        expect(host).to_have_attribute("lang", lang)
        buttons = host.locator(".k button")
        expect(buttons).to_have_count(3)
        assert banner_violations(page) == [], "first layer"
        buttons.nth(2).click()  # Preferences
        dialog = host.get_by_role("dialog")
        expect(dialog).to_be_visible()
        for summary in dialog.locator("summary").all():
            summary.click()
        assert banner_violations(page) == [], "preferences"
    finally:
        context.close()
