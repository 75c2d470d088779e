"""Many decisions at once through a real multi-threaded server: each stored once."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from consent_server.extensions import db
from consent_server.models import Receipt
from tests.api.helpers import count_rows

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}
REQUESTS = 200
THREADS = 16
TIMEOUT = 60  # seconds per request: generous for a slow machine


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    """The real app behind werkzeug's threaded server on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=TIMEOUT)


def call(
    url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def run_all(jobs: list[Any]) -> list[Any]:
    """Run the jobs from THREADS threads; the first wave starts all at once."""
    wave = min(THREADS, len(jobs))
    start = threading.Barrier(wave)

    def run(numbered: tuple[int, Any]) -> Any:
        index, job = numbered
        if index < wave:
            start.wait(timeout=TIMEOUT)
        return job()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, enumerate(jobs)))


def _decision(notice: str, n: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "subject": str(uuid.uuid4()),
        "notice": notice,
        "choices": {"persistent": n % 2 == 0, "third_party": n % 3 == 0},
    }


def test_concurrent_decisions_are_each_stored_once_and_verify(
    base_url: str, app: Flask, notice: dict[str, Any]
) -> None:
    consents = f"{base_url}/v1/sites/default/consents"
    decisions = [_decision(notice["notice"], n) for n in range(REQUESTS)]

    results = run_all([lambda d=d: call(consents, d) for d in decisions])

    paired = zip(decisions, results, strict=True)
    failures = [(d["id"], r) for d, r in paired if r[0] != 201]
    assert not failures, failures[:5]
    assert [r[1]["receipt"]["id"] for r in results] == [d["id"] for d in decisions]
    with app.app_context():
        per_id = dict(
            db.session.execute(
                select(Receipt.id, func.count()).group_by(Receipt.id)
            ).all()
        )
        db.session.remove()
    assert per_id == {d["id"]: 1 for d in decisions}
    assert count_rows(app) == (REQUESTS, 1)

    verify = f"{base_url}/v1/receipts/verify"
    checks = run_all(
        [lambda r=r: call(verify, {"token": r[1]["token"]}) for r in results]
    )
    assert all(status == 200 for status, _ in checks), checks[:5]
    assert [body["valid"] for _, body in checks] == [True] * REQUESTS
    assert [body["receipt"]["id"] for _, body in checks] == [d["id"] for d in decisions]


def test_concurrent_retries_of_one_decision_store_one_row(
    base_url: str, app: Flask, notice: dict[str, Any]
) -> None:
    consents = f"{base_url}/v1/sites/default/consents"
    decision = _decision(notice["notice"], 0)
    headers = {"Idempotency-Key": "secret-" + decision.pop("id")}

    results = run_all([lambda: call(consents, decision, headers)] * (THREADS * 2))

    assert [status for status, _ in results] == [201] * (THREADS * 2), results[:3]
    receipt_ids = {body["receipt"]["id"] for _, body in results}
    tokens = {body["token"] for _, body in results}
    assert len(receipt_ids) == 1
    assert len(tokens) == 1
    assert count_rows(app) == (1, 1)


def test_concurrent_tries_with_only_a_receipt_id_store_one_row_and_prove_nothing(
    base_url: str, app: Flask, notice: dict[str, Any]
) -> None:
    """A receipt id is public (the lookup shows it): it never proves a retry."""
    consents = f"{base_url}/v1/sites/default/consents"
    decision = _decision(notice["notice"], 0)

    results = run_all([lambda: call(consents, decision)] * (THREADS * 2))

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, results[:3]
    refused = [json.loads(body) for status, body in results if status != 201]
    assert {status for status, _ in results} <= {201, 403, 409}
    assert all(set(body) <= PROBLEM_FIELDS for body in refused), refused[:1]
    assert count_rows(app) == (1, 1)
