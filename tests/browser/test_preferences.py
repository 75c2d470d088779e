"""The preferences dialog in Chromium: keyboard-only use, withdrawal, accessibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from consent_server.default_site import DEFAULT_SITE

from .conftest import CONFIRMED, SERVICES_OFF, LiveServer, decide_and_confirm, ran

GATED = "/test-pages/gated.html"
PLAIN = "/test-pages/plain.html"


def _tab_until(page: Page, target: Any, key: str, limit: int = 20) -> None:
    """Press ``key`` until ``target`` has focus (at most ``limit`` times)."""
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("(e) => e.getRootNode().activeElement === e"):
            return
    raise AssertionError(f"{target} never got focus with {key}")


def test_keyboard_only_walk_through_both_layers(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.goto(live_server.url + PLAIN)
    banner = page.get_by_role("region", name="Cookies on this site")
    expect(banner).to_be_visible()

    # The banner comes first in the page: Tab reaches its links (policy, cookie
    # declaration), then its three buttons, in order.
    for name in ("Privacy policy", "Cookie declaration"):
        page.keyboard.press("Tab")
        expect(banner.get_by_role("link", name=name)).to_be_focused()
    for name in ("Accept all", "Reject all", "Preferences"):
        page.keyboard.press("Tab")
        expect(banner.get_by_role("button", name=name)).to_be_focused()
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog", name="Cookie settings")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_focused()  # focus moved into the dialog

    # Tab order inside the dialog; the required switch is disabled, so skipped.
    # Each service of third_party has its own switch, privacy link and cookie list.
    persistent = dialog.get_by_role("switch", name="Persistent cookies")
    third_party = dialog.get_by_role("switch", name="Third-party cookies")
    cookie_lists = dialog.locator("summary")
    policies = dialog.get_by_role("link", name="Provider's privacy policy")
    order = [
        cookie_lists.nth(0),
        persistent,
        cookie_lists.nth(1),
        third_party,
        dialog.get_by_role("switch", name="Matomo Cloud"),
        policies.nth(0),
        cookie_lists.nth(2),
        dialog.get_by_role("switch", name="Dailymotion"),
        policies.nth(1),
        cookie_lists.nth(3),
        # The rights section: the controller's contact email.
        dialog.get_by_role("link", name=DEFAULT_SITE["controller"]["email"]),
        dialog.get_by_role("button", name="Save choices"),
        dialog.get_by_role("button", name="Accept all"),
        dialog.get_by_role("button", name="Reject all"),
    ]
    for target in order:
        page.keyboard.press("Tab")
        expect(target).to_be_focused()
    page.keyboard.press("Tab")  # trapped: wraps to the first control
    expect(close).to_be_focused()
    page.keyboard.press("Shift+Tab")  # and back the other way
    expect(order[-1]).to_be_focused()

    # Space toggles a switch.
    _tab_until(page, persistent, "Shift+Tab")
    expect(persistent).not_to_be_checked()
    page.keyboard.press("Space")
    expect(persistent).to_be_checked()

    # Escape closes and focus returns to the opener; nothing was decided.
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(banner.get_by_role("button", name="Preferences")).to_be_focused()
    assert page.evaluate("window.consent.get()") is None

    # Reopen with Enter, switch persistent on with Space, save with Enter.
    page.keyboard.press("Enter")
    expect(close).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(persistent).to_be_focused()
    page.keyboard.press("Space")
    save = dialog.get_by_role("button", name="Save choices")
    _tab_until(page, save, "Tab")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.keyboard.press("Enter")
    assert info.value.status == 201
    expect(dialog).to_have_count(0)
    expect(banner).to_have_count(0)
    # Focus is not lost to <body>: it lands on the floating settings button.
    expect(
        page.locator("[data-consent-ui]").get_by_role("button", name="Cookie settings")
    ).to_be_focused()
    page.wait_for_function("window.consent.get()?.pending === false")
    [receipt] = receipts()
    assert (receipt.method, receipt.layer) == ("custom", "preferences")
    assert receipt.choices == {
        "session": True,
        "persistent": True,
        "third_party": False,
        **SERVICES_OFF,
    }


def test_withdrawal_from_settings_link_clears_cookies_reloads_and_records_withdraw(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))
    expect(page.locator("#tp-ran")).to_have_count(1)
    listed = ("_pk_id.1a", "_pk_ses.1a", "prefs")
    page.context.add_cookies(
        [
            {"name": n, "value": "1", "url": live_server.url}
            for n in (*listed, "unrelated")
        ]
    )
    assert set(listed) <= {c["name"] for c in page.context.cookies()}

    page.locator(
        "body > button[data-consent-open]"
    ).click()  # the page's own settings link
    dialog = page.get_by_role("dialog", name="Cookie settings")
    expect(dialog.get_by_role("switch", name="Third-party cookies")).to_be_checked()
    expect(dialog.get_by_text("Your consent receipt")).to_be_visible()
    # Scripts that already ran cannot be unrun: the withdrawal reloads the page
    # (reload_on_withdraw, on by default), once the decision is queued.
    with page.expect_event("load"):
        dialog.get_by_role("button", name="Reject all").click()
    page.wait_for_function(CONFIRMED)
    expect(page.get_by_role("button", name="Accept all")).to_have_count(0)
    assert ran(page, "thirdPartyRan") is None and ran(page, "persistentRan") is None

    names = {c["name"] for c in page.context.cookies()}
    assert not set(listed) & names
    assert {
        "unrelated",
        "consent",
    } <= names  # not listed: kept; the decision itself: kept
    first, second = receipts()
    assert (second.action, second.method, second.layer) == (
        "withdraw",
        "reject_all",
        "preferences",
    )
    assert second.previous_id == first.id and second.subject == first.subject
    assert second.choices == {
        "session": True,
        "persistent": False,
        "third_party": False,
        **SERVICES_OFF,
    }


@pytest.mark.no_reload
def test_withdrawal_of_one_category_clears_only_its_cookies(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))
    page.context.add_cookies(
        [
            {"name": n, "value": "1", "url": live_server.url}
            for n in ("_pk_id.1a", "prefs")
        ]
    )
    page.evaluate("window.beforeWithdrawal = true")
    page.locator("body > button[data-consent-open]").click()
    dialog = page.get_by_role("dialog", name="Cookie settings")
    dialog.get_by_role("switch", name="Third-party cookies").uncheck()
    decide_and_confirm(page, dialog.get_by_role("button", name="Save choices"))
    names = {c["name"] for c in page.context.cookies()}
    assert "_pk_id.1a" not in names and "prefs" in names
    assert receipts()[-1].action == "update"
    # reload_on_withdraw is off for this site: the same page.
    assert page.evaluate("window.beforeWithdrawal") is True


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # Scoped to the banner's host element: the fixture page around it is not under test.
    # axe descends into the open shadow root on its own.
    results = Axe().run(page, context={"include": [["[data-consent-ui]"]]})
    # Guard against a vacuous pass: axe must have checked nodes inside the shadow root
    # (their targets are [host selector, selector inside the shadow root]).
    inside = [
        node["target"]
        for rule in results.response["passes"]
        for node in rule["nodes"]
        if isinstance(node["target"][0], list) and len(node["target"][0]) == 2
    ]
    assert inside, "axe checked nothing inside the shadow root"
    return list(results.response["violations"])


def test_first_layer_has_no_axe_violations(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + PLAIN)
    expect(page.get_by_role("button", name="Accept all")).to_be_visible()
    assert axe_violations(page) == []


def test_preferences_dialog_has_no_axe_violations(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))
    page.locator("body > button[data-consent-open]").click()
    dialog = page.get_by_role("dialog", name="Cookie settings")
    expect(dialog).to_be_visible()
    # Open every cookie table too.
    summaries = dialog.locator("summary")
    for summary in summaries.all():
        summary.click()
    expect(dialog.get_by_role("table")).to_have_count(summaries.count())
    expect(dialog.get_by_text("Your consent receipt")).to_be_visible()
    assert axe_violations(page) == []
