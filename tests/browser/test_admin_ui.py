"""Staff web UI in Chromium: sign-in, search, receipt, export, erasure, stats."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from consent_server.admin import ui_session
from consent_server.staff import create_token

from .conftest import LiveServer

# pytest 9 deprecates pytest-base-url's session fixture style; not ours to fix here.

# Random UUIDs, as the banner makes them (other subject ids need a recorder token).
SUBJECT = "0b7c2f4e-5d1a-4c3b-9e8f-1a2b3c4d5e6f"
KEEP = "6f5e4d3c-2b1a-4f9e-8d7c-6b5a4f3e2d1c"
THIRD = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


@pytest.fixture
def staff(live_server: LiveServer) -> dict[str, Any]:
    """Tokens and five receipts on a live server."""
    app = live_server.app
    client = app.test_client()
    notice = client.get("/v1/sites/default/notice?lang=en").json
    ids = []
    tokens: dict[str, str] = {}  # a subject's later decisions carry its token
    for subject, choices, method in [
        (SUBJECT, {"persistent": True, "third_party": True}, "accept_all"),
        (SUBJECT, {"persistent": False, "third_party": False}, "reject_all"),
        (KEEP, {"persistent": True, "third_party": False}, "custom"),
        (KEEP, {"persistent": True, "third_party": True}, "accept_all"),
        (THIRD, {"persistent": False, "third_party": False}, "reject_all"),
    ]:
        rv = client.post(
            "/v1/sites/default/consents",
            json={
                "subject": subject,
                "notice": notice["notice"],
                "choices": choices,
                "method": method,
                "layer": "first",
                **({"token": tokens[subject]} if subject in tokens else {}),
            },
            headers={"User-Agent": "Mozilla/5.0 Firefox/128.0"},
        )
        assert rv.status_code == 201, rv.json
        ids.append(rv.json["receipt"]["id"])
        tokens[subject] = rv.json["token"]
    with app.app_context():
        _, admin = create_token("alice", "admin")
        _, auditor = create_token("bob", "auditor")
    return {"url": live_server.url, "admin": admin, "auditor": auditor, "ids": ids}


@pytest.fixture
def csp_errors(page: Page) -> Iterator[list[str]]:
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    yield errors
    assert errors == []


def sign_in(page: Page, base: str, token: str) -> None:
    page.goto(base + "/admin/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Staff token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Receipts", exact=True)).to_be_visible()


def test_sign_in_search_open_receipt_and_sign_out(
    page: Page, staff, csp_errors
) -> None:
    base = staff["url"]
    # Keyboard only: skip link, then the token field, then Enter.
    page.goto(base + "/admin/receipts")
    expect(page.get_by_text("Sign in to continue.")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Staff token")).to_be_focused()
    page.keyboard.type(staff["auditor"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Receipts", exact=True)).to_be_visible()
    table = page.get_by_role("table", name="Matching receipts, newest first")
    expect(table.get_by_role("row")).to_have_count(6)

    page.get_by_label("Category", exact=True).select_option("third_party")
    page.get_by_label("Category was").select_option("false")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"category=third_party"))
    expect(table.get_by_role("row")).to_have_count(4)  # header + 3 refusals

    page.get_by_label("Subject").fill(KEEP)
    page.get_by_role("button", name="Search").click()
    expect(table.get_by_role("row")).to_have_count(2)
    receipt_id = staff["ids"][2]
    page.get_by_role("link", name=f"Open receipt {receipt_id}").click()
    expect(page.get_by_role("heading", name=f"Receipt {receipt_id}")).to_be_visible()
    expect(page.get_by_text("Verified: the signature")).to_be_visible()
    notice = page.get_by_role("table", name="Categories of the notice")
    expect(notice.get_by_role("row")).to_have_count(4)
    expect(notice).to_contain_text("Third-party cookies")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(base + "/admin/receipts")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_bad_filters_and_a_wrong_token_get_readable_messages(
    page: Page, staff, csp_errors
) -> None:
    base = staff["url"]
    page.goto(base + "/admin/sign-in")
    page.get_by_label("Staff token").fill("cst_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That token is not valid or has been revoked."
    )
    sign_in(page, base, staff["auditor"])
    page.get_by_label("From (UTC date, inclusive)").fill("2026-02-01")
    page.get_by_label("Before (UTC date, exclusive)").fill("2026-01-01")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("until: Must be after 'since'.")
    response = page.goto(base + "/admin/receipts?cursor=forged")
    assert response is not None and response.status == 422
    expect(page.get_by_role("alert")).to_contain_text(
        "The cursor is not one this server made."
    )


def test_download_an_export(page: Page, staff, csp_errors) -> None:
    sign_in(page, staff["url"], staff["auditor"])
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_role("button", name="Search").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == [staff["ids"][1], staff["ids"][0]]
    assert {r["subject"] for r in rows} == {SUBJECT}


def test_erase_a_subject_as_admin(page: Page, staff, csp_errors) -> None:
    sign_in(page, staff["url"], staff["admin"])
    page.get_by_role("link", name="Subjects").click()
    page.get_by_label("Subject id").fill(SUBJECT)
    page.get_by_role("button", name="Show history").click()
    expect(
        page.get_by_role(
            "table", name="Receipts of this subject, oldest first"
        ).get_by_role("row")
    ).to_have_count(3)
    page.get_by_role("link", name="Erase this subject…").click()
    expect(page.get_by_role("heading", name="Erase this subject?")).to_be_visible()
    page.get_by_role("button", name="Erase permanently").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Erased: 2 receipt(s) anonymized"
    )
    page.get_by_label("Subject id").fill(SUBJECT)
    page.get_by_role("button", name="Show history").click()
    expect(page.get_by_role("alert")).to_contain_text("it was erased on")
    page.get_by_role("link", name="Receipts", exact=True).click()
    expect(page.get_by_text(SUBJECT)).to_have_count(0)
    page.get_by_role("link", name="Audit log").click()
    # The log names subjects by a keyed hash only, never by their id.
    expect(
        page.get_by_role("table", name="Staff requests, newest first")
    ).to_contain_text("/admin/subjects?subject=#")
    expect(page.get_by_text(SUBJECT)).to_have_count(0)


def test_auditor_sees_no_erase_button_and_cannot_forge_one(
    page: Page, staff, csp_errors
) -> None:
    base = staff["url"]
    sign_in(page, base, staff["auditor"])
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    page.goto(f"{base}/admin/subjects?subject={SUBJECT}")
    expect(page.get_by_role("heading", name=f"History of {SUBJECT}")).to_be_visible()
    expect(page.get_by_role("link", name="Erase this subject…")).to_have_count(0)
    expect(page.get_by_role("button", name="Erase permanently")).to_have_count(0)

    response = page.goto(f"{base}/admin/subjects/erase?subject={SUBJECT}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("may not erase subjects")
    page.goto(base + "/admin/receipts")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = page.request.post(
        f"{base}/admin/subjects/erase", form={"csrf_token": csrf, "subject": SUBJECT}
    )
    assert forged.status == 403
    no_csrf = page.request.post(
        f"{base}/admin/subjects/erase", form={"subject": SUBJECT}
    )
    assert no_csrf.status == 400
    assert "not sent from this page" in no_csrf.text()
    page.goto(f"{base}/admin/subjects?subject={SUBJECT}")
    expect(
        page.get_by_role(
            "table", name="Receipts of this subject, oldest first"
        ).get_by_role("row")
    ).to_have_count(3)


def test_statistics_chart_is_drawn(page: Page, staff, csp_errors) -> None:
    sign_in(page, staff["url"], staff["auditor"])
    page.get_by_role("link", name="Statistics").click()
    chart = page.get_by_role("img", name="Opt-in rate per category and day")
    expect(chart).to_be_visible()
    for category in ("persistent", "third_party"):
        expect(chart.locator(f"g[data-category={category}] circle")).to_have_count(1)
    # Required categories are always 100 %: no line for them.
    expect(chart.locator("g[data-category=session]")).to_have_count(0)
    expect(page.get_by_text("5 decision(s)")).to_be_visible()
    table = page.get_by_role("table", name="Per day and category")
    expect(table).to_contain_text("persistent: 3/5 (60 %)")
    expect(table).to_contain_text("third_party: 2/5 (40 %)")


def test_expired_session_asks_to_sign_in_again(page: Page, staff, monkeypatch) -> None:
    sign_in(page, staff["url"], staff["auditor"])
    monkeypatch.setattr(ui_session, "IDLE_SECONDS", -1)
    response = page.goto(staff["url"] + "/admin/stats")
    assert response is not None and response.status == 200
    expect(page.get_by_text("Your session has expired. Sign in again.")).to_be_visible()
    expect(page.get_by_label("Staff token")).to_be_visible()
