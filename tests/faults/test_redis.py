"""The rate-limit storage fails: a hung Redis (accepts, never answers) and one that
refuses connections. Today a hung Redis held a decision 30 s until gunicorn killed
the worker, and a dead one made every decision a 500 (issue #10).

With CONSENT_RATELIMIT_FAIL_OPEN (the default) decisions are stored and limits count
in memory, with one warning; without it they are 503 problems. /readyz says which.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_server.config import from_env
from consent_server.limiter import REDIS_TIMEOUT_S, storage_options
from tests.api.helpers import assert_problem, count_rows
from tests.faults.helpers import HungServer, decision

CONSENTS = "/v1/sites/default/consents"
# A socket timeout is 0.5 s; a slow, shared machine gets a lot more (7 s seen at
# load 12 on 2 cores). Without timeouts a request waits for the 60 s hang-up.
PROMPT = 20.0


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The database plays no part here."""
    return f"sqlite:///{tmp_path / 'redis.sqlite3'}"


@pytest.fixture
def limited(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["CONSENT_RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_KEY_PREFIX"] = f"faults-{uuid.uuid4().hex}"
    return app_config


def _timed_post(client: FlaskClient, notice: dict[str, Any]) -> tuple[Any, float]:
    start = time.monotonic()
    rv = client.post(CONSENTS, json=decision(notice["notice"]))
    return rv, time.monotonic() - start


def _storage_url(storage: str, request: pytest.FixtureRequest) -> str:
    """The URL of a hung, unreachable or real Redis, or of memory storage."""
    if storage == "hung":
        return str(request.getfixturevalue("hung_redis").url)
    if storage == "unreachable":
        return str(request.getfixturevalue("unreachable_redis"))
    if storage == "redis":
        if not _redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        return "redis://127.0.0.1:6379"
    return "memory://"


def _redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.fixture
def hung_fail_open(limited: dict[str, Any], hung_redis: HungServer) -> None:
    limited["RATELIMIT_STORAGE_URI"] = hung_redis.url


def test_a_hung_redis_costs_a_decision_one_timeout_and_one_warning(
    hung_fail_open: None,
    app: Flask,
    client: FlaskClient,
    notice: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = [_timed_post(client, notice) for _ in range(3)]

    assert [rv.status_code for rv, _ in answers] == [201, 201, 201]
    assert max(elapsed for _, elapsed in answers) < PROMPT
    assert count_rows(app)[0] == 3
    warnings = _warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "in-memory" in warnings[0]


@pytest.mark.parametrize("redis", ["hung", "unreachable"])
def test_without_fail_open_a_failed_redis_is_a_503_problem_and_stores_nothing(
    redis: str,
    limited: dict[str, Any],
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    limited["RATELIMIT_STORAGE_URI"] = _storage_url(redis, request)
    limited["CONSENT_RATELIMIT_FAIL_OPEN"] = False
    app: Flask = request.getfixturevalue("app")
    client = app.test_client()
    notice = client.get("/v1/sites/default/notice").json

    rv, elapsed = _timed_post(client, notice)

    assert_problem(rv, 503, "rate-limits-unavailable")
    assert int(rv.headers["Retry-After"]) > 0
    assert elapsed < PROMPT
    assert count_rows(app)[0] == 0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    # Routes without a limit do not need Redis.
    assert client.get("/v1/sites/default/banner.js").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_redis_with_fail_open_stores_the_decision(
    limited: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    limited["RATELIMIT_STORAGE_URI"] = _storage_url("unreachable", request)
    app: Flask = request.getfixturevalue("app")
    client = app.test_client()
    notice = client.get("/v1/sites/default/notice").json

    rv, elapsed = _timed_post(client, notice)

    assert rv.status_code == 201
    assert elapsed < PROMPT
    assert count_rows(app)[0] == 1


def test_limits_still_count_in_memory_while_redis_hangs(
    limited: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    limited["RATELIMIT_STORAGE_URI"] = _storage_url("hung", request)
    limited["CONSENT_RATELIMIT_RECORD"] = "2 per minute"
    app: Flask = request.getfixturevalue("app")
    client = app.test_client()
    notice = client.get("/v1/sites/default/notice").json

    statuses = [_timed_post(client, notice)[0].status_code for _ in range(3)]

    assert statuses == [201, 201, 429]


@pytest.mark.parametrize(
    ("storage", "fail_open", "status", "rate_limits"),
    [
        ("memory", True, 200, "ok"),
        ("redis", True, 200, "ok"),
        ("hung", True, 200, "degraded"),
        ("unreachable", True, 200, "degraded"),
        ("hung", False, 503, None),
        ("unreachable", False, 503, None),
        ("off", True, 200, "off"),
    ],
)
def test_readiness_reports_the_database_and_the_rate_limit_storage(
    storage: str,
    fail_open: bool,
    status: int,
    rate_limits: str | None,
    limited: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    limited["RATELIMIT_STORAGE_URI"] = _storage_url(storage, request)
    limited["CONSENT_RATELIMIT_ENABLED"] = storage != "off"
    limited["CONSENT_RATELIMIT_FAIL_OPEN"] = fail_open
    client = request.getfixturevalue("app").test_client()

    start = time.monotonic()
    rv = client.get("/readyz")

    assert time.monotonic() - start < PROMPT
    if status == 200:
        assert rv.status_code == 200
        assert rv.json == {"status": "ok", "database": "ok", "rate_limits": rate_limits}
    else:
        problem = assert_problem(rv, 503, "not-ready")
        assert "rate-limit storage" in problem["detail"]


@pytest.mark.parametrize(
    "uri",
    [
        "redis://cache:6379",
        "rediss://cache:6380/1",
        "redis+sentinel://s:26379/m",
        "redis+unix:///run/redis.sock",
    ],
)
def test_redis_sockets_time_out_within_half_a_second(uri: str) -> None:
    options = storage_options(uri, {})

    assert options["socket_timeout"] <= 0.5
    assert options["socket_connect_timeout"] <= 0.5
    assert REDIS_TIMEOUT_S <= 0.5


def test_fail_open_comes_from_the_environment() -> None:
    assert from_env({"CONSENT_RATELIMIT_FAIL_OPEN": "false"}) == {
        "CONSENT_RATELIMIT_FAIL_OPEN": False
    }
