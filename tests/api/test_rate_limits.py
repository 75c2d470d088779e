"""Rate limits per client (Flask-Limiter, memory and Redis storage)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import (
    Record,
    assert_problem,
    count_rows,
)
from tests.conftest import new_subject

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)


@pytest.fixture
def rate_limited(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["CONSENT_RATELIMIT_ENABLED"] = True
    app_config["CONSENT_RATELIMIT_RECORD"] = "2 per minute"
    return app_config


def _redis_available() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["memory", "redis"])
def limiter_storage(
    request: pytest.FixtureRequest, rate_limited: dict[str, Any]
) -> str:
    if request.param == "redis":
        if not _redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        rate_limited["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
    return str(request.param)


def test_third_decision_in_a_minute_is_a_429_problem(
    limiter_storage: str, client: FlaskClient, notice: dict[str, Any], app: Flask
) -> None:
    # Limits count per client (an IPv6 client per /64): fresh ones per test keep
    # runs apart.
    run = uuid.uuid4().hex
    visitor, neighbour = (f"2001:db8:{run[:4]}:{run[4:7]}{n}::1" for n in (1, 2))
    body = {
        "notice": notice["notice"],
        "choices": {"persistent": True, "third_party": True},
    }

    def post(address: str = visitor) -> Any:
        return client.post(
            "/v1/sites/default/consents",
            json=body,
            environ_base={"REMOTE_ADDR": address},
        )

    assert post().status_code == 201
    assert post().status_code == 201

    rv = post()

    problem = assert_problem(rv, 429, "rate-limited")
    assert "2 per 1 minute" in problem["detail"]
    assert int(rv.headers["Retry-After"]) > 0
    assert count_rows(app) == (2, 1)
    assert post(neighbour).status_code == 201  # another visitor is not held back


def test_rate_limit_does_not_apply_to_lookups(
    rate_limited: dict[str, Any], record: Record, client: FlaskClient
) -> None:
    subject = new_subject()
    record(subject=subject)
    for _ in range(4):
        assert client.get(f"/v1/sites/default/consents/{subject}").status_code == 200
