"""How the banner takes up the stored decision: no blocking read, unless asked."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import LiveServer, decide_and_confirm

PLAIN = "/test-pages/plain.html"
ASK_EARLY = "/test-pages/ask-early.html"

# Counts the page's document.cookie reads (the banner is the only script on PLAIN).
COUNT_COOKIE_READS = """
(() => {
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  window.__cookieReads = 0;
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true,
    get() { window.__cookieReads++; return desc.get.call(this); },
    set(v) { desc.set.call(this, v); },
  });
})();
"""


def test_starting_reads_no_cookie_synchronously(
    page: Page, live_server: LiveServer
) -> None:
    """The first document.cookie read blocks the main thread; cookieStore does not."""
    page.add_init_script(COUNT_COOKIE_READS)
    page.goto(live_server.url + PLAIN)
    accept = page.get_by_role("button", name="Accept all")
    expect(accept).to_be_visible()
    assert page.evaluate("window.__cookieReads") == 0

    decide_and_confirm(page, accept)
    page.reload()
    assert page.evaluate("window.consent.ready") is not None
    # The decision came back from the cookie, read without document.cookie.
    assert page.evaluate("window.consent.get().granted").count("persistent") == 1
    assert page.evaluate("window.__cookieReads") == 0
    expect(page.get_by_role("button", name="Accept all")).to_have_count(0)


def test_a_page_asking_at_once_gets_the_stored_decision(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + ASK_EARLY)
    assert page.evaluate("window.__early") == {"has": False, "get": None}
    decide_and_confirm(page, page.get_by_role("button", name="Accept all"))

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.reload()

    early = page.evaluate("window.__early")
    assert early["has"] is True
    assert early["get"]["pending"] is False
    assert "persistent" in early["get"]["granted"]
    page.evaluate("window.consent.ready")
    expect(page.get_by_role("button", name="Accept all")).to_have_count(0)
    assert not [u for u in requests if "/consents" in u]
