"""The demo page at / in Chromium: banner, gated scripts, the live choices view."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from .conftest import CONSENTS_POST, LiveServer


def test_demo_runs_gated_scripts_only_after_accept_and_updates_live_view(
    page: Page, live_server: LiveServer
) -> None:
    held: list[Any] = []

    def hold(route: Any) -> None:  # keep the POST in flight to see the queued state
        held.append(route)

    page.route(CONSENTS_POST, hold)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Example Bakery")).to_be_visible()
    expect(page.get_by_role("button", name="Accept all")).to_be_visible()
    expect(page.locator("#choices-note")).to_have_text(
        "No decision yet: the banner below asks for one."
    )
    expect(page.locator("#analytics-status")).to_contain_text("not loaded")
    expect(page.locator("#prefs-status")).to_contain_text("not loaded")
    assert page.evaluate("document.cookie").find("_ga_demo") == -1

    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#analytics-status")).to_have_text(
        "Analytics script: loaded (a _ga_demo cookie was set)."
    )
    expect(page.locator("#prefs-status")).to_contain_text("loaded (a prefs cookie")
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
        page.frame_locator("iframe[title='Bakery video']").get_by_text(
            "A third-party video"
        )
    ).to_be_visible()

    assert len(held) == 1
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        held[0].continue_()
    assert info.value.status == 201
    expect(page.locator("#choices-note")).to_have_text("Decided:")


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
