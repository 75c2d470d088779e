"""Pooled connections the server ended cost visitors nothing (issue #10: 24 ended
connections were 24 failed requests). Each one is found at checkout, without a
round trip, and replaced before any statement runs, so nothing is stored twice."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text

from consent_server.extensions import db
from tests.api.helpers import count_rows
from tests.faults.helpers import backends, decision, terminate_backends

pytestmark = pytest.mark.postgres

CONSENTS = "/v1/sites/default/consents"
POOLED = 5  # the pool's size: every idle connection it keeps


@pytest.fixture
def database_url(pg_url: str) -> str:
    return pg_url


def _fill_the_pool(app: Flask) -> None:
    with app.app_context():
        conns = [db.engine.connect() for _ in range(POOLED)]
        for conn in conns:
            conn.execute(text("SELECT 1"))
        for conn in conns:
            conn.close()


def test_ended_pooled_connections_fail_no_request(
    app: Flask,
    client: FlaskClient,
    notice: dict[str, Any],
    server: Engine,
    pg_url: str,
) -> None:
    first = client.post(CONSENTS, json=decision(notice["notice"])).json
    _fill_the_pool(app)
    assert len(backends(server, pg_url)) >= POOLED

    assert terminate_backends(server, pg_url) >= POOLED

    subject = first["receipt"]["subject"]
    answers = []
    for n in range(3 * POOLED):
        answers.append(client.get(f"{CONSENTS}/{subject}"))
        answers.append(
            client.post(CONSENTS, json=decision(notice["notice"], id=str(uuid.uuid4())))
        )
        if n % POOLED == 0:
            answers.append(client.get("/readyz"))
    failed = [(rv.request.path, rv.status_code) for rv in answers]
    failed = [(path, status) for path, status in failed if status >= 400]
    assert failed == []
    recorded = sum(rv.status_code == 201 for rv in answers)
    assert count_rows(app)[0] == recorded + 1  # each decision stored once


def test_a_lookup_whose_connection_ends_after_checkout_is_retried_once(
    app: Flask,
    client: FlaskClient,
    notice: dict[str, Any],
    server: Engine,
    pg_url: str,
) -> None:
    """The race the checkout check cannot see: a lookup reads, so it may retry."""
    subject = client.post(CONSENTS, json=decision(notice["notice"])).json["receipt"][
        "subject"
    ]
    ended: list[int] = []

    def end_after_the_check(dbapi_connection: Any, *_: Any) -> None:
        if not ended:
            ended.append(dbapi_connection.info.backend_pid)
            with server.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": ended[0]})
            _wait_until_gone(server, ended[0])

    with app.app_context():
        event.listen(db.engine, "checkout", end_after_the_check)  # after the check

    rv = client.get(f"{CONSENTS}/{subject}")

    assert ended
    assert rv.status_code == 200
    assert rv.json["receipt"]["subject"] == subject


def _wait_until_gone(server: Engine, pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    query = text("SELECT 1 FROM pg_stat_activity WHERE pid = :p")
    while True:
        with server.connect() as conn:
            if conn.scalar(query, {"p": pid}) is None:
                return
        assert time.monotonic() < deadline, f"backend {pid} still alive"
        time.sleep(0.05)
