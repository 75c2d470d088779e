"""Staff UI: what a receipt names (banner build, policy text, user gesture) and the
statistics kept apart (issue #9)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from consent_server.archives import wait_for_archiving
from tests.api.helpers import Record, built_scripts

from .admin_fixtures import ui_sign_in

STATIC = Path(__file__).resolve().parents[2] / "static"


def _build(client: FlaskClient) -> str:
    first = client.get("/v1/sites/default/banner.js").data.split(b"\n", 1)[0]
    return str(
        json.loads(first.removeprefix(b"self.__consentSite=")[:-1])["banner_build"]
    )


def test_a_receipt_page_links_its_banner_build_as_text(
    client: FlaskClient, app: Flask, record: Record, tokens: dict[str, str]
) -> None:
    build = _build(client)
    wait_for_archiving(app)
    receipt = record(banner_build=build, layer="preferences").json["receipt"]
    ui_sign_in(client, tokens["auditor"])

    page = client.get(f"/admin/receipts/{receipt['id']}").get_data(as_text=True)

    assert f'href="/admin/banner-builds/{build}"' in page
    rv = client.get(f"/admin/banner-builds/{build}")
    assert rv.status_code == 200
    assert rv.mimetype == "text/plain"  # read, never run, in the staff origin
    assert rv.data == built_scripts()
    assert client.get(f"/admin/banner-builds/{'0' * 64}").status_code == 404


def test_a_page_scripts_decision_shows_whether_it_had_a_gesture(
    client: FlaskClient, record: Record, tokens: dict[str, str]
) -> None:
    all_on = {"persistent": True, "third_party": True}
    scripted = record(
        method="accept_all", layer="api", user_activation=False, choices=all_on
    ).json["receipt"]
    ui_sign_in(client, tokens["auditor"])
    page = client.get(f"/admin/receipts/{scripted['id']}").get_data(as_text=True)
    assert "without a user gesture" in page


def test_the_statistics_page_shows_refusals_and_page_code_apart(
    client: FlaskClient, record: Record, tokens: dict[str, str]
) -> None:
    none: dict[str, Any] = {"persistent": False, "third_party": False}
    record(method="reject_all", layer="first", choices=none)
    record(method="api", layer="api", user_activation=False, choices=none)
    ui_sign_in(client, tokens["auditor"])
    page = client.get("/admin/stats").get_data(as_text=True)
    assert "1 decision(s) by visitors" in page
    assert "1 first decision(s) refused every optional category" in page
    assert "1 decision(s) made by page scripts" in page


def test_a_receipt_page_links_the_policy_text_the_visitor_was_shown(
    client: FlaskClient, app: Flask, record: Record, tokens: dict[str, str]
) -> None:
    notice = client.get("/v1/sites/default/notice").json
    policy = client.get("/v1/sites/default/policy").data
    receipt = record().json["receipt"]
    wait_for_archiving(app)
    ui_sign_in(client, tokens["auditor"])

    page = client.get(f"/admin/receipts/{receipt['id']}").get_data(as_text=True)

    sha = notice["policy_sha256"]
    assert f'href="/admin/policies/{sha}"' in page
    rv = client.get(f"/admin/policies/{sha}")
    assert rv.status_code == 200
    assert rv.mimetype == "text/plain"  # read, never rendered, in the staff origin
    assert rv.data == policy
    assert client.get(f"/admin/policies/{'0' * 64}").status_code == 404


def test_staff_search_for_refusals_finds_only_them(
    client: FlaskClient, record: Record, tokens: dict[str, str]
) -> None:
    none: dict[str, Any] = {"persistent": False, "third_party": False}
    refused = record(method="reject_all", layer="first", choices=none).json
    granted = record(choices={"persistent": True, "third_party": False}).json
    ui_sign_in(client, tokens["auditor"])

    form = client.get("/admin/receipts").get_data(as_text=True)
    assert '<option value="refuse"' in form
    page = client.get("/admin/receipts?action=refuse").get_data(as_text=True)
    assert refused["receipt"]["id"] in page
    assert granted["receipt"]["id"] not in page
