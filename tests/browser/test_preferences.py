"""The preferences dialog in Chromium: keyboard-only use, withdrawal, accessibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from consent_server.default_site import DEFAULT_SITE

from .conftest import LiveServer, decide_and_confirm, ran

GATED = "/test-pages/gated.html"
PLAIN = "/test-pages/plain.html"


def test_keyboard_only_walk_through_both_layers(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.goto(live_server.url + PLAIN)
    banner = page.get_by_role("region", name="Cookies on this site")
    expect(banner).to_be_visible()

    # The banner comes first in the page: Tab reaches its three buttons in order.
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
    persistent = dialog.get_by_role("switch", name="Persistent cookies")
    third_party = dialog.get_by_role("switch", name="Third-party cookies")
    cookie_lists = dialog.get_by_text("Cookies 1", exact=True)
    order = [
        cookie_lists.nth(0),
        persistent,
        cookie_lists.nth(1),
        third_party,
        cookie_lists.nth(2),
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
    for _ in range(7):
        page.keyboard.press("Shift+Tab")
    expect(persistent).to_be_focused()
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
    for _ in range(5):
        page.keyboard.press("Tab")
    save = dialog.get_by_role("button", name="Save choices")
    expect(save).to_be_focused()
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
    }


def test_withdrawal_from_settings_link_clears_cookies_and_records_withdraw(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))
    expect(page.locator("#tp-ran")).to_have_count(1)
    page.context.add_cookies(
        [
            {"name": n, "value": "1", "url": live_server.url}
            for n in ("_ga", "_ga_ABC123", "prefs", "unrelated")
        ]
    )
    assert {"_ga", "_ga_ABC123", "prefs"} <= set(
        page.evaluate("document.cookie").replace(" ", "").split(";")
    ) | {c["name"] for c in page.context.cookies()}

    page.locator(
        "body > button[data-consent-open]"
    ).click()  # the page's own settings link
    dialog = page.get_by_role("dialog", name="Cookie settings")
    expect(dialog.get_by_role("switch", name="Third-party cookies")).to_be_checked()
    expect(dialog.get_by_text("Your consent receipt")).to_be_visible()
    decide_and_confirm(page, dialog.get_by_role("button", name="Reject all"))

    names = {c["name"] for c in page.context.cookies()}
    assert "_ga" not in names and "_ga_ABC123" not in names and "prefs" not in names
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
    }
    # Already-run scripts cannot be unrun, but a new page load runs none of them.
    page.reload()
    expect(page.get_by_role("button", name="Accept all")).to_have_count(0)
    page.wait_for_function("window.consent.get()?.pending === false")
    assert ran(page, "thirdPartyRan") is None and ran(page, "persistentRan") is None


def test_withdrawal_of_one_category_clears_only_its_cookies(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))
    page.context.add_cookies(
        [{"name": n, "value": "1", "url": live_server.url} for n in ("_ga", "prefs")]
    )
    page.locator("body > button[data-consent-open]").click()
    dialog = page.get_by_role("dialog", name="Cookie settings")
    dialog.get_by_role("switch", name="Third-party cookies").uncheck()
    decide_and_confirm(page, dialog.get_by_role("button", name="Save choices"))
    names = {c["name"] for c in page.context.cookies()}
    assert "_ga" not in names and "prefs" in names
    assert receipts()[-1].action == "update"


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
    # Open the cookie tables too: three, plus the receipt's table of choices.
    for summary in dialog.get_by_text("Cookies 1", exact=True).all():
        summary.click()
    expect(dialog.get_by_role("table")).to_have_count(4)
    expect(dialog.get_by_text("Your consent receipt")).to_be_visible()
    assert axe_violations(page) == []
