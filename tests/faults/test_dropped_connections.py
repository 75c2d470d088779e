"""Pooled connections the server ended cost visitors nothing (issue #10: 24 ended
connections were 24 failed requests). Each one is found at checkout, without a
round trip, and replaced before any statement runs, so nothing is stored twice."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

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
