"""Bad input: a 4xx problem+json naming what is wrong, and nothing stored."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_server import create_app
from consent_server.extensions import db
from tests.api.helpers import PROBLEM, assert_problem, count_rows
from tests.conftest import new_subject

CONSENTS = "/v1/sites/default/consents"


@pytest.fixture
def body(notice: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """A valid decision body with some fields replaced (None removes a field)."""

    def _body(**fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "subject": new_subject(),
            "notice": notice["notice"],
            "choices": {"persistent": True, "third_party": False},
        }
        data.update(fields)
        return {k: v for k, v in data.items() if v is not None}

    return _body


def assert_nothing_stored(app: Flask) -> None:
    assert count_rows(app) == (0, 0)


def test_unknown_site_is_a_404_problem_and_stores_nothing(
    client: FlaskClient, app: Flask, body: Any
) -> None:
    rv = client.post("/v1/sites/nope/consents", json=body())
    problem = assert_problem(rv, 404, "unknown-site")
    assert "'nope'" in problem["detail"]
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"{'choices': {}}", b"\xff\xfe", b"[1, 2,", b'{"a": 1}}'],
    ids=["open-brace", "single-quotes", "not-utf8", "open-list", "trailing-brace"],
)
def test_malformed_json_is_a_400_problem(
    client: FlaskClient, app: Flask, raw: bytes
) -> None:
    rv = client.post(CONSENTS, data=raw, content_type="application/json")
    problem = assert_problem(rv, 400, "bad-request")
    assert "JSON" in problem["detail"]
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        (CONSENTS, "text/plain"),
        (CONSENTS, "application/x-www-form-urlencoded"),
        (CONSENTS, None),
        ("/v1/receipts/verify", "text/plain"),
    ],
    ids=["text", "form", "none", "verify-text"],
)
def test_wrong_content_type_is_a_415_problem(
    client: FlaskClient, app: Flask, body: Any, path: str, content_type: str | None
) -> None:
    rv = client.post(path, data=json.dumps(body()), content_type=content_type)
    problem = assert_problem(rv, 415, "unsupported-media-type")
    assert "application/json" in problem["detail"]
    assert_nothing_stored(app)


def test_body_over_16_kib_is_a_413_problem(
    client: FlaskClient, app: Flask, body: Any
) -> None:
    big = json.dumps(body(padding="x" * (16 * 1024)))
    rv = client.post(CONSENTS, data=big, content_type="application/json")
    problem = assert_problem(rv, 413, "payload-too-large")
    assert "16 KiB" in problem["detail"]
    assert_nothing_stored(app)


def test_body_just_under_16_kib_is_read(
    client: FlaskClient, app: Flask, body: Any
) -> None:
    raw = json.dumps(body())
    raw += " " * (16 * 1024 - len(raw))  # JSON allows trailing whitespace
    assert len(raw) == 16 * 1024
    rv = client.post(CONSENTS, data=raw, content_type="application/json")
    assert rv.status_code == 201, rv.json
    assert count_rows(app) == (1, 1)


CHOICE_ERRORS = [
    pytest.param(
        {"persistent": True, "third_party": False, "marketing": True},
        "marketing",
        id="unknown-category",
    ),
    # third_party has services: the problem names what to give for each of them.
    pytest.param({"persistent": True}, "analytics", id="missing-category"),
    pytest.param({}, "persistent", id="no-choices"),
    pytest.param({"persistent": 1, "third_party": False}, "persistent", id="one"),
    pytest.param(
        {"persistent": "true", "third_party": False}, "persistent", id="string-true"
    ),
    pytest.param({"persistent": None, "third_party": False}, "persistent", id="null"),
    pytest.param(
        {"session": False, "persistent": True, "third_party": True},
        "session",
        id="required-false",
    ),
]


@pytest.mark.parametrize(("choices", "field"), CHOICE_ERRORS)
def test_bad_choices_are_a_422_problem(
    client: FlaskClient, app: Flask, body: Any, choices: dict[str, Any], field: str
) -> None:
    rv = client.post(CONSENTS, json=body(choices=choices))
    problem = assert_problem(rv, 422, "validation-error")
    assert field in problem["errors"]["choices"], problem["errors"]
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"notice": "0" * 64}, "notice"),
        ({"notice": "not-a-hash"}, "notice"),
        ({"notice": None}, "notice"),
        ({"choices": None}, "choices"),
        ({"choices": ["persistent"]}, "choices"),
        ({"subject": "s" * 129}, "subject"),
        ({"subject": "has spaces"}, "subject"),
        ({"subject": "émile"}, "subject"),
        ({"subject": ""}, "subject"),
        ({"subject": "a/b"}, "subject"),
        ({"id": "not-a-uuid"}, "id"),
        ({"id": "12345"}, "id"),
        ({"method": "accept_some"}, "method"),
        ({"layer": "footer"}, "layer"),
        ({"language": "klingon!"}, "language"),
        ({"language": "ja"}, "language"),
        ({"gpc": "1"}, "gpc"),
        ({"banner_build": "not hex"}, "banner_build"),
        ({"colour": "red"}, "colour"),
    ],
    ids=[
        "unknown-notice",
        "bad-notice",
        "missing-notice",
        "missing-choices",
        "choices-list",
        "subject-too-long",
        "subject-spaces",
        "subject-unicode",
        "subject-empty",
        "subject-slash",
        "bad-receipt-id",
        "short-receipt-id",
        "bad-method",
        "bad-layer",
        "bad-language",
        "foreign-language",
        "gpc-string",
        "bad-banner-build",
        "unknown-field",
    ],
)
def test_bad_fields_are_a_422_problem(
    client: FlaskClient, app: Flask, body: Any, fields: dict[str, Any], field: str
) -> None:
    data = body(**fields)
    for name, value in fields.items():
        if value is None:
            data.pop(name, None)
    rv = client.post(CONSENTS, json=data)
    problem = assert_problem(rv, 422, "validation-error")
    assert field in problem["errors"], problem["errors"]
    assert_nothing_stored(app)


def test_subject_of_128_characters_is_fine(
    client: FlaskClient, body: Any, recorder: dict[str, str]
) -> None:
    rv = client.post(
        CONSENTS, json=body(subject="u" * 128, method="api"), headers=recorder
    )
    assert rv.status_code == 201, rv.json


@pytest.mark.parametrize(
    "key",
    ["has space", "x" * 129, "ünïcode", "semi;colon", ""],
    ids=["space", "too-long", "unicode", "semicolon", "empty"],
)
def test_bad_idempotency_key_is_a_422_problem(
    client: FlaskClient, app: Flask, body: Any, key: str
) -> None:
    rv = client.post(CONSENTS, json=body(), headers={"Idempotency-Key": key})
    problem = assert_problem(rv, 422, "validation-error")
    assert "Idempotency-Key" in problem["errors"]
    assert_nothing_stored(app)


def test_reject_all_with_a_grant_is_a_422_problem(
    client: FlaskClient, app: Flask, body: Any
) -> None:
    rv = client.post(
        CONSENTS,
        json=body(
            method="reject_all", choices={"persistent": False, "third_party": True}
        ),
    )
    problem = assert_problem(rv, 422, "validation-error")
    assert "method" in problem["errors"]
    assert "reject_all" in problem["detail"]
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    "payload",
    [{}, {"token": ""}, {"token": 42}, {"token": "x" * 5000}],
    ids=["missing", "empty", "number", "too-long"],
)
def test_bad_verify_request_is_a_422_problem(client: FlaskClient, payload: Any) -> None:
    rv = client.post("/v1/receipts/verify", json=payload)
    problem = assert_problem(rv, 422, "validation-error")
    assert "token" in problem["errors"]


def test_unknown_route_is_a_404_problem(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/nothing/here"), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", CONSENTS),
        ("PUT", "/v1/sites/default/notice"),
        ("GET", "/v1/receipts/verify"),
    ],
)
def test_wrong_method_is_a_405_problem(
    client: FlaskClient, method: str, path: str
) -> None:
    rv = client.open(path, method=method)
    assert_problem(rv, 405, "method-not-allowed")
    assert rv.headers["Allow"]


SECRET = "secret-internal-detail-" + uuid.uuid4().hex


@pytest.fixture
def failing_app(app_config: dict[str, Any]) -> Flask:
    app = create_app({**app_config, "TESTING": False})

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError(SECRET)

    with app.app_context():
        db.create_all()
    return app


def test_server_error_is_a_generic_problem(
    failing_app: Flask,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another test's logging.fileConfig (Alembic's env.py) may have disabled it.
    monkeypatch.setattr(logging.getLogger("consent_server.errors"), "disabled", False)
    with caplog.at_level(logging.ERROR, logger="consent_server"):
        rv = failing_app.test_client().get("/boom")

    problem = assert_problem(rv, 500, "internal-error")
    text = rv.get_data(as_text=True)
    assert SECRET not in text
    assert "RuntimeError" not in text
    assert "Traceback" not in text
    assert problem["detail"] == "The server could not complete the request."
    assert rv.headers["X-Content-Type-Options"] == "nosniff"
    # ... while the operator's log keeps the cause.
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)
    with failing_app.app_context():
        db.engine.dispose()


def test_problem_media_type_is_problem_json(client: FlaskClient) -> None:
    rv = client.get("/v1/sites/nope/notice")
    assert rv.headers["Content-Type"].startswith(PROBLEM)
