"""What a receipt proves, in Chromium: page code apart from visitors (issue #9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import CONFIRMED, LiveServer, is_consent_post

PAGE_CODE = "/test-pages/page-code.html"


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
