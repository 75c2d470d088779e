"""The banner in Chromium: first layer, re-prompting, CSP, hostile CSS, GPC, i18n."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from consent_server.default_site import DEFAULT_SITE, default_site_texts

from .conftest import (
    BANNER_BUTTONS,
    SERVICES_OFF,
    LiveServer,
    decide_and_confirm,
    ran,
    write_site_file,
)

GATED = "/test-pages/gated.html"
PLAIN = "/test-pages/plain.html"


def test_first_layer_offers_accept_reject_and_preferences_with_equal_weight(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + PLAIN)
    banner = page.get_by_role("region", name="Cookies on this site")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("heading", name="Cookies on this site")).to_be_visible()
    boxes = []
    for name in BANNER_BUTTONS:
        button = banner.get_by_role("button", name=name)
        expect(button).to_be_visible()
        boxes.append(button.bounding_box())
    styles = [
        banner.get_by_role("button", name=name).evaluate(
            "(b) => { const s = getComputedStyle(b);"
            " return [s.backgroundColor, s.color, s.fontSize, s.fontWeight,"
            " s.borderTopWidth]; }"
        )
        for name in BANNER_BUTTONS
    ]
    # Accept and Reject look the same: same style, same height.
    assert styles[0] == styles[1]
    assert boxes[0] and boxes[1] and boxes[0]["height"] == boxes[1]["height"]


# --- a changed notice brings the banner back ------------------------------------------


def _new_category() -> dict[str, Any]:
    categories = copy.deepcopy(DEFAULT_SITE["categories"])
    categories.append(
        {
            "id": "marketing",
            "required": False,
            "texts": {"en": {"title": "Marketing cookies", "description": "Ads."}},
        }
    )
    return {"categories": categories}


@pytest.mark.parametrize(
    ("overrides", "banner_again"),
    [
        pytest.param({}, False, id="same-notice-control"),
        pytest.param({"policy_version": "2026-02"}, True, id="policy-version-bumped"),
        pytest.param(_new_category(), True, id="category-added"),
    ],
)
def test_changed_notice_brings_the_banner_back(
    page: Page,
    live_server: LiveServer,
    make_live_server: Callable[[dict[str, Any]], LiveServer],
    live_config: dict[str, Any],
    tmp_path: Path,
    overrides: dict[str, Any],
    banner_again: bool,
) -> None:
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))

    # The same service restarted with an edited site file, on the same database. Cookies
    # are per host, not per port, so the decision cookie of the first visit comes along.
    site_file = write_site_file(tmp_path / "sites.json", **overrides)
    edited = make_live_server({**live_config, "CONSENT_SITES_FILE": str(site_file)})
    page.goto(edited.url + GATED)
    ready = page.evaluate("window.consent.ready")
    if banner_again:
        assert ready is None
        for name in BANNER_BUTTONS:
            expect(page.get_by_role("button", name=name)).to_be_visible()
        assert ran(page, "thirdPartyRan") is None and ran(page, "persistentRan") is None
        if "categories" in overrides:
            page.get_by_role("button", name="Preferences").click()
            expect(
                page.get_by_role("switch", name="Marketing cookies")
            ).not_to_be_checked()
    else:
        assert ready is not None and ready["pending"] is False
        expect(page.get_by_role("button", name="Accept all")).to_have_count(0)
        expect(page.locator("#tp-ran")).to_have_count(1)


# --- strict CSP and hostile page CSS --------------------------------------------------

CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_strict_csp_page_works_without_violations(
    page: Page, live_server: LiveServer
) -> None:
    console: list[str] = []

    def on_console(message: Any) -> None:
        console.append(message.text)

    page.on("console", on_console)
    page.add_init_script(CSP_PROBE)
    response = page.goto(live_server.url + GATED)
    assert response and response.headers["content-security-policy"].startswith(
        "default-src 'self'"
    )
    banner = page.get_by_role("region", name="Cookies on this site")
    expect(banner).to_be_visible()
    # Styled by its own sheet (constructable stylesheets are not blocked by style-src
    # 'self').
    assert banner.evaluate("(b) => getComputedStyle(b).position") == "fixed"
    page.get_by_role("button", name="Preferences").click()
    dialog = page.get_by_role("dialog", name="Cookie settings")
    decide_and_confirm(page, dialog.get_by_role("button", name="Accept all"))
    expect(page.locator("#tp-ran")).to_have_count(1)
    expect(
        page.frame_locator("iframe[data-consent]").locator("#frame-content")
    ).to_be_visible()
    assert page.evaluate("window.__csp") == []
    assert not [
        m for m in console if "Content Security Policy" in m or "[consent]" in m
    ]

    # The probe does see a violation when there is one.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = '1';"
        " document.body.append(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")


def test_the_preferences_code_loads_only_when_they_first_open(
    page: Page, live_server: LiveServer
) -> None:
    """A first visit downloads banner.js alone; prefs.js comes with the dialog, once."""
    scripts: list[str] = []
    page.on(
        "request",
        lambda r: (
            scripts.append(r.url.split("?")[0]) if r.resource_type == "script" else None
        ),
    )
    page.goto(live_server.url + GATED)
    expect(page.get_by_role("region", name="Cookies on this site")).to_be_visible()
    page.evaluate("window.consent.ready")
    assert not [u for u in scripts if u.endswith("/prefs.js")]

    page.get_by_role("button", name="Preferences").click()
    dialog = page.get_by_role("dialog", name="Cookie settings")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    page.get_by_role("button", name="Preferences").click()
    expect(dialog).to_be_visible()
    assert [u for u in scripts if u.endswith("/prefs.js")] == [
        live_server.url + "/v1/sites/default/prefs.js"
    ]


BUTTON_STYLE = """(b) => {
  const s = getComputedStyle(b); const r = b.getBoundingClientRect();
  return {display: s.display, visibility: s.visibility, opacity: s.opacity,
          color: s.color,
          background: s.backgroundColor, fontSize: s.fontSize, transform: s.transform,
          box: [r.x, r.y, r.width, r.height].map(Math.round)}; }"""


def banner_look(page: Page, url: str) -> dict[str, Any]:
    page.goto(url)
    look = {}
    for name in BANNER_BUTTONS:
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()
        look[name] = button.evaluate(BUTTON_STYLE)
    look["host"] = page.locator("[data-consent-ui]").evaluate(
        "(h) => [getComputedStyle(h).display, getComputedStyle(h).transform]"
    )
    return look


def test_hostile_page_css_does_not_change_the_banner(
    page: Page, live_server: LiveServer
) -> None:
    plain = banner_look(page, live_server.url + PLAIN)
    hostile = banner_look(page, live_server.url + "/test-pages/hostile-css.html")
    # The hostile sheet did load and does hit the page's own content.
    assert page.locator("h1").evaluate("(h) => getComputedStyle(h).display") == "none"
    assert hostile == plain
    page.get_by_role("button", name="Preferences").click()
    expect(page.get_by_role("dialog", name="Cookie settings")).to_be_visible()


# --- Global Privacy Control -----------------------------------------------------------


# Sec-GPC without navigator.globalPrivacyControl (an extension or proxy adding the
# header): the page cannot see the header, so Accept all grants every category; the
# server judges accept_all by the signal the page saw and records the header.
@pytest.mark.parametrize("signal", ["navigator", "header", "both"])
def test_gpc_keeps_its_categories_off_after_accept_all(
    context: BrowserContext,
    page: Page,
    live_server: LiveServer,
    receipts: Callable[[], list[Any]],
    signal: str,
) -> None:
    if signal in ("navigator", "both"):
        context.add_init_script(
            "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl',"
            " {get: () => true, configurable: true});"
        )
    if signal in ("header", "both"):
        context.set_extra_http_headers({"Sec-GPC": "1"})
    page.goto(live_server.url + GATED)
    banner = page.get_by_role("region", name="Cookies on this site")
    honoured = banner.get_by_text("Global Privacy Control signal honoured.")
    if signal == "header":
        # The page cannot see a request header: the banner says nothing, the server
        # records it.
        expect(banner.get_by_role("button", name="Accept all")).to_be_visible()
        expect(honoured).to_have_count(0)
    else:
        expect(honoured).to_be_visible()
    decide_and_confirm(page, banner.get_by_role("button", name="Accept all"))
    [receipt] = receipts()
    assert receipt.gpc is True
    assert receipt.method == "accept_all"
    if signal == "header":
        assert receipt.choices["third_party"] is True
    else:
        assert receipt.choices == {
            "session": True,
            "persistent": True,
            "third_party": False,
            **SERVICES_OFF,
        }
        expect(page.locator("#persistent-ran")).to_have_count(1)
        assert ran(page, "thirdPartyRan") is None
        assert page.locator("iframe[data-consent]").get_attribute("src") is None


def test_without_gpc_the_banner_says_nothing_about_it(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + PLAIN)
    expect(page.get_by_role("button", name="Accept all")).to_be_visible()
    expect(page.get_by_text("Global Privacy Control signal honoured.")).to_have_count(0)


# --- languages and texts --------------------------------------------------------------


def test_german_page_gets_a_german_banner(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.goto(live_server.url + "/test-pages/i18n-de.html")
    banner = page.get_by_role("region", name="Cookies auf dieser Website")
    expect(banner).to_be_visible()
    for name in ("Alle akzeptieren", "Alle ablehnen", "Einstellungen"):
        expect(banner.get_by_role("button", name=name)).to_be_visible()
    expect(page.get_by_role("button", name="Accept all")).to_have_count(0)
    banner.get_by_role("button", name="Einstellungen").click()
    dialog = page.get_by_role("dialog", name="Cookie-Einstellungen")
    # The default site's German title, as its text file has it.
    third_party = default_site_texts()["de"]["categories"]["third_party"]["title"]
    expect(dialog.get_by_role("switch", name=third_party)).to_be_visible()
    decide_and_confirm(page, dialog.get_by_role("button", name="Auswahl speichern"))
    assert receipts()[0].language == "de"


@pytest.mark.parametrize(
    ("locale", "accept"), [("fr-FR", "Tout accepter"), ("nl-NL", "Alles accepteren")]
)
def test_page_without_lang_follows_the_browser_language(
    browser: Any, live_server: LiveServer, locale: str, accept: str
) -> None:
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/test-pages/no-lang.html")
        expect(page.get_by_role("button", name=accept)).to_be_visible()
    finally:
        context.close()


def test_site_text_override_shows(
    page: Page,
    make_live_server: Callable[[dict[str, Any]], LiveServer],
    live_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    site_file = write_site_file(
        tmp_path / "sites.json",
        texts={"en": {"title": "Cookies at Example Bakery", "acceptAll": "Allow all"}},
    )
    server = make_live_server({**live_config, "CONSENT_SITES_FILE": str(site_file)})
    page.goto(server.url + PLAIN)
    banner = page.get_by_role("region", name="Cookies at Example Bakery")
    expect(
        banner.get_by_role("heading", name="Cookies at Example Bakery")
    ).to_be_visible()
    expect(banner.get_by_role("button", name="Allow all")).to_be_visible()
    expect(banner.get_by_role("button", name="Reject all")).to_be_visible()
