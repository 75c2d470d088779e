"""A red-team pass (issue #10): hostile input is a clear 4xx, never a 500, and
nothing a client sends can overflow a column or slip past a pattern."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import assert_problem, count_rows, stored
from tests.conftest import new_subject

from .admin_fixtures import ui_csrf

CONSENTS = "/v1/sites/default/consents"
VERIFY = "/v1/receipts/verify"


@pytest.mark.parametrize("path", [CONSENTS, VERIFY])
@pytest.mark.parametrize(
    "raw",
    [b"[" * 3000, b'{"token": ' + b"[" * 3000 + b"]" * 3000 + b"}", b'{"a":' * 3000],
    ids=["lists", "nested-in-a-field", "objects"],
)
def test_deeply_nested_json_is_a_400_problem_without_a_traceback(
    client: FlaskClient,
    app: Flask,
    caplog: pytest.LogCaptureFixture,
    path: str,
    raw: bytes,
) -> None:
    assert len(raw) <= 16 * 1024 + 8000  # about the size the red team sent
    with caplog.at_level(logging.ERROR):
        rv = client.post(path, data=raw[: 16 * 1024], content_type="application/json")
    assert_problem(rv, 400, "bad-request")
    assert not [r for r in caplog.records if r.exc_info]
    assert count_rows(app) == (0, 0)


@pytest.mark.parametrize(
    "field",
    [
        {"subject": "f47ac10b-58cc-4372-a567-0e02b2c3d479\n"},
        {"language": "de\n"},
        {"id": "f47ac10b-58cc-4372-a567-0e02b2c3d479\n"},
        {"notice": "a" * 64 + "\n"},
    ],
    ids=["subject", "language", "id", "notice"],
)
def test_a_trailing_newline_never_passes_a_pattern(
    client: FlaskClient, app: Flask, notice: dict[str, Any], field: dict[str, str]
) -> None:
    body = {
        "notice": notice["notice"],
        "choices": {"persistent": True, "third_party": True},
    }
    body.update(field)
    rv = client.post(CONSENTS, json=body)
    problem = assert_problem(rv, 422, "validation-error")
    assert set(field) <= set(problem["errors"])
    assert count_rows(app) == (0, 0)


def test_a_trailing_newline_in_a_lookup_path_is_refused(client: FlaskClient) -> None:
    rv = client.get(f"/v1/sites/default/consents/{new_subject()}%0A")
    assert_problem(rv, 422, "validation-error")


def test_a_recorder_subject_with_a_newline_is_refused(
    client: FlaskClient, app: Flask, notice: dict[str, Any], recorder: dict[str, str]
) -> None:
    rv = client.post(
        CONSENTS,
        json={
            "subject": "victim-42\n",
            "notice": notice["notice"],
            "choices": {"persistent": True, "third_party": True},
            "method": "api",
        },
        headers=recorder,
    )
    assert_problem(rv, 422, "validation-error")
    assert count_rows(app) == (0, 0)


@pytest.mark.parametrize(
    "user_agent",
    ["Chrome/" + "1" * 100, "Firefox/" + "9" * 40, "Mozilla/5.0 " + "x" * 5000],
    ids=["long-chrome", "long-firefox", "long-other"],
)
def test_no_user_agent_overflows_its_column(
    client: FlaskClient, app: Flask, notice: dict[str, Any], user_agent: str
) -> None:
    rv = client.post(
        CONSENTS,
        json={
            "notice": notice["notice"],
            "choices": {"persistent": True, "third_party": True},
        },
        headers={"User-Agent": user_agent},
    )
    assert rv.status_code == 201, rv.json
    row = stored(app, rv.json["receipt"]["id"])
    assert row is not None and row.user_agent == "Other"


@pytest.mark.parametrize(
    "origin",
    ["https://" + "a" * 300 + ".example", "https://x.example:99999", "null"],
    ids=["long-host", "bad-port", "null"],
)
def test_no_origin_overflows_its_column(
    client: FlaskClient, app: Flask, notice: dict[str, Any], origin: str
) -> None:
    rv = client.post(
        CONSENTS,
        json={
            "notice": notice["notice"],
            "choices": {"persistent": True, "third_party": True},
        },
        headers={"Origin": origin, "Referer": origin + "/page?q=1"},
    )
    assert rv.status_code == 201, rv.json
    row = stored(app, rv.json["receipt"]["id"])
    assert row is not None and (row.origin is None or len(row.origin) <= 255)


@pytest.mark.parametrize(
    "target",
    [
        "/admin/receipts\r\nSet-Cookie: staff=evil",
        "/admin/receipts%0d%0aSet-Cookie:%20x",
        "/admin/\\\\evil.example",
        "https://evil.example/admin/",
        "//evil.example/admin/",
    ],
    ids=["crlf", "encoded-crlf", "backslash", "absolute", "scheme-relative"],
)
def test_sign_in_never_redirects_to_an_unsafe_next(
    client: FlaskClient, tokens: dict[str, str], target: str
) -> None:
    rv = client.post(
        "/admin/sign-in",
        data={
            "csrf_token": ui_csrf(client, "/admin/sign-in"),
            "token": tokens["auditor"],
            "next": target,
        },
    )
    assert rv.status_code == 302
    location = rv.headers["Location"]
    # A staff page of this site (percent-escapes stay escaped in the path), and
    # never a second header or another host.
    assert location.startswith("/admin/") and "evil" not in location
    assert "\r" not in location and "\n" not in location
    assert "staff=evil" not in rv.headers.get("Set-Cookie", "")
