"""Recorder integrations (issue #9, point 1): a staff token with role ``recorder``,
scoped to sites, records decisions for a site's own subject ids through the public
API, with ``method: api``; staff see its requests in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from consent_server.extensions import db
from consent_server.models import StaffToken
from tests.api.helpers import assert_problem, count_rows, verify
from tests.api.proof_fixtures import (
    ALL,
    NONE,
    SHOP,
    SOME,
    bearer,
    current_build,
    fixture_recorder,  # noqa: F401 - the fixture
    fixture_shop_file,  # noqa: F401 - the fixture
    looked_up,
    make_token,
    notice_hash,
)

pytestmark = pytest.mark.usefixtures("shop_file")

CUSTOMER = "alice@example.com"
CONSENTS = "/v1/sites/default/consents"


def _record_for(
    client: FlaskClient,
    headers: dict[str, str],
    choices: dict[str, bool] = SOME,
    subject: str = CUSTOMER,
    **fields: Any,
) -> Any:
    """POST a decision the way an integration does: method and layer ``api``."""
    body = {
        "subject": subject,
        "notice": notice_hash(client),
        "choices": choices,
        "method": "api",
        "layer": "api",
        **fields,
    }
    return client.post(CONSENTS, json=body, headers=headers)


def _token_names(app: Flask) -> list[str]:
    with app.app_context():
        names = sorted(db.session.scalars(select(StaffToken.name)))
        db.session.remove()
    return names


def test_a_recorder_records_a_decision_for_the_sites_own_subject_id(
    client: FlaskClient, recorder: dict[str, str]
) -> None:
    rv = _record_for(client, recorder)

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    receipt = rv.json["receipt"]
    assert receipt["subject"] == CUSTOMER
    assert receipt["method"] == "api" and receipt["layer"] == "api"
    assert receipt["action"] == "grant"
    assert receipt["banner_build"] is None
    assert receipt["previous"] is None
    claims = verify(client, rv.json["token"])
    assert claims["valid"] is True and claims["receipt"]["subject"] == CUSTOMER
    assert looked_up(client, CUSTOMER)["id"] == receipt["id"]


def test_a_recorder_records_later_decisions_without_a_subject_token(
    client: FlaskClient, recorder: dict[str, str], app: Flask
) -> None:
    first = _record_for(client, recorder, ALL)
    assert first.status_code == 201

    rv = _record_for(client, recorder, NONE)

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["previous"] == first.json["receipt"]["id"]
    assert rv.json["receipt"]["action"] == "withdraw"
    assert looked_up(client, CUSTOMER)["id"] == rv.json["receipt"]["id"]
    assert count_rows(app)[0] == 2


def test_a_recorder_of_another_site_may_not_record(
    client: FlaskClient, app: Flask
) -> None:
    shop_recorder = bearer(make_token(app, "shop-crm", "recorder", [SHOP]))

    rv = _record_for(client, shop_recorder)

    body = assert_problem(rv, 403, "forbidden")
    assert "default" in body["detail"]
    assert count_rows(app)[0] == 0


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_reading_staff_may_not_record(
    client: FlaskClient, app: Flask, tokens: dict[str, str], role: str
) -> None:
    rv = _record_for(client, bearer(tokens[role]))

    assert_problem(rv, 403, "forbidden")
    assert count_rows(app)[0] == 0


def _revoked(app: Flask) -> str:
    token = make_token(app, "old-crm", "recorder", ["default"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["consent", "token", "revoke", "old-crm"]).exit_code == 0
    return token


@pytest.mark.parametrize("kind", ["unknown", "malformed", "revoked"])
def test_an_invalid_bearer_token_is_a_401_with_a_challenge(
    client: FlaskClient, app: Flask, kind: str
) -> None:
    """Not a silent fall-back to an anonymous decision either."""
    token = {
        "unknown": lambda: "cst_" + "A" * 43,
        "malformed": lambda: "not-a-staff-token",
        "revoked": lambda: _revoked(app),
    }[kind]()

    rv = _record_for(
        client, bearer(token), subject="0b5e7f0c-58c4-4bd2-9a56-7d0b4c3e1f00"
    )

    assert_problem(rv, 401, "unauthorized")
    challenge = rv.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert count_rows(app)[0] == 0


def test_a_recorder_names_no_banner_build(
    client: FlaskClient, recorder: dict[str, str], app: Flask
) -> None:
    """Decisions recorded from the API have no build (issue #9, point 5)."""
    rv = _record_for(client, recorder, banner_build=current_build(client))

    body = assert_problem(rv, 422, "validation-error")
    assert "banner_build" in body["errors"]
    assert count_rows(app)[0] == 0


@pytest.mark.parametrize(
    "change",
    [
        {"method": "custom"},
        {"method": "accept_all", "choices": ALL},
        {"method": "reject_all", "choices": NONE},
        {"layer": "preferences"},
        {"layer": "first"},
    ],
    ids=["custom", "accept_all", "reject_all", "preferences", "first"],
)
def test_a_recorder_records_with_method_and_layer_api(
    client: FlaskClient, recorder: dict[str, str], app: Flask, change: dict[str, Any]
) -> None:
    """An integration did not show the banner: it says so."""
    rv = _record_for(client, recorder, **change)

    body = assert_problem(rv, 422, "validation-error")
    assert set(body["errors"]) & {"method", "layer"}
    assert count_rows(app)[0] == 0


def test_a_recorders_requests_are_in_the_audit_log(
    client: FlaskClient, app: Flask, recorder: dict[str, str], admin: dict[str, str]
) -> None:
    assert _record_for(client, recorder).status_code == 201
    assert _record_for(client, recorder, method="custom").status_code == 422
    shop_recorder = bearer(make_token(app, "shop-crm", "recorder", [SHOP]))
    assert _record_for(client, shop_recorder).status_code == 403
    visitor = client.post(
        CONSENTS, json={"notice": notice_hash(client), "choices": SOME}
    )
    assert visitor.status_code == 201

    rv = client.get("/v1/admin/audit?limit=100", headers=admin)

    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    recorded = [
        (e["token_name"], e["role"], e["interface"], e["method"], e["status"])
        for e in rv.json["items"]
        if e["path"] == CONSENTS
    ]
    assert sorted(recorded) == [
        ("crm-sync", "recorder", "api", "POST", 201),
        ("crm-sync", "recorder", "api", "POST", 422),
        ("shop-crm", "recorder", "api", "POST", 403),
    ]  # and no entry for the anonymous visitor: visitors are not staff


def test_a_recorder_may_not_read_the_staff_api(
    client: FlaskClient, recorder: dict[str, str]
) -> None:
    for path in ("/v1/admin/receipts", "/v1/admin/stats", "/v1/admin/audit"):
        assert_problem(client.get(path, headers=recorder), 403, "forbidden")


# --- creating recorder tokens ---------------------------------------------------------


def test_the_cli_creates_a_recorder_for_its_sites(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    create = "consent token create --name crm --role recorder --site default --site"
    result = runner.invoke(args=[*create.split(), SHOP])

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("cst_") and "recorder" in result.stderr
    assert _record_for(client, bearer(token)).status_code == 201
    listed = client.get(
        "/v1/admin/tokens", headers=bearer(make_token(app, "root", "admin", None))
    ).json
    assert [t["sites"] for t in listed if t["name"] == "crm"] == [["default", SHOP]]


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "crm", "--role", "recorder"],
        ["--name", "crm", "--role", "auditor", "--site", "default"],
        ["--name", "crm", "--role", "admin", "--site", "default"],
        ["--name", "crm", "--role", "recorder", "--site", "nowhere"],
    ],
    ids=[
        "recorder-without-sites",
        "auditor-with-sites",
        "admin-with-sites",
        "unknown-site",
    ],
)
def test_the_cli_refuses_sites_that_do_not_fit_the_role(
    app: Flask, runner: FlaskCliRunner, args: list[str]
) -> None:
    result = runner.invoke(args=["consent", "token", "create", *args])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "sites" in result.stderr
    assert _token_names(app) == []


def test_the_tokens_api_creates_a_recorder(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    rv = client.post(
        "/v1/admin/tokens",
        json={"name": "crm", "role": "recorder", "sites": ["default"]},
        headers=admin,
    )

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    assert rv.json["role"] == "recorder" and rv.json["sites"] == ["default"]
    assert _record_for(client, bearer(rv.json["token"])).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"role": "recorder"},
        {"role": "recorder", "sites": []},
        {"role": "auditor", "sites": ["default"]},
        {"role": "admin", "sites": ["default"]},
        {"role": "recorder", "sites": ["nowhere"]},
    ],
    ids=[
        "no-sites",
        "empty-sites",
        "auditor-with-sites",
        "admin-with-sites",
        "unknown",
    ],
)
def test_the_tokens_api_refuses_sites_that_do_not_fit_the_role(
    client: FlaskClient, app: Flask, admin: dict[str, str], body: dict[str, Any]
) -> None:
    before = _token_names(app)

    rv = client.post("/v1/admin/tokens", json={"name": "crm", **body}, headers=admin)

    problem = assert_problem(rv, 422, "validation-error")
    assert "sites" in problem["errors"]
    assert _token_names(app) == before


def test_a_second_active_token_of_one_name_is_a_409(
    client: FlaskClient, app: Flask, admin: dict[str, str]
) -> None:
    body = {"name": "crm", "role": "recorder", "sites": ["default"]}
    first = client.post("/v1/admin/tokens", json=body, headers=admin)
    assert first.status_code == 201

    rv = client.post("/v1/admin/tokens", json={**body, "sites": [SHOP]}, headers=admin)

    problem = assert_problem(rv, 409, "conflict")
    assert "crm" in problem["detail"]
    assert _token_names(app).count("crm") == 1
    revoked = client.delete(f"/v1/admin/tokens/{first.json['id']}", headers=admin)
    assert revoked.status_code == 200
    again = client.post("/v1/admin/tokens", json=body, headers=admin)
    assert again.status_code == 201


@pytest.mark.parametrize("named", [True, False], ids=["subject", "no-subject"])
def test_a_recorder_is_not_handed_a_visitors_receipt_by_its_id(
    client: FlaskClient, app: Flask, recorder: dict[str, str], named: bool
) -> None:
    """A page script's decision (layer and method ``api``), as the lookup shows it."""
    visitor = client.post(
        CONSENTS,
        json={
            "subject": "0b5e7f0c-58c4-4bd2-9a56-7d0b4c3e1f00",
            "notice": notice_hash(client),
            "choices": SOME,
            "method": "api",
            "layer": "api",
            "user_activation": True,
        },
        headers={"Origin": "https://shop.example", "User-Agent": "Firefox/128.0"},
    )
    assert visitor.status_code == 201
    seen = looked_up(client, visitor.json["receipt"]["subject"])
    body = {k: seen[k] for k in ("id", "notice", "choices", "method", "layer")}
    if named:
        body["subject"] = seen["subject"]

    rv = client.post(CONSENTS, json=body, headers=recorder)

    assert_problem(rv, 409, "reused-key")
    text = rv.get_data(as_text=True)
    assert visitor.json["token"] not in text and "Firefox" not in text
    assert count_rows(app)[0] == 1
