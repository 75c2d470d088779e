"""Staff access: tokens (CLI, API), authentication, roles, CSRF, audit log, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from consent_server.extensions import db
from consent_server.models import StaffToken
from consent_server.staff import hash_token

from .admin_fixtures import bearer, ui_sign_in

PROBLEM = "application/problem+json"


def assert_sign_in_page(rv: Any) -> None:
    """Signed out, a staff page answers the sign-in form as a page of its own."""
    assert rv.status_code == 200 and rv.mimetype == "text/html"
    assert 'name="token"' in rv.get_data(as_text=True)


ROUTES = [
    ("get", "/v1/admin/receipts"),
    ("get", "/v1/admin/receipts/export"),
    ("get", "/v1/admin/receipts/0b1f7a52-1111-4222-8333-444455556666"),
    ("get", "/v1/admin/subjects/someone"),
    ("delete", "/v1/admin/subjects/someone"),
    ("get", "/v1/admin/stats"),
    ("get", "/v1/admin/audit"),
    ("get", "/v1/admin/tokens"),
    ("post", "/v1/admin/tokens"),
    ("delete", "/v1/admin/tokens/1"),
    ("get", f"/v1/admin/banner-builds/{'a' * 64}"),
    ("get", f"/v1/admin/policies/{'b' * 64}"),
]
ADMIN_ONLY = {
    ("delete", "/v1/admin/subjects/someone"),
    ("get", "/v1/admin/audit"),
    ("get", "/v1/admin/tokens"),
    ("post", "/v1/admin/tokens"),
    ("delete", "/v1/admin/tokens/1"),
}


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer cst_not-a-real-token",
        "Basic YWxpY2U6c2VjcmV0",
        "cst_x",
        "Bearer " + "a" * 5000,
    ],
)
def test_every_route_needs_a_valid_token(
    client: FlaskClient, tokens, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    rv = getattr(client, method)(
        path, headers=headers, json={} if method == "post" else None
    )
    assert rv.status_code == 401
    assert rv.mimetype == PROBLEM
    assert rv.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), sorted(ADMIN_ONLY))
def test_admin_routes_refuse_auditors(
    client: FlaskClient, auditor, method: str, path: str
) -> None:
    rv = getattr(client, method)(
        path,
        headers=auditor,
        json={"name": "x", "role": "admin"} if method == "post" else None,
    )
    assert rv.status_code == 403
    assert rv.mimetype == PROBLEM
    assert "admin" in rv.json["detail"]


# Admin-only operations on both front-ends: (front-end, method, path, action).
ADMIN_ONLY_BOTH = [
    ("api", "get", "/v1/admin/audit", "read the audit log"),
    ("api", "delete", "/v1/admin/subjects/someone", "erase subjects"),
    ("ui", "get", "/admin/audit", "read the audit log"),
    ("ui", "get", "/admin/subjects/erase?subject=someone", "erase subjects"),
    ("ui", "post", "/admin/subjects/erase", "erase subjects"),
]


@pytest.mark.parametrize(("front_end", "method", "path", "action"), ADMIN_ONLY_BOTH)
def test_one_role_check_refuses_auditors_on_both_front_ends(
    client: FlaskClient,
    tokens,
    make_receipt,
    front_end: str,
    method: str,
    path: str,
    action: str,
) -> None:
    make_receipt(subject="someone")
    if front_end == "api":
        rv = getattr(client, method)(path, headers=bearer(tokens["auditor"]))
        assert rv.mimetype == PROBLEM
        detail = rv.json["detail"]
    else:
        csrf = ui_sign_in(client, tokens["auditor"])
        form = {"csrf_token": csrf, "subject": "someone"}
        rv = getattr(client, method)(path, data=form if method == "post" else None)
        assert rv.mimetype == "text/html"
        detail = rv.get_data(as_text=True)
    assert rv.status_code == 403
    assert f"Your role (auditor) may not {action}; it needs the admin role." in detail
    history = client.get("/v1/admin/subjects/someone", headers=bearer(tokens["admin"]))
    assert history.status_code == 200


@pytest.mark.parametrize(
    ("form", "headers", "detail"),
    [
        ({}, {}, "This form was not sent from this page or has expired."),
        ({"csrf_token": "forged"}, {}, "This form was not sent from this page"),
        (
            {"csrf_token": None},  # this session's token, sent from elsewhere
            {"Origin": "https://attacker.example"},
            "This form was sent from another site and was refused.",
        ),
    ],
)
def test_ui_refuses_a_form_without_its_csrf_token(
    client: FlaskClient,
    tokens,
    make_receipt,
    form: dict[str, str | None],
    headers: dict[str, str],
    detail: str,
) -> None:
    make_receipt(subject="someone")
    csrf = ui_sign_in(client, tokens["admin"])
    sent = {k: v or csrf for k, v in form.items()}
    rv = client.post(
        "/admin/subjects/erase", data={**sent, "subject": "someone"}, headers=headers
    )
    assert rv.status_code == 400
    assert rv.mimetype == "text/html"
    page = rv.get_data(as_text=True)
    assert "<title>Error 400" in page and detail in page
    history = client.get("/v1/admin/subjects/someone", headers=bearer(tokens["admin"]))
    assert history.status_code == 200


def test_ui_sign_in_needs_the_csrf_token_of_the_sign_in_page(
    client: FlaskClient, tokens
) -> None:
    rv = client.post("/admin/sign-in", data={"token": tokens["admin"]})
    assert rv.status_code == 400
    assert rv.mimetype == "text/html"
    assert "not sent from this page" in rv.get_data(as_text=True)
    assert_sign_in_page(client.get("/admin/receipts"))


def test_revoked_token_fails(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, tokens
) -> None:
    headers = bearer(tokens["auditor"])
    assert client.get("/v1/admin/stats", headers=headers).status_code == 200
    result = runner.invoke(args=["consent", "token", "revoke", "bob"])
    assert result.exit_code == 0 and "Revoked" in result.output
    rv = client.get("/v1/admin/stats", headers=headers)
    assert rv.status_code == 401
    assert 'error="invalid_token"' in rv.headers["WWW-Authenticate"]


def test_cli_token_create_prints_the_token_alone(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(
        args=["consent", "token", "create", "--name", "carol", "--role", "admin"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("cst_") and "\n" not in token and len(token) > 40
    assert "carol" in result.stderr
    with app.app_context():
        row = db.session.scalar(select(StaffToken).where(StaffToken.name == "carol"))
        assert row.role == "admin" and row.token_hash == hash_token(token)
        assert row.last_used_at is None
    assert client.get("/v1/admin/tokens", headers=bearer(token)).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(StaffToken).where(StaffToken.name == "carol"))
        assert row.last_used_at is not None
    listed = runner.invoke(args=["consent", "token", "list"]).output
    assert "carol\tadmin" in listed and token not in listed and "active" in listed


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "dave", "--role", "owner"],
        ["--name", "", "--role", "admin"],
        ["--role", "admin"],
        ["--name", "bad\nname", "--role", "admin"],
    ],
)
def test_cli_token_create_refuses_bad_input(
    app: Flask, runner: FlaskCliRunner, args: list[str]
) -> None:
    result = runner.invoke(args=["consent", "token", "create", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    with app.app_context():
        assert db.session.scalars(select(StaffToken)).all() == []


def test_cli_refuses_a_second_active_token_of_one_name(runner: FlaskCliRunner) -> None:
    assert (
        runner.invoke(
            args=["consent", "token", "create", "--name", "erin", "--role", "auditor"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        args=["consent", "token", "create", "--name", "erin", "--role", "auditor"]
    )
    assert result.exit_code == 2 and "revoke it first" in result.output
    assert runner.invoke(args=["consent", "token", "revoke", "nobody"]).exit_code == 2


def test_tokens_api_creates_lists_and_revokes(client: FlaskClient, admin) -> None:
    rv = client.post(
        "/v1/admin/tokens", json={"name": "frank", "role": "auditor"}, headers=admin
    )
    assert rv.status_code == 201
    created = rv.json
    assert created["token"].startswith("cst_") and created["role"] == "auditor"
    listed = client.get("/v1/admin/tokens", headers=admin).json
    assert {t["name"] for t in listed} == {"alice", "bob", "site-backend", "frank"}
    assert all("token" not in t for t in listed)
    assert (
        client.get("/v1/admin/stats", headers=bearer(created["token"])).status_code
        == 200
    )
    rv = client.delete(f"/v1/admin/tokens/{created['id']}", headers=admin)
    assert rv.status_code == 200 and rv.json["active"] is False
    assert (
        client.get("/v1/admin/stats", headers=bearer(created["token"])).status_code
        == 401
    )
    assert client.delete("/v1/admin/tokens/999", headers=admin).status_code == 404
    rv = client.post(
        "/v1/admin/tokens", json={"name": "g", "role": "root"}, headers=admin
    )
    assert rv.status_code == 422 and "role" in rv.json["errors"]
    rv = client.post("/v1/admin/tokens", data="name=g", headers=admin)
    assert rv.status_code == 415


def test_every_staff_request_is_audited(client: FlaskClient, admin, auditor) -> None:
    client.get("/v1/admin/receipts?site=default&limit=5", headers=auditor)
    client.get("/v1/admin/audit", headers=auditor)
    client.get("/v1/admin/stats", headers={"Authorization": "Bearer cst_wrong"})
    rv = client.get("/v1/admin/audit?limit=2", headers=admin)
    assert rv.status_code == 200
    first = rv.json["items"]
    # The next page goes back in time without gaps; the audit read itself is newer.
    rest = client.get(
        f"/v1/admin/audit?limit=2&cursor={rv.json['next_cursor']}", headers=admin
    ).json
    assert rest["next_cursor"] is None
    entries = first + rest["items"]
    assert [
        (e["method"], e["path"], e["status"], e["token_name"], e["role"])
        for e in entries
    ] == [
        ("GET", "/v1/admin/stats", 401, None, None),
        ("GET", "/v1/admin/audit", 403, "bob", "auditor"),
        ("GET", "/v1/admin/receipts", 200, "bob", "auditor"),
    ]
    assert entries[2]["query"] == "site=default&limit=5"
    assert entries[2]["interface"] == "api"
    assert entries[0]["created_at"]
    newest = client.get("/v1/admin/audit?limit=1", headers=admin).json["items"][0]
    assert (newest["path"], newest["query"], newest["token_name"]) == (
        "/v1/admin/audit",
        "limit=2&cursor=...",  # cursors are opaque and long: not logged
        "alice",
    )


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "cursor=forged", "limit=x"])
def test_bad_audit_pages_are_problems(client: FlaskClient, admin, query: str) -> None:
    rv = client.get(f"/v1/admin/audit?{query}", headers=admin)
    assert rv.status_code == 422
    assert rv.mimetype == PROBLEM


def test_openapi_documents_every_staff_route_with_its_security(
    client: FlaskClient,
) -> None:
    spec = client.get("/v1/openapi.json").json
    assert spec["components"]["securitySchemes"]["staffToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A staff token from `flask consent token create`",
    }
    operations = [
        (m, p)
        for p, item in spec["paths"].items()
        if p.startswith("/v1/admin")
        for m in item
        if m in {"get", "post", "delete"}
    ]
    assert len(operations) == len(ROUTES)
    for method, path in operations:
        op = spec["paths"][path][method]
        assert op["security"] == [{"staffToken": []}], path
        assert {"401", "403"} <= set(op["responses"]), path
    public = spec["paths"]["/v1/sites/{site}/notice"]["get"]
    assert "security" not in public


def test_a_recorder_token_reads_nothing_and_cannot_sign_in(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    recorder = bearer(tokens["recorder"])
    for method, path in ROUTES:
        body = {"name": "new", "role": "auditor"} if method == "post" else None
        rv = client.open(path, method=method.upper(), headers=recorder, json=body)
        assert rv.status_code == 403, (method, path)
    page = client.get("/admin/sign-in").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    rv = client.post(
        "/admin/sign-in", data={"csrf_token": csrf, "token": tokens["recorder"]}
    )
    assert rv.status_code == 403
    assert "cannot sign in" in rv.get_data(as_text=True)
    assert_sign_in_page(client.get("/admin/receipts"))
