"""Fixture ladder: database url -> app -> client/runner -> small factories.

API tests run on SQLite, and on PostgreSQL too when CONSENT_TEST_DATABASE_URL is set
(.ci/run sets it). Each test gets empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from consent_server import create_app
from consent_server.archives import wait_for_archiving
from consent_server.extensions import db
from tests.support import reset_postgres

TEST_KEYS = ["test-key-newest-0123456789abcdef", "test-key-older-0123456789abcdef"]
# Ed25519 receipt keys (kid:seed, newest first): fixed so no test makes a dev key.
TEST_SIGNING_KEYS = [
    "test-newest:" + "AQ" * 21 + "A",
    "test-older:" + "Ag" * 21 + "A",
]
PG_URL = os.environ.get("CONSENT_TEST_DATABASE_URL")


def _database_params() -> list[Any]:
    params: list[Any] = [pytest.param("sqlite", id="sqlite")]
    if PG_URL:
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        assert PG_URL
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Overrides for create_app; a test may change them before ``app`` is built."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CONSENT_SECRET_KEYS": list(TEST_KEYS),
        "CONSENT_SIGNING_KEYS": list(TEST_SIGNING_KEYS),
        "CONSENT_RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    os.environ.pop("CONSENT_SITES_FILE", None)
    application = create_app(app_config)
    application.instance_path = str(tmp_path / "instance")
    with application.app_context():
        db.create_all()
    yield application
    wait_for_archiving(application)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def notice(client: FlaskClient) -> dict[str, Any]:
    """The default site's English notice."""
    rv = client.get("/v1/sites/default/notice?lang=en")
    assert rv.status_code == 200
    return dict(rv.json or {})


@pytest.fixture
def record(client: FlaskClient, notice: dict[str, Any]) -> Callable[..., Any]:
    """POST a decision on the default site; returns the response."""

    def _record(
        choices: dict[str, bool] | None = None,
        site: str = "default",
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> Any:
        body: dict[str, Any] = {
            "notice": notice["notice"],
            "choices": choices
            if choices is not None
            else {"persistent": True, "third_party": False},
        }
        body.update(fields)
        return client.post(f"/v1/sites/{site}/consents", json=body, headers=headers)

    return _record


def new_subject() -> str:
    return str(uuid.uuid4())
