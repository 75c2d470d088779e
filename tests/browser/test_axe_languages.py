"""axe-core on both layers of the built-in site's banner in each of the 24 official
EU languages (issue #11): its real texts, not a test site's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from consent_server.default_site import EU_LANGUAGES

from .axe_check import AXE, banner_violations
from .conftest import LiveServer

# No <html lang>: the browser's language picks the banner's.
PAGE = "/test-pages/services.html"


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_axe_finds_nothing_on_either_layer_in_every_language(
    browser: Browser, live_server: LiveServer, lang: str
) -> None:
    context = browser.new_context(locale=lang)
    try:
        page = context.new_page()
        page.add_init_script(path=str(AXE))
        page.goto(live_server.url + PAGE)
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
