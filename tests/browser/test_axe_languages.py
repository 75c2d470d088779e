"""axe-core on both layers of the built-in site's banner in each of the 24 official
EU languages (issue #11): its real texts, not a test site's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from consent_server.default_site import EU_LANGUAGES

from .axe_check import check_both_layers
from .conftest import LiveServer

# No <html lang>: the browser's language picks the banner's.
PAGE = "/test-pages/services.html"


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_axe_finds_nothing_on_either_layer_in_every_language(
    browser: Browser, live_server: LiveServer, lang: str
) -> None:
    check_both_layers(browser, live_server.url + PAGE, lang, lang)
