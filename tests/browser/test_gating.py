"""Gating in Chromium: nothing optional before consent, exactly the granted after."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    BANNER_BUTTONS,
    CONFIRMED,
    CONSENTS_POST,
    SERVICES_OFF,
    SERVICES_ON,
    LiveServer,
    decide_and_confirm,
    is_consent_post,
    ran,
)

GATED = "/test-pages/gated.html"
GATED_FILES = (
    "/test-pages/js/third_party.js",
    "/test-pages/js/persistent.js",
    "/test-pages/frame.html",
)


def gated_requests(log: list[Any]) -> list[str]:
    return [r.url for r in log if any(r.url.endswith(f) for f in GATED_FILES)]


def test_first_visit_shows_banner_and_runs_nothing_gated(
    page: Page, live_server: LiveServer, requests_log: list[Any]
) -> None:
    page.goto(live_server.url + GATED)
    for name in BANNER_BUTTONS:
        expect(page.get_by_role("button", name=name)).to_be_visible()
    assert page.evaluate("window.consent.ready") is None  # settled: no decision
    assert ran(page, "thirdPartyRan") is None
    assert ran(page, "persistentRan") is None
    expect(page.locator("#tp-ran, #persistent-ran")).to_have_count(0)
    frame = page.locator("iframe[data-consent]")
    expect(frame).not_to_have_attribute("src", "/test-pages/frame.html")
    assert frame.get_attribute("src") is None
    expect(page.get_by_text("Blocked until you allow its cookies.")).to_be_visible()
    assert gated_requests(requests_log) == []


@pytest.mark.parametrize(
    ("action", "choices", "method", "layer", "expect_ran"),
    [
        pytest.param(
            "accept_all",
            {"session": True, "persistent": True, "third_party": True, **SERVICES_ON},
            "accept_all",
            "first",
            {"thirdPartyRan": 1, "persistentRan": 1},
            id="accept-all",
        ),
        pytest.param(
            "reject_all",
            {
                "session": True,
                "persistent": False,
                "third_party": False,
                **SERVICES_OFF,
            },
            "reject_all",
            "first",
            {"thirdPartyRan": None, "persistentRan": None},
            id="reject-all",
        ),
        pytest.param(
            "custom",
            {"session": True, "persistent": True, "third_party": False, **SERVICES_OFF},
            "custom",
            "preferences",
            {"thirdPartyRan": None, "persistentRan": 1},
            id="custom-persistent-only",
        ),
    ],
)
def test_decision_stores_receipt_and_runs_exactly_the_granted(
    page: Page,
    live_server: LiveServer,
    receipts: Callable[[], list[Any]],
    requests_log: list[Any],
    action: str,
    choices: dict[str, bool],
    method: str,
    layer: str,
    expect_ran: dict[str, int | None],
) -> None:
    page.goto(live_server.url + GATED)
    if action == "custom":
        page.get_by_role("button", name="Preferences").click()
        dialog = page.get_by_role("dialog", name="Cookie settings")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("switch", name="Session cookies")).to_be_disabled()
        dialog.get_by_role("switch", name="Persistent cookies").check()
        button = dialog.get_by_role("button", name="Save choices")
    else:
        button = page.get_by_role(
            "button", name="Accept all" if action == "accept_all" else "Reject all"
        )
    response = decide_and_confirm(page, button)

    [receipt] = receipts()
    assert receipt.id == response.json()["receipt"]["id"]
    # A decision granting no optional category is a refusal (proof too).
    granted_any = any(on for key, on in choices.items() if key != "session")
    assert (receipt.choices, receipt.method, receipt.layer, receipt.action) == (
        choices,
        method,
        layer,
        "grant" if granted_any else "refuse",
    )
    assert receipt.gpc is False
    # The signed token is in the cookie, and the banner is gone.
    assert any(c["name"] == "consent" for c in page.context.cookies())
    expect(page.get_by_role("button", name="Accept all")).to_have_count(0)

    if expect_ran["thirdPartyRan"]:
        expect(page.locator("#tp-ran")).to_have_count(1)
        expect(
            page.frame_locator("iframe[data-consent]").locator("#frame-content")
        ).to_be_visible()
    if expect_ran["persistentRan"]:
        expect(page.locator("#persistent-ran")).to_have_count(1)
    # Activation happens before the POST, so by now every granted file was requested.
    assert {flag: ran(page, flag) for flag in expect_ran} == expect_ran
    wanted = {
        "/test-pages/js/third_party.js": choices["third_party"],
        "/test-pages/js/persistent.js": choices["persistent"],
        "/test-pages/frame.html": choices["third_party"],
    }
    assert sorted(gated_requests(requests_log)) == sorted(
        live_server.url + f for f, on in wanted.items() if on
    )
    if not choices["third_party"]:
        assert page.locator("iframe[data-consent]").get_attribute("src") is None


def test_reload_applies_decision_without_banner_or_request(
    page: Page, live_server: LiveServer, requests_log: list[Any]
) -> None:
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))
    requests_log.clear()

    page.reload()
    expect(page.locator("#tp-ran")).to_have_count(1)
    expect(page.locator("#persistent-ran")).to_have_count(1)
    expect(
        page.frame_locator("iframe[data-consent]").locator("#frame-content")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Cookie settings").last).to_be_visible()
    ready = page.evaluate("window.consent.ready")
    assert ready["pending"] is False and ready["granted"] == [
        "session",
        "persistent",
        "third_party",
        *SERVICES_ON,
    ]
    for name in BANNER_BUTTONS:
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    assert [r.url for r in requests_log if "/consents" in r.url] == []


def test_confirmation_dispatches_change_with_pending_false(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.add_init_script(
        "document.addEventListener('consent:change', (e) =>"
        " (window.__changes = window.__changes || []).push(e.detail));"
    )
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Reject all"))
    page.wait_for_function("window.__changes.length === 2")
    first, second = page.evaluate("window.__changes")
    [receipt] = receipts()
    assert first["pending"] is True and second["pending"] is False
    assert first["receipt"] == second["receipt"] == receipt.id
    assert second["choices"] == {
        "session": True,
        "persistent": False,
        "third_party": False,
        **SERVICES_OFF,
    }


@pytest.mark.parametrize("failure", ["abort", "503"])
@pytest.mark.parametrize("recover", ["online", "reload"])
def test_decision_applies_offline_and_is_sent_once_later(
    page: Page,
    live_server: LiveServer,
    receipts: Callable[[], list[Any]],
    failure: str,
    recover: str,
) -> None:
    failed: list[str] = []

    def fail(route: Any) -> None:
        failed.append(route.request.url)
        if failure == "abort":
            route.abort("internetdisconnected")
        else:
            route.fulfill(
                status=503, json={"title": "Service Unavailable", "status": 503}
            )

    page.route(CONSENTS_POST, fail)
    page.goto(live_server.url + GATED)
    page.get_by_role("button", name="Accept all").click()

    # Applied locally at once, although the server never heard of it.
    expect(page.locator("#tp-ran")).to_have_count(1)
    expect(page.locator("#persistent-ran")).to_have_count(1)
    page.wait_for_function("() => window.consent.get()?.pending === true")
    assert failed and receipts() == []
    queued = page.evaluate("JSON.parse(localStorage.getItem('consent:queue:default'))")
    assert len(queued) == 1
    # The marker cookie that tells a later page to look in localStorage at all.
    assert "consent_q" in {c["name"] for c in page.context.cookies()}
    receipt_id = queued[0]["body"]["id"]

    page.unroute(CONSENTS_POST, fail)
    with page.expect_response(is_consent_post) as info:
        if recover == "online":
            page.evaluate("dispatchEvent(new Event('online'))")
        else:
            page.reload()
    assert info.value.status == 201
    page.wait_for_function(CONFIRMED)
    if (
        recover == "reload"
    ):  # the queued decision applied on the new page too, without a banner
        expect(page.locator("#tp-ran")).to_have_count(1)
        expect(page.get_by_role("button", name="Accept all")).to_have_count(0)
    assert (
        page.evaluate("JSON.parse(localStorage.getItem('consent:queue:default'))") == []
    )
    assert "consent_q" not in {c["name"] for c in page.context.cookies()}
    [receipt] = receipts()
    assert receipt.id == receipt_id
    assert receipt.choices == {
        "session": True,
        "persistent": True,
        "third_party": True,
        **SERVICES_ON,
    }


CONSENT_MODE_LOG = """() => (window.dataLayer || []).map((e) =>
  e && e.event ? e.event : Array.from(e).slice(0, 2).join(' '))"""


def consent_state(page: Page, index: int) -> dict[str, Any]:
    return dict(page.evaluate(f"Array.from(window.dataLayer[{index}])[2]"))


def test_consent_mode_default_then_update_in_order(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/test-pages/consent-mode.html")
    expect(page.get_by_role("button", name="Accept all")).to_be_visible()
    assert page.evaluate(CONSENT_MODE_LOG) == ["consent default"]
    default = consent_state(page, 0)
    assert default.pop("wait_for_update") == 500
    assert default and set(default.values()) == {"denied"}
    # The default site's types: no advertising signal among them.
    assert "analytics_storage" in default and "ad_user_data" not in default

    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))
    expect(page.locator("#tag-ran")).to_have_count(1)
    assert page.evaluate(CONSENT_MODE_LOG) == [
        "consent default",
        "consent update",
        "gated_tag",
    ]
    assert set(consent_state(page, 1).values()) == {"granted"}

    # Returning visit: default first, then the stored decision, then the tag.
    page.reload()
    expect(page.locator("#tag-ran")).to_have_count(1)
    assert page.evaluate(CONSENT_MODE_LOG) == [
        "consent default",
        "consent update",
        "gated_tag",
    ]
    assert set(consent_state(page, 0).values()) - {500} == {"denied"}
    assert set(consent_state(page, 1).values()) == {"granted"}


def test_consent_mode_update_after_reject_stays_denied(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/test-pages/consent-mode.html")
    decide_and_confirm(page, page.get_by_role("button", name="Reject all"))
    assert page.evaluate(CONSENT_MODE_LOG) == ["consent default", "consent update"]
    update = consent_state(page, 1)
    assert update["security_storage"] == "granted"  # the required category's type
    assert update["analytics_storage"] == "denied"
    expect(page.locator("#tag-ran")).to_have_count(0)
