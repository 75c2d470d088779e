"""The demo page at / in Chromium: IMAGINE's landing page with the banner, gated
scripts and video, the footer links and the live choices view (issue #11)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Request, expect

from consent_server.banner_texts import banner_texts

from .conftest import CONSENTS_POST, LiveServer

REJECT = {"/": "Reject all", "/v1/sites/default/cookies?lang=fr": "Tout refuser"}
ALL_GRANTED = ["session: granted", "persistent: granted", "third_party: granted"]
ONLY_REQUIRED = ["session: granted", "persistent: denied", "third_party: denied"]


def _expect_choices(page: Page, lines: list[str]) -> None:
    """The live view shows each category's line (services may follow them)."""
    for line in lines:
        expect(page.locator("#choices li").filter(has_text=line)).to_have_count(1)


def _off_site_requests(page: Page, live_server: LiveServer) -> list[str]:
    """Every request the page makes to another host (the demo makes none)."""
    own = urlparse(live_server.url).netloc
    seen: list[str] = []

    def note(request: Request) -> None:
        host = urlparse(request.url).netloc
        if host and host != own:
            seen.append(request.url)

    page.on("request", note)
    return seen


def test_demo_runs_gated_scripts_only_after_accept_and_updates_live_view(
    page: Page, live_server: LiveServer
) -> None:
    held: list[Any] = []
    off_site = _off_site_requests(page, live_server)

    def hold(route: Any) -> None:  # keep the POST in flight to see the queued state
        held.append(route)

    page.route(CONSENTS_POST, hold)
    page.goto(live_server.url + "/")
    expect(
        page.get_by_role(
            "heading", name="Stable Diffusion XL as an API, hosted in the EU"
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Accept all")).to_be_visible()
    expect(page.locator("#choices-note")).to_have_text(
        "No decision yet: the banner below asks for one."
    )
    expect(page.locator("#analytics-status")).to_contain_text("not loaded")
    expect(page.locator("#prefs-status")).to_contain_text("not loaded")
    assert "_pk_id" not in page.evaluate("document.cookie")

    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#analytics-status")).to_have_text(
        "Audience measurement: loaded (a _pk_id cookie was set)."
    )
    expect(page.locator("#prefs-status")).to_contain_text("loaded (a prefs cookie")
    assert "_pk_id.1.demo=" in page.evaluate("document.cookie")
    expect(page.locator("#choices-note")).to_have_text(
        "Decided (queued, not yet confirmed by the server):"
    )
    expect(page.locator("#choices li")).to_have_text(
        [
            "session: granted",
            "persistent: granted",
            "third_party: granted",
            "analytics: granted",
            "video: granted",
        ]
    )
    expect(
        page.frame_locator("iframe[title='IMAGINE product tour']").get_by_text(
            "An embedded video player"
        )
    ).to_be_visible()

    assert len(held) == 1
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        held[0].continue_()
    assert info.value.status == 201
    expect(page.locator("#choices-note")).to_have_text("Decided:")
    # The analytics example and the video are local: nothing left this server.
    assert off_site == []


def test_demo_reject_keeps_scripts_off(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#choices-note")).to_have_text("Decided:")
    expect(page.locator("#choices li")).to_have_text(
        [
            "session: granted",
            "persistent: denied",
            "third_party: denied",
            "analytics: denied",
            "video: denied",
        ]
    )
    expect(page.locator("#analytics-status")).to_contain_text("not loaded")
    expect(page.locator("#prefs-status")).to_contain_text("not loaded")
    expect(page.locator("iframe[title='IMAGINE product tour']")).to_be_hidden()


def test_demo_footer_links_to_the_declaration_and_the_policy(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Reject all").click()
    footer = page.locator("footer")
    with page.expect_response(lambda r: r.url.endswith("/cookies")) as declared:
        footer.get_by_role("link", name="Cookie declaration").click()
    assert declared.value.status == 200
    expect(
        page.get_by_role("heading", name="Cookie declaration", level=1)
    ).to_be_visible()
    expect(page.get_by_text("consent:receipt:default")).to_be_visible()

    page.goto(live_server.url + "/")
    with page.expect_response(lambda r: r.url.endswith("/policy")) as policy:
        page.locator("footer").get_by_role("link", name="Privacy policy").click()
    assert policy.value.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "IMAGINE by Trooper.AI"
    )


def test_demo_settings_link_reopens_the_preferences(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Reject all").click()
    page.locator("footer").get_by_role("button", name="Cookie settings").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def test_declaration_page_button_opens_the_preferences(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/v1/sites/default/cookies?lang=de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("button", name=banner_texts("de")["openPreferences"]).click()
    expect(page.get_by_role("dialog")).to_be_visible()


@pytest.mark.parametrize("path", ["/", "/v1/sites/default/cookies?lang=fr"])
def test_demo_and_declaration_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, path: str
) -> None:
    page.goto(live_server.url + path)
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name=REJECT[path]).click()
    # The page itself; the banner is checked on its own in test_preferences.py.
    results = Axe().run(page, context={"exclude": [["[data-consent-ui]"]]})
    assert results.response["passes"], "axe checked nothing"
    assert [v["id"] for v in results.response["violations"]] == []


def test_the_demo_gates_each_example_on_its_own_service(
    page: Page, live_server: LiveServer
) -> None:
    """Allowing the audience measurement service alone runs its script and leaves
    the video (another service of the same category) blocked."""
    page.goto(live_server.url + "/")
    texts = banner_texts("en")
    page.get_by_role("button", name=texts["preferences"]).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("switch", name="Matomo Cloud").check()
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        dialog.get_by_role("button", name=texts["save"]).click()
    assert info.value.status == 201
    expect(page.locator("#analytics-status")).to_have_text(
        "Audience measurement: loaded (a _pk_id cookie was set)."
    )
    _expect_choices(page, ["third_party: denied", "analytics: granted"])
    _expect_choices(page, ["video: denied"])
    expect(page.locator("iframe[title='IMAGINE product tour']")).to_be_hidden()
    expect(page.locator(".consent-placeholder")).to_be_visible()


def test_the_video_placeholder_names_its_language_and_is_a_big_enough_target(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    placeholder = page.locator(".consent-placeholder")
    expect(placeholder).to_be_visible()
    # The banner's language, which may differ from the page's around it.
    expect(placeholder).to_have_attribute("lang", "en")
    box = placeholder.get_by_role("button").bounding_box()
    assert box is not None and box["width"] >= 24 and box["height"] >= 24, box
