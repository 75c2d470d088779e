"""A stalled database: every wait is bounded, and a stall is a 503 problem.

Today's numbers (issue #10): with the receipts table locked for 12 s, a decision
waited the full 12 s. Now it gets a 503 with Retry-After after CONSENT_DB_TIMEOUT
(2 s by default), stores nothing, and its retry is stored once the lock is gone.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg.pq import TransactionStatus
from sqlalchemy.exc import OperationalError

from consent_server import ConfigError, create_app
from consent_server.config import from_env
from consent_server.database import engine_options
from consent_server.extensions import db
from tests.api.helpers import assert_problem, count_rows
from tests.faults.helpers import decision, writes_locked

CONSENTS = "/v1/sites/default/consents"
# The lock is held until the test lets go; the default timeout is 2 s. A slow,
# shared machine gets five times that, still well before the lock would end.
WELL_BEFORE_THE_LOCK_ENDS = 10.0


def test_a_stalled_decision_is_a_503_with_retry_after_and_stores_nothing(
    app: Flask, client: FlaskClient, notice: dict[str, Any], database_url: str
) -> None:
    body = decision(notice["notice"])
    headers = {"Idempotency-Key": "stalled-decision-key-0001"}

    with writes_locked(database_url):
        start = time.monotonic()
        rv = client.post(CONSENTS, json=body, headers=headers)
        elapsed = time.monotonic() - start

    assert_problem(rv, 503, "database-unavailable")
    assert int(rv.headers["Retry-After"]) > 0
    assert elapsed < WELL_BEFORE_THE_LOCK_ENDS
    assert count_rows(app)[0] == 0
    retried = client.post(CONSENTS, json=body, headers=headers)
    assert retried.status_code == 201
    assert count_rows(app)[0] == 1


@pytest.mark.postgres
def test_a_stalled_lookup_is_a_503_and_readiness_still_answers(
    client: FlaskClient, notice: dict[str, Any], database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite readers do not wait for the writer (WAL)")
    subject = client.post(CONSENTS, json=decision(notice["notice"])).json["receipt"][
        "subject"
    ]

    with writes_locked(database_url):
        start = time.monotonic()
        lookup = client.get(f"{CONSENTS}/{subject}")
        elapsed = time.monotonic() - start
        ready = client.get("/readyz")

    assert_problem(lookup, 503, "database-unavailable")
    assert int(lookup.headers["Retry-After"]) > 0
    assert elapsed < WELL_BEFORE_THE_LOCK_ENDS
    assert ready.status_code == 200
    assert ready.json["database"] == "ok"


def _in_autocommit(connection: Any) -> bool:
    driver = connection.driver_connection
    if hasattr(driver, "pgconn"):  # psycopg
        return bool(driver.autocommit)
    return driver.isolation_level is None  # sqlite3


def _in_transaction(connection: Any) -> bool:
    driver = connection.driver_connection
    if hasattr(driver, "pgconn"):  # psycopg
        return bool(driver.info.transaction_status != TransactionStatus.IDLE)
    return bool(driver.in_transaction)  # sqlite3


@pytest.mark.postgres
def test_driver_statements_leave_no_connection_in_autocommit(
    app: Flask, client: FlaskClient, notice: dict[str, Any], database_url: str
) -> None:
    """Decisions and lookups run in autocommit on their pooled connection
    (``driver_sql``), also when the statement fails: a transaction on whichever
    connection the pool hands out next must still be one transaction."""
    first = client.post(CONSENTS, json=decision(notice["notice"])).json["receipt"]
    subject = first["subject"]
    with writes_locked(database_url):  # an error (the lock or busy timeout) ...
        stalled = client.post(CONSENTS, json=decision(notice["notice"]))
        assert stalled.status_code == 503
    # ... a refused insert (the receipt id is used) ...
    reused = client.post(CONSENTS, json=decision(notice["notice"], id=first["id"]))
    assert reused.status_code == 409
    # ... and then answers, found and not found.
    assert client.get(f"{CONSENTS}/{subject}").status_code == 200
    assert client.get(f"{CONSENTS}/{'0' * 36}").status_code == 404
    assert client.post(CONSENTS, json=decision(notice["notice"])).status_code == 201

    with app.app_context():
        pool = db.engine.pool
        held = [db.engine.raw_connection() for _ in range(pool.checkedin())]
        try:
            assert held, "the requests returned no connection to the pool"
            assert [_in_autocommit(c) for c in held] == [False] * len(held)
            # A write opens a transaction that only commit or rollback ends.
            cursor = held[0].cursor()
            cursor.execute("UPDATE receipts SET language = language")
            assert _in_transaction(held[0])
            held[0].rollback()
        finally:
            for connection in held:
                connection.close()


def test_endpoints_without_the_database_answer_during_a_stall(
    client: FlaskClient, notice: dict[str, Any], database_url: str
) -> None:
    token = client.post(CONSENTS, json=decision(notice["notice"])).json["token"]

    with writes_locked(database_url):
        answers = [
            client.get("/v1/sites/default/banner.js"),
            client.get("/v1/sites/default/notice"),
            client.post("/v1/receipts/verify", json={"token": token}),
            client.get("/healthz"),
        ]

    assert [rv.status_code for rv in answers] == [200, 200, 200, 200]
    assert answers[2].json["valid"] is True


@pytest.mark.parametrize("timeout", [0.5, 2, 30])
def test_the_database_timeout_is_a_setting(
    app_config: dict[str, Any], timeout: float
) -> None:
    app = create_app({**app_config, "CONSENT_DB_TIMEOUT": timeout})

    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_timeout"] == timeout
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        ms = round(timeout * 1000)
        assert f"statement_timeout={ms}" in options["connect_args"]["options"]
        assert f"lock_timeout={ms}" in options["connect_args"]["options"]
    else:
        assert options["connect_args"]["timeout"] == timeout  # SQLite busy timeout


@pytest.mark.parametrize("value", [0, -1, "soon", float("nan"), float("inf"), 601])
def test_a_database_timeout_that_is_no_timeout_stops_start_up(
    app_config: dict[str, Any], value: Any
) -> None:
    with pytest.raises(ConfigError, match="CONSENT_DB_TIMEOUT"):
        create_app({**app_config, "CONSENT_DB_TIMEOUT": value})


def test_the_database_timeout_comes_from_the_environment() -> None:
    assert from_env({"CONSENT_DB_TIMEOUT": "1.5"}) == {"CONSENT_DB_TIMEOUT": 1.5}


def test_postgresql_bounds_keep_options_of_the_url_and_the_operator() -> None:
    options = engine_options(
        "postgresql+psycopg://db/consent?options=-c%20search_path%3Dconsent",
        2,
        {"pool_size": 20, "connect_args": {"options": "-c lock_timeout=500"}},
    )

    assert options["pool_size"] == 20
    assert options["pool_timeout"] == 2
    assert options["connect_args"]["connect_timeout"] == 2
    # Later -c settings win: the operator's own lock timeout beats the default.
    assert options["connect_args"]["options"] == (
        "-c statement_timeout=2000 -c lock_timeout=2000 "
        "-c search_path=consent -c lock_timeout=500"
    )


@pytest.fixture
def short_timeout(app_config: dict[str, Any]) -> None:
    app_config["CONSENT_DB_TIMEOUT"] = 0.5


@pytest.mark.postgres
def test_operator_commands_run_without_the_statement_timeout(
    short_timeout: None, app: Flask, database_url: str
) -> None:
    """A purge or a migration may take minutes; requests may not."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no statement timeout")
    with app.app_context(), db.engine.connect() as conn:
        with pytest.raises(OperationalError, match="statement timeout"):
            conn.exec_driver_sql("SELECT pg_sleep(1)")

    result = app.test_cli_runner().invoke(args=["consent", "purge", "--dry-run"])

    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_sleep(1)")  # twice the timeout
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "500ms"
