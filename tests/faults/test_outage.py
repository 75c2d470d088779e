"""A database that refuses connections: 503 problems with Retry-After and one log
line each, where today every request was a 500 with 20 KB of traceback (issue #10).
Errors that are bugs, not outages, stay 500s with their traceback."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from consent_server.extensions import db
from consent_server.outages import is_unavailable
from consent_server.staff import create_token
from tests.api.admin_fixtures import bearer
from tests.api.helpers import assert_problem, count_rows
from tests.faults.helpers import allow_connections, decision, terminate_backends

CONSENTS = "/v1/sites/default/consents"


@pytest.fixture
def database_url(pg_url: str) -> str:
    return pg_url


@pytest.fixture
def refusing(
    app: Flask, client: FlaskClient, server: Engine, pg_url: str
) -> Iterator[None]:
    """The app's database refuses new connections and has ended the open ones."""
    client.get("/readyz")  # a pooled connection, which the outage ends
    allow_connections(server, pg_url, False)
    terminate_backends(server, pg_url)
    yield
    allow_connections(server, pg_url, True)


def _log_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.postgres
def test_an_outage_is_a_503_problem_with_retry_after_and_one_log_line_each(
    notice: dict[str, Any],
    refusing: None,
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)

    answers = [
        client.post(CONSENTS, json=decision(notice["notice"])),
        client.get(f"{CONSENTS}/7d0c1f8e-5b7a-4c39-9a56-0d6f3e2b1a90"),
    ]

    for rv in answers:
        assert_problem(rv, 503, "database-unavailable")
        assert int(rv.headers["Retry-After"]) > 0
    lines = _log_lines(caplog)
    assert len(lines) == len(answers), [r.getMessage() for r in lines]
    assert all(r.exc_info is None for r in lines)
    assert all(len(r.getMessage()) < 600 for r in lines)
    assert "not currently accepting connections" in lines[0].getMessage()


@pytest.mark.postgres
def test_during_an_outage_readiness_is_a_503_and_liveness_answers(
    refusing: None, client: FlaskClient
) -> None:
    ready = client.get("/readyz")
    alive = client.get("/healthz")

    assert_problem(ready, 503, "not-ready")
    assert alive.status_code == 200


@pytest.mark.postgres
def test_the_service_recovers_when_the_database_does(
    app: Flask,
    notice: dict[str, Any],
    client: FlaskClient,
    server: Engine,
    pg_url: str,
    refusing: None,
) -> None:
    assert client.post(CONSENTS, json=decision(notice["notice"])).status_code == 503

    allow_connections(server, pg_url, True)
    rv = client.post(CONSENTS, json=decision(notice["notice"]))

    assert rv.status_code == 201
    assert count_rows(app)[0] == 1


@pytest.mark.postgres
def test_a_database_error_that_is_a_bug_stays_a_500_with_its_traceback(
    app: Flask,
    notice: dict[str, Any],
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production
    with app.app_context():
        db.session.execute(text("DROP TABLE receipts CASCADE"))
        db.session.commit()

    rv = client.post(CONSENTS, json=decision(notice["notice"]))

    assert_problem(rv, 500, "internal-error")
    assert "Retry-After" not in rv.headers
    assert any(r.exc_info for r in caplog.records if r.levelno >= logging.ERROR)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.QueryCanceled(),  # statement timeout
        psycopg.errors.LockNotAvailable(),  # lock timeout
        psycopg.errors.AdminShutdown(),  # pg_terminate_backend, shutdown
        psycopg.errors.CannotConnectNow(),  # starting up
        psycopg.errors.TooManyConnections(),
        psycopg.errors.DeadlockDetected(),
        psycopg.OperationalError("connection failed: Connection refused"),
        sqlite3.OperationalError("database is locked"),
        PoolTimeout("QueuePool limit of size 5 overflow 10 reached"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_mean_unavailable(error: Exception) -> None:
    if isinstance(error, sqlite3.OperationalError):
        error.sqlite_errorname = "SQLITE_BUSY"  # type: ignore[attr-defined]
    wrapped = OperationalError("SELECT 1", {}, error)

    assert is_unavailable(error if isinstance(error, PoolTimeout) else wrapped)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.UndefinedTable(),
        psycopg.errors.UniqueViolation(),
        psycopg.errors.StatementTooComplex(),  # an OperationalError, but a bug
        sqlite3.OperationalError("no such table: receipts"),
        ValueError("not a database error"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_are_bugs(error: Exception) -> None:
    wrapped = ProgrammingError("SELECT 1", {}, error)

    assert not is_unavailable(wrapped)
    assert not is_unavailable(error)


@pytest.mark.postgres
def test_a_staff_request_in_an_outage_logs_one_line_and_no_traceback(
    app: Flask,
    client: FlaskClient,
    server: Engine,
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with app.app_context():
        _, token = create_token("auditor-1", "auditor")
        db.session.commit()
    client.get("/readyz")
    allow_connections(server, pg_url, False)
    terminate_backends(server, pg_url)
    try:
        caplog.set_level(logging.INFO)
        rv = client.get("/v1/admin/receipts", headers=bearer(token))
    finally:
        allow_connections(server, pg_url, True)

    assert_problem(rv, 503, "database-unavailable")
    lines = _log_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert all(r.exc_info is None for r in caplog.records)
