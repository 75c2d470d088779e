"""What a receipt proves, in Chromium (issue #9): the stored notice holds every word
the visitor read; a returning visitor proves the subject with its token; retries are
told apart by the banner's own secret, never the receipt id; page code is told apart
from visitors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from .conftest import (
    CONFIRMED,
    CONSENTS_POST,
    SERVICES_OFF,
    LiveServer,
    decide_and_confirm,
    is_consent_post,
)

GATED = "/test-pages/gated.html"
PAGE_CODE = "/test-pages/page-code.html"
UUID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


def consent_cookie(page: Page) -> str:
    [value] = [c["value"] for c in page.context.cookies() if c["name"] == "consent"]
    return value


# --- the stored notice is what the visitor saw ----------------------------------------

# Every piece of text a person sees in an element (and in its shadow tree): each
# rendered text node, and any aria-label a screen reader says instead.
VISIBLE_TEXT = """(root) => {
  const out = [];
  const walk = (node) => {
    const kids = [...node.childNodes, ...(node.shadowRoot ? [node.shadowRoot] : [])];
    for (const n of kids) {
      if (n.nodeType === Node.TEXT_NODE) {
        const t = n.textContent.trim();
        if (t && n.parentElement.checkVisibility()) out.push(t);
      } else if (n.nodeType === Node.ELEMENT_NODE || n.nodeType === 11) {
        if (n.nodeType === 1 && n.checkVisibility() && n.getAttribute('aria-label'))
          out.push(n.getAttribute('aria-label'));
        walk(n);
      }
    }
  };
  walk(root);
  return out;
}"""

# What the visitor sees that is data, not words: counts, dates and times.
DATA_VALUE = re.compile(r"^[\d\s.,:/-]+(\s?[AP]M)?$")

# The banner's words the test clicks by, per page language.
WORDS = {
    "en": {
        "preferences": "Preferences",
        "save": "Save choices",
        "settings": "Cookie settings",
        "persistent": "Persistent cookies",
    },
    "de": {
        "preferences": "Einstellungen",
        "save": "Auswahl speichern",
        "settings": "Cookie-Einstellungen",
        "persistent": "Dauerhafte Cookies",
    },
}


def strings_in(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def seen(locator: Locator) -> list[str]:
    expect(locator.first).to_be_visible()
    return [t for el in locator.all() for t in el.evaluate(VISIBLE_TEXT)]


def open_cookie_tables(dialog: Locator) -> None:
    # The dialog opens once its script (prefs.js) and the whole notice are in.
    expect(dialog).to_be_visible()
    summaries = dialog.locator("summary")
    for i in range(summaries.count()):
        summaries.nth(i).click()
    expect(dialog.locator("details:not([open])")).to_have_count(0)


@pytest.mark.parametrize(
    ("path", "lang", "gpc"),
    [
        pytest.param(GATED, "en", False, id="en"),
        pytest.param(GATED, "en", True, id="en-gpc"),
        pytest.param("/test-pages/gated-de.html", "de", False, id="de"),
    ],
)
def test_stored_notice_holds_every_word_the_visitor_saw(
    context: BrowserContext,
    page: Page,
    live_server: LiveServer,
    receipts: Callable[[], list[Any]],
    path: str,
    lang: str,
    gpc: bool,
) -> None:
    from consent_server.extensions import db
    from consent_server.models import Notice

    if gpc:  # the banner says it honours the signal: that line is a notice text too
        context.add_init_script(
            "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl',"
            " {get: () => true, configurable: true});"
        )
    words = WORDS[lang]
    page.goto(live_server.url + path)
    ui = page.locator("[data-consent-ui]")
    pieces: dict[str, list[str]] = {}

    # The first layer, and the placeholder standing in for the blocked iframe.
    pieces["first layer"] = seen(page.get_by_role("region"))
    pieces["placeholder"] = seen(page.locator(".consent-placeholder"))
    # The preferences dialog, cookie tables open.
    ui.get_by_role("button", name=words["preferences"]).click()
    dialog = page.get_by_role("dialog", name=words["settings"])
    open_cookie_tables(dialog)
    pieces["preferences"] = seen(dialog)

    dialog.get_by_role("switch", name=words["persistent"]).check()
    decide_and_confirm(page, dialog.get_by_role("button", name=words["save"]))
    # After the decision: the floating settings button, and the dialog again with
    # the visitor's receipt.
    settings = ui.get_by_role("button", name=words["settings"])
    pieces["settings button"] = seen(settings)
    settings.click()
    open_cookie_tables(dialog)
    pieces["preferences with receipt"] = seen(dialog)

    [receipt] = receipts()
    assert receipt.language == lang
    with live_server.app.app_context():
        notice = db.session.get(Notice, receipt.notice_hash)
        assert notice is not None
        stored = set(strings_in(notice.content))
    assert receipt.id in pieces["preferences with receipt"]
    assert any(p.isdigit() for p in pieces["preferences"])  # the cookie counts
    if gpc:
        assert stored & set(pieces["first layer"]) >= {
            notice.content["texts"]["gpcHonoured"]
        }
    for where, texts in pieces.items():
        words_seen = [t for t in texts if t != receipt.id and not DATA_VALUE.match(t)]
        assert words_seen, where
        assert [t for t in words_seen if t not in stored] == [], where


# --- a returning visitor proves the subject -------------------------------------------


@pytest.mark.no_reload
def test_returning_visitors_change_is_recorded_with_the_token_of_the_first(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    page.goto(live_server.url + GATED)
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))
    token = consent_cookie(page)

    page.reload()  # a later visit: the banner reads the cookie, asks nothing
    assert page.evaluate("window.consent.ready")["pending"] is False
    page.get_by_role("button", name="Cookie settings").first.click()
    dialog = page.get_by_role("dialog", name="Cookie settings")
    dialog.get_by_role("switch", name="Third-party cookies").uncheck()
    response = decide_and_confirm(
        page, dialog.get_by_role("button", name="Save choices")
    )

    assert response.request.post_data_json["token"] == token
    first, second = receipts()
    assert second.action == "update"
    assert second.previous_id == first.id
    assert second.subject == first.subject
    assert second.choices == {
        "session": True,
        "persistent": True,
        "third_party": False,
        **SERVICES_OFF,
    }


@pytest.mark.no_reload
def test_second_decision_made_before_the_first_was_recorded_carries_its_token(
    page: Page,
    live_server: LiveServer,
    receipts: Callable[[], list[Any]],
    requests_log: list[Any],
) -> None:
    tries: list[Any] = []

    def offline_once(route: Any) -> None:
        tries.append(route.request)
        if len(tries) == 1:
            route.abort("internetdisconnected")
        else:
            route.fallback()

    page.route(CONSENTS_POST, offline_once)
    page.goto(live_server.url + GATED)
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#tp-ran")).to_have_count(1)  # applied, not recorded
    # The visitor changes their mind at once: withdraws everything.
    page.locator("[data-consent-ui]").get_by_role(
        "button", name="Cookie settings"
    ).click()
    dialog = page.get_by_role("dialog", name="Cookie settings")
    dialog.get_by_role("button", name="Reject all").click()
    page.wait_for_function(
        "() => { const r = window.consent.get();"
        " return r && !r.pending && r.granted.length === 1; }"
    )

    posts = [r for r in requests_log if r.method == "POST" and "/consents" in r.url]
    bodies = [r.post_data_json for r in posts]
    # Sent in order, the first twice (it failed once), each recorded once.
    assert [b["method"] for b in bodies] == ["accept_all", "accept_all", "reject_all"]
    first_answer = posts[1].response()
    assert first_answer is not None and first_answer.status == 201
    assert "token" not in bodies[0] and "token" not in bodies[1]
    assert bodies[2]["token"] == first_answer.json()["token"]
    first, second = receipts()
    assert (first.action, second.action) == ("grant", "withdraw")
    assert second.previous_id == first.id and second.subject == first.subject


# --- the banner's own idempotency secret ----------------------------------------------


def test_idempotency_key_is_the_banners_own_secret_kept_across_retries(
    page: Page, live_server: LiveServer, receipts: Callable[[], list[Any]]
) -> None:
    tries: list[Any] = []

    def fail_once(route: Any) -> None:
        tries.append(route.request)
        if len(tries) == 1:
            route.fulfill(
                status=503, json={"title": "Service Unavailable", "status": 503}
            )
        else:
            route.fallback()

    page.route(CONSENTS_POST, fail_once)
    page.goto(live_server.url + GATED)
    with page.expect_response(
        lambda r: is_consent_post(r) and r.status == 201
    ) as info:  # the retry, 2 s later
        page.get_by_role("button", name="Reject all").click()
    page.wait_for_function(CONFIRMED)

    keys = [r.headers["idempotency-key"] for r in tries]
    body = info.value.request.post_data_json
    [receipt] = receipts()
    assert len(tries) == 2 and keys[0] == keys[1]
    assert UUID.match(keys[0])
    assert keys[0] not in (body["id"], receipt.id, receipt.subject)
    assert keys[0] not in info.value.request.post_data
    # The banner's own button: no user_activation, that is for page code.
    assert "user_activation" not in body and receipt.user_activation is None


# --- page code apart from visitors ----------------------------------------------------


@pytest.mark.parametrize("gesture", [False, True], ids=["by-itself", "from-a-click"])
def test_page_code_decides_with_layer_api_and_says_whether_a_person_clicked(
    page: Page,
    live_server: LiveServer,
    receipts: Callable[[], list[Any]],
    gesture: bool,
) -> None:
    with page.expect_response(is_consent_post) as info:
        if gesture:
            page.goto(live_server.url + PAGE_CODE)
            page.get_by_role("button", name="Accept from the page").click()
        else:  # the page's script calls consent.acceptAll() once the banner is ready
            page.goto(live_server.url + PAGE_CODE + "?auto")
    assert info.value.status == 201
    assert info.value.request.post_data_json["user_activation"] is gesture
    page.wait_for_function(CONFIRMED)
    # Decided: the banner's own buttons are gone.
    expect(page.get_by_role("button", name="Accept all")).to_have_count(0)
    [receipt] = receipts()
    assert (receipt.method, receipt.layer) == ("accept_all", "api")
    assert receipt.user_activation is gesture
