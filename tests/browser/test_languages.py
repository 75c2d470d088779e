"""Which language a page's banner shows, and that the page downloads only that one.

banner.js inlines the notice of the browser's language (Accept-Language) or of the
page's, when the script URL names it (``?lang=``); a page whose ``lang`` picks another
language fetches that notice alone, cached for good (issue #11: languages per page).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import CONFIRMED, LiveServer, decide_and_confirm

TEXTS = Path(__file__).resolve().parents[2] / "consent_server" / "banner_texts"


def accept_all(lang: str) -> str:
    """The label of the Accept all button in a language (the server's own texts)."""
    return str(json.loads((TEXTS / f"{lang}.json").read_text("utf-8"))["acceptAll"])


@pytest.fixture
def server_hits(live_server: LiveServer) -> list[str]:
    """Paths of the requests that reached the live server (not the cache)."""
    hits: list[str] = []

    @live_server.app.before_request
    def record() -> None:
        from flask import request

        hits.append(request.full_path.rstrip("?"))

    return hits


@pytest.fixture
def visit(
    browser: Browser, live_server: LiveServer
) -> Iterator[Callable[..., tuple[Page, list[Any]]]]:
    """Open a test page in a fresh context with a browser locale; (page, responses)."""
    contexts: list[Any] = []

    def _visit(name: str, locale: str = "en-US") -> tuple[Page, list[Any]]:
        context = browser.new_context(locale=locale)
        contexts.append(context)
        page = context.new_page()
        responses: list[Any] = []

        def record(response: Any) -> None:
            responses.append(response)

        page.on("response", record)
        page.goto(f"{live_server.url}/test-pages/{name}")
        return page, responses

    yield _visit
    for context in contexts:
        context.close()


def notices(live_server: LiveServer) -> dict[str, dict[str, Any]]:
    """Every notice of the default site, by language."""
    site = live_server.app.extensions["consent_sites"]["default"]
    return dict(site.notices)


def downloaded(responses: list[Any]) -> str:
    """Everything the banner downloaded (the page itself aside), as text."""
    return "\n".join(
        r.text() for r in responses if "/test-pages/" not in r.url and r.ok
    )


def assert_only_language(
    live_server: LiveServer, responses: list[Any], lang: str
) -> None:
    """The downloads hold the notice of ``lang`` and no other language's texts."""
    body = downloaded(responses)
    all_notices = notices(live_server)
    assert all_notices[lang]["notice"] in body
    mine = set(all_notices[lang]["texts"].values())
    for other, notice in all_notices.items():
        if other == lang:
            continue
        assert notice["notice"] not in body, f"{other} notice downloaded"
        # Texts of that language not shared with this one (a language still without
        # its translation shares the English fallback).
        own = {notice["texts"]["title"], notice["texts"]["acceptAll"]} - mine
        assert not [t for t in own if json.dumps(t)[1:-1] in body], other


def notice_requests(responses: list[Any]) -> list[str]:
    return [r.url for r in responses if "/notice" in r.url]


def test_austrian_page_in_an_austrian_browser_downloads_german_only(
    visit: Callable[..., tuple[Page, list[Any]]], live_server: LiveServer
) -> None:
    page, responses = visit("lang-de-at.html", locale="de-AT")
    expect(page.get_by_role("button", name=accept_all("de"))).to_be_visible()
    # banner.js came with the German notice: nothing else to fetch.
    assert notice_requests(responses) == []
    assert_only_language(live_server, responses, "de")


def test_a_page_naming_its_language_downloads_only_that_one(
    visit: Callable[..., tuple[Page, list[Any]]], live_server: LiveServer
) -> None:
    page, responses = visit("lang-de-named.html", locale="fr-FR")
    expect(page.get_by_role("button", name=accept_all("de"))).to_be_visible()
    assert notice_requests(responses) == []
    assert_only_language(live_server, responses, "de")


def test_page_lang_wins_over_the_browser_and_its_notice_is_recorded(
    visit: Callable[..., tuple[Page, list[Any]]],
    live_server: LiveServer,
    receipts: Callable[[], list[Any]],
) -> None:
    german = notices(live_server)["de"]
    third_party = next(c for c in german["categories"] if c["id"] == "third_party")
    page, responses = visit("lang-de-at.html", locale="en-US")
    button = page.get_by_role("button", name=accept_all("de"))
    expect(button).to_be_visible()
    # The German notice's first layer came alone, after banner.js (which inlined the
    # English one): one request, and none of the preferences' words.
    (fetched,) = notice_requests(responses)
    assert "lang=de&v=" in fetched and fetched.endswith("&part=first")
    assert third_party["description"] not in downloaded(responses)
    expect(page.get_by_role("button", name=accept_all("en"))).to_have_count(0)
    decide_and_confirm(page, button)
    (receipt,) = receipts()
    # The receipt names the whole notice of the language shown.
    assert (receipt.language, receipt.notice_hash) == ("de", german["notice"])


def test_the_preferences_of_a_fetched_language_fetch_its_whole_notice(
    visit: Callable[..., tuple[Page, list[Any]]], live_server: LiveServer
) -> None:
    german = notices(live_server)["de"]
    third_party = next(c for c in german["categories"] if c["id"] == "third_party")
    page, responses = visit("lang-de-at.html", locale="en-US")
    expect(page.get_by_role("button", name=accept_all("de"))).to_be_visible()
    page.get_by_role("button", name=text("de", "preferences")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(third_party["description"])).to_be_visible()
    first, whole = notice_requests(responses)
    assert first.endswith("&part=first")
    assert "lang=de&v=" in whole and "part=" not in whole


def test_brazilian_portuguese_page_gets_portuguese(
    visit: Callable[..., tuple[Page, list[Any]]], live_server: LiveServer
) -> None:
    page, responses = visit("lang-pt-br.html", locale="pt-BR")
    expect(page.get_by_role("button", name=accept_all("pt"))).to_be_visible()
    assert notice_requests(responses) == []
    assert_only_language(live_server, responses, "pt")


def test_a_language_the_site_lacks_gets_the_sites_default(
    visit: Callable[..., tuple[Page, list[Any]]], live_server: LiveServer
) -> None:
    page, responses = visit("lang-ja.html", locale="ja-JP")
    default = live_server.app.extensions["consent_sites"]["default"].config[
        "default_language"
    ]
    expect(page.get_by_role("button", name=accept_all(default))).to_be_visible()
    assert notice_requests(responses) == []
    assert_only_language(live_server, responses, default)


@pytest.mark.parametrize("locale,lang", [("fr-FR", "fr"), ("pl-PL", "pl")])
def test_a_page_without_lang_follows_the_browser(
    visit: Callable[..., tuple[Page, list[Any]]],
    live_server: LiveServer,
    locale: str,
    lang: str,
) -> None:
    page, responses = visit("no-lang.html", locale=locale)
    expect(page.get_by_role("button", name=accept_all(lang))).to_be_visible()
    assert notice_requests(responses) == []
    assert_only_language(live_server, responses, lang)


def test_a_returning_visit_sends_no_request(
    visit: Callable[..., tuple[Page, list[Any]]], server_hits: list[str]
) -> None:
    # The page's language is not the browser's: the German notice is fetched once.
    page, _ = visit("lang-de-at.html", locale="en-US")
    decide_and_confirm(page, page.get_by_role("button", name=accept_all("de")))
    assert any("/notice?lang=de" in hit for hit in server_hits)
    server_hits.clear()
    page.goto(page.url)  # the visitor comes back
    ready = page.evaluate("window.consent.ready")
    assert ready and ready["pending"] is False
    page.wait_for_function(CONFIRMED)
    expect(page.get_by_role("button", name=accept_all("de"))).to_have_count(0)
    # Only the page itself reached the server: banner.js and the notice came from the
    # browser's cache, and the decision from the cookie.
    assert [hit for hit in server_hits if "/test-pages/" not in hit] == []


def text(lang: str, key: str) -> str:
    return str(json.loads((TEXTS / f"{lang}.json").read_text("utf-8"))[key])


def test_the_preferences_fetch_the_whole_notice_once_and_record_it(
    visit: Callable[..., tuple[Page, list[Any]]],
    live_server: LiveServer,
    server_hits: list[str],
    receipts: Callable[[], list[Any]],
) -> None:
    german = notices(live_server)["de"]
    third_party = next(c for c in german["categories"] if c["id"] == "third_party")
    page, responses = visit("lang-de-at.html", locale="de-AT")
    expect(page.get_by_role("button", name=accept_all("de"))).to_be_visible()
    # The first visit downloads the first layer: no preferences' words.
    assert third_party["description"] not in downloaded(responses)
    assert notice_requests(responses) == []
    page.get_by_role("button", name=text("de", "preferences")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(third_party["description"])).to_be_visible()
    (fetched,) = notice_requests(responses)
    assert "lang=de&v=" in fetched
    dialog.get_by_role("button", name=text("de", "close")).click()
    expect(dialog).to_have_count(0)
    server_hits.clear()
    page.get_by_role("button", name=text("de", "preferences")).click()
    expect(dialog.get_by_text(third_party["description"])).to_be_visible()
    assert server_hits == []  # fetched once
    decide_and_confirm(page, dialog.get_by_role("button", name=text("de", "save")))
    (receipt,) = receipts()
    assert (receipt.language, receipt.notice_hash) == ("de", german["notice"])
