"""Issue #11 in Chromium: what the banner tells before consent, services, rights,
accessibility (lang, focus not obscured, target sizes, axe), withdrawal taking effect,
the receipt download."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .axe_check import check_both_layers
from .conftest import LiveServer, decide_and_confirm, ran, write_site_file

ROOT = Path(__file__).resolve().parents[2]
SERVICES = "/test-pages/services.html"
CONTROLS = "/test-pages/controls.html"
EN = json.loads((ROOT / "consent_server/banner_texts/en.json").read_text("utf-8"))

CONTROLLER = {
    "name": "Example Shop GmbH",
    "contact": "Data protection team",
    "address": None,
    "email": "dpo@shop.example",
}


def _category(cid: str, title: str, **more: Any) -> dict[str, Any]:
    texts = {"en": {"title": title, "description": f"What {title} is for."}}
    return {"id": cid, "texts": texts, **more}


def _service(sid: str, name: str, country: str, **more: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "name": name,
        "provider": f"{name} Ltd",
        "country": country,
        "privacy_url": f"https://{sid}.example/privacy",
        "texts": {"en": {"purpose": f"{name} purpose."}},
        **more,
    }


# A site whose third-party category lists two services: one in the EU, one outside.
SITE: dict[str, Any] = {
    "controller": CONTROLLER,
    "gpc_categories": ["third_party"],
    "categories": [
        _category("session", "Necessary", required=True),
        _category(
            "third_party",
            "Third parties",
            services=[
                _service(
                    "analytics",
                    "Stats",
                    "DE",
                    cookies=[{"pattern": r"^_pk_id\.", "party": "first"}],
                    consent_mode=["analytics_storage"],
                ),
                _service(
                    "video",
                    "Clips",
                    "US",
                    cookies=[{"name": "vid", "party": "first"}],
                ),
            ],
            third_parties=[
                {
                    "name": "Audit Partner",
                    "url": "https://ap.example/p",
                    "country": "CH",
                }
            ],
        ),
    ],
}


@pytest.fixture
def site(
    make_live_server: Callable[[dict[str, Any]], LiveServer],
    live_config: dict[str, Any],
    tmp_path: Path,
) -> LiveServer:
    # A policy the service serves: the banner links to it (no policy: no link).
    (tmp_path / "policy.md").write_text("# Privacy\n\nWhat the shop keeps.\n")
    site_file = write_site_file(
        tmp_path / "sites.json", **SITE, policy_file="policy.md"
    )
    return make_live_server({**live_config, "CONSENT_SITES_FILE": str(site_file)})


@pytest.fixture
def site_receipts(site: LiveServer) -> Callable[[], list[Any]]:
    from consent_server.extensions import db
    from consent_server.models import Receipt

    def _receipts() -> list[Any]:
        with site.app.app_context():
            rows = db.session.scalars(db.select(Receipt).order_by(Receipt.created_at))
            out = list(rows.all())
            db.session.expunge_all()
            return out

    return _receipts


def _notice(server: LiveServer, lang: str = "en") -> dict[str, Any]:
    with server.app.test_client() as client:
        answer = client.get(f"/v1/sites/default/notice?lang={lang}")
        assert answer.status_code == 200
        notice: dict[str, Any] = answer.get_json()
        return notice


def _banner(page: Page) -> Any:
    return page.get_by_role("region", name=EN["title"])


def _dialog(page: Page) -> Any:
    return page.get_by_role("dialog", name=EN["settings"])


# --- first layer ----------------------------------------------------------------------


def test_first_layer_names_the_controller_and_links_policy_and_declaration(
    page: Page, site: LiveServer
) -> None:
    notice = _notice(site)
    page.goto(site.url + SERVICES)
    banner = _banner(page)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(CONTROLLER["name"])
    expect(banner).to_contain_text(notice["texts"]["purposes"])
    policy = banner.get_by_role("link", name=EN["policyLink"])
    declaration = banner.get_by_role("link", name=EN["declarationLink"])
    # Paths in the notice are resolved against the origin the banner script came from.
    expect(policy).to_have_attribute("href", site.url + notice["links"]["policy"])
    expect(declaration).to_have_attribute(
        "href", site.url + "/v1/sites/default/cookies"
    )
    # The declaration link opens the declaration, in the visitor's language.
    declaration.click()
    page.wait_for_url("**/v1/sites/default/cookies*")
    expect(page.get_by_role("heading", name=EN["declarationTitle"])).to_be_visible()


def test_links_resolve_against_the_banner_scripts_origin_not_the_page(
    page: Page, site: LiveServer
) -> None:
    # A shop on another origin (another port of the loopback address, so Chromium lets
    # it load the script) embeds the consent server's banner.
    html = (
        '<!doctype html><html lang="en"><head><title>Shop</title>'
        f'<script src="{site.url}/v1/sites/default/banner.js"></script>'
        "</head><body><h1>Shop</h1></body></html>"
    ).encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:
            pass

    shop = HTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{shop.server_port}/")
        banner = _banner(page)
        links = {
            EN["declarationLink"]: "/v1/sites/default/cookies",
            EN["policyLink"]: "/v1/sites/default/policy",
        }
        for name, path in links.items():
            expect(banner.get_by_role("link", name=name)).to_have_attribute(
                "href", site.url + path
            )
    finally:
        shop.shutdown()
        shop.server_close()


@pytest.mark.parametrize("locale", ["en-GB", "de-DE"])
def test_banner_root_carries_the_notice_language(
    browser: Browser, site: LiveServer, locale: str
) -> None:
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(site.url + SERVICES)
        host = page.locator("[data-consent-ui]")
        expect(host.get_by_role("button").first).to_be_visible()
        expect(host).to_have_attribute("lang", locale[:2])
    finally:
        context.close()


# --- services -------------------------------------------------------------------------


def test_a_service_on_its_own_is_recorded_at_both_levels_and_gates_its_script(
    page: Page, site: LiveServer, site_receipts: Callable[[], list[Any]]
) -> None:
    page.goto(site.url + SERVICES)
    _banner(page).get_by_role("button", name=EN["preferences"]).click()
    dialog = _dialog(page)
    whole = dialog.get_by_role("switch", name="Third parties")
    stats = dialog.get_by_role("switch", name="Stats")
    clips = dialog.get_by_role("switch", name="Clips")
    # The category's switch allows it whole, and takes its services with it.
    whole.check()
    expect(stats).to_be_checked()
    expect(clips).to_be_checked()
    clips.uncheck()
    expect(whole).not_to_be_checked()
    expect(stats).to_be_checked()
    decide_and_confirm(page, dialog.get_by_role("button", name=EN["save"]))

    [receipt] = site_receipts()
    assert receipt.choices == {
        "session": True,
        "third_party": False,
        "analytics": True,
        "video": False,
    }
    # Gating names a service as well as a category.
    page.wait_for_function("() => window.analyticsRan === 1")
    assert ran(page, "videoRan") is None and ran(page, "thirdPartyRan") is None
    assert page.evaluate("[consent.has('analytics'), consent.has('video')]") == [
        True,
        False,
    ]
    assert page.evaluate("consent.has('third_party')") is False

    # The page's own code allows the category whole: the other service runs too.
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.evaluate("consent.update({third_party: true})")
    assert info.value.status == 201
    page.wait_for_function("() => window.videoRan === 1 && window.thirdPartyRan === 1")
    assert page.evaluate("window.analyticsRan") == 1  # not run twice
    assert site_receipts()[-1].choices == {
        "session": True,
        "third_party": True,
        "analytics": True,
        "video": True,
    }


def test_preferences_show_services_recipients_kept_and_rights(
    page: Page, site: LiveServer
) -> None:
    notice = _notice(site)
    page.goto(site.url + SERVICES)
    _banner(page).get_by_role("button", name=EN["preferences"]).click()
    dialog = _dialog(page)
    expect(dialog).to_be_visible()
    for text in (
        "Stats Ltd",
        "Clips Ltd",
        "Stats purpose.",
        "Audit Partner",
        notice["countries"]["DE"],
        notice["countries"]["US"],
        notice["countries"]["CH"],
        EN["insideEU"],
        EN["outsideEU"],
        EN["keptTitle"],
        notice["kept"]["consent"],
        notice["kept"]["refusal"],
        EN["rightsTitle"],
        EN["rightComplaint"],
        CONTROLLER["name"],
    ):
        expect(dialog).to_contain_text(text)
    for key in (
        "rightAccess",
        "rightRectification",
        "rightErasure",
        "rightRestriction",
        "rightObjection",
        "rightPortability",
        "rightWithdrawal",
    ):
        expect(dialog.get_by_role("listitem").filter(has_text=EN[key])).to_have_count(1)
    expect(dialog.get_by_role("link", name=CONTROLLER["email"])).to_have_attribute(
        "href", "mailto:" + CONTROLLER["email"]
    )
    # Both services' privacy links and the other recipient's.
    expect(dialog.get_by_role("link", name=EN["providerPolicy"])).to_have_count(3)
    # The banner's own storage is declared under the required category.
    dialog.locator("summary").first.click()
    table = dialog.get_by_role("table").first
    for column in ("cookieName", "kind", "provider", "purpose", "duration", "party"):
        expect(table.get_by_role("columnheader", name=EN[column])).to_be_visible()
    for name in ("consent", "consent_q", "consent:queue:default"):
        expect(table.get_by_role("rowheader", name=name, exact=True)).to_be_visible()
    expect(table).to_contain_text(EN["kindLocalStorage"])
    expect(table).to_contain_text(EN["ownCookiePurpose"])


# --- accessibility --------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en-GB", "de-DE", "el-GR", "mt-MT"])
def test_axe_finds_nothing_on_either_layer(
    browser: Browser, site: LiveServer, locale: str
) -> None:
    lang = locale[:2]
    if lang not in _notice(site, lang)["languages"]:
        pytest.fail(f"the site has no {lang} notice")
    check_both_layers(browser, site.url + SERVICES, locale, lang)


def test_focused_page_controls_stay_above_the_first_layer(
    browser: Browser, site: LiveServer
) -> None:
    context = browser.new_context(viewport={"width": 800, "height": 480})
    try:
        page = context.new_page()
        page.goto(site.url + CONTROLS)
        banner = _banner(page)
        expect(banner).to_be_visible()
        top = banner.bounding_box()["y"]  # type: ignore[index]
        controls = page.locator("body > p a, body > p button, body > p input")
        count = controls.count()
        assert count == 7
        # Without help some would be hidden: the test is not vacuous.
        under = [b["y"] + b["height"] > top for b in map(_box, controls.all())]
        assert any(under)
        seen = 0
        for _ in range(count + 8):
            page.keyboard.press("Tab")
            inside_banner = page.evaluate(
                "document.activeElement?.matches('[data-consent-ui]')"
            )
            if inside_banner:
                continue
            rect = page.evaluate(
                "(() => { const r = document.activeElement.getBoundingClientRect();"
                " return [r.top, r.bottom]; })()"
            )
            top = banner.bounding_box()["y"]  # type: ignore[index]
            assert rect[1] <= top, (
                page.evaluate("document.activeElement.outerHTML"),
                rect,
                top,
            )
            seen += 1
            if seen == count:
                break
        assert seen == count
    finally:
        context.close()


def _box(locator: Any) -> dict[str, float]:
    box: dict[str, float] = locator.bounding_box()
    return box


# Buttons, switches, links, summaries and the dialog's close button: at least 24 x 24.
TARGETS = """
() => [...document.querySelector('[data-consent-ui]').shadowRoot
    .querySelectorAll('a, button, input, summary')]
  .filter((e) => e.getClientRects().length)
  .map((e) => { const r = e.getBoundingClientRect();
                return [e.textContent || e.name, r.width, r.height]; })
"""


def test_every_target_is_at_least_24_px(page: Page, site: LiveServer) -> None:
    page.goto(site.url + SERVICES)
    expect(_banner(page)).to_be_visible()
    first = page.evaluate(TARGETS)
    assert len(first) == 5  # three buttons, two links
    _banner(page).get_by_role("button", name=EN["preferences"]).click()
    expect(_dialog(page)).to_be_visible()
    for summary in _dialog(page).locator("summary").all():
        summary.click()
    second = page.evaluate(TARGETS)
    assert len(second) > 10
    small = [t for t in first + second if t[1] < 24 or t[2] < 24]
    assert small == []
    close = _dialog(page).get_by_role("button", name=EN["close"]).bounding_box()
    assert close and close["width"] >= 24 and close["height"] >= 24


# --- withdrawal and the receipt -------------------------------------------------------


def test_withdrawal_reloads_the_page_and_clears_the_withdrawn_cookies(
    page: Page, site: LiveServer, site_receipts: Callable[[], list[Any]]
) -> None:
    page.goto(site.url + SERVICES)
    decide_and_confirm(page, _banner(page).get_by_role("button", name=EN["acceptAll"]))
    page.wait_for_function("() => window.videoRan === 1")
    page.context.add_cookies(
        [{"name": n, "value": "1", "url": site.url} for n in ("vid", "_pk_id.1a")]
    )
    page.evaluate("window.beforeWithdrawal = true")
    page.locator("body > button[data-consent-open]").click()
    dialog = _dialog(page)
    dialog.get_by_role("switch", name="Clips").uncheck()
    with page.expect_event("load"):
        dialog.get_by_role("button", name=EN["save"]).click()
    # A new page: the video script that ran before does not run again.
    assert page.evaluate("window.beforeWithdrawal ?? null") is None
    page.wait_for_function("() => window.consent.get()?.pending === false")
    assert ran(page, "videoRan") is None and ran(page, "analyticsRan") == 1
    names = {c["name"] for c in page.context.cookies()}
    assert "vid" not in names and "_pk_id.1a" in names
    first, second = site_receipts()
    assert second.previous_id == first.id
    assert second.choices["video"] is False and second.choices["analytics"] is True


def test_a_site_may_turn_the_reload_off(
    page: Page,
    make_live_server: Callable[[dict[str, Any]], LiveServer],
    live_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    site_file = write_site_file(
        tmp_path / "sites.json", **SITE, reload_on_withdraw=False
    )
    server = make_live_server({**live_config, "CONSENT_SITES_FILE": str(site_file)})
    page.goto(server.url + SERVICES)
    decide_and_confirm(page, _banner(page).get_by_role("button", name=EN["acceptAll"]))
    page.evaluate("window.beforeWithdrawal = true")
    page.locator("body > button[data-consent-open]").click()
    decide_and_confirm(page, _dialog(page).get_by_role("button", name=EN["rejectAll"]))
    assert page.evaluate("window.beforeWithdrawal") is True


def test_download_my_receipt_asks_the_server_with_the_subjects_token(
    page: Page, site: LiveServer
) -> None:
    page.goto(site.url + SERVICES)
    decide_and_confirm(page, _banner(page).get_by_role("button", name=EN["rejectAll"]))
    record = page.evaluate("consent.get()")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "consent")
    asked: list[Any] = []

    def answer(route: Any) -> None:
        asked.append(route.request)
        route.fulfill(status=200, content_type="application/json", body='{"ok": 1}')

    page.route("**/v1/receipts/*/file", answer)
    page.locator("body > button[data-consent-open]").click()
    with page.expect_download() as info:
        _dialog(page).get_by_role("button", name=EN["downloadReceipt"]).click()
    assert info.value.suggested_filename == f"consent-receipt-{record['receipt']}.json"
    [request] = asked
    assert request.url == f"{site.url}/v1/receipts/{record['receipt']}/file"
    assert request.headers["x-consent-token"] == token
