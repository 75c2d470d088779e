"""The shipped gunicorn.conf.py, run for real: its threads keep the endpoints that
need no database answering while decisions wait on a locked table, a worker
killed with SIGKILL loses no acknowledged decision, the access log holds no
client address (issue #10), and the log is sealed by a process beside the
workers, started again when killed and stopped with them (issue #12)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from consent_server.extensions import db
from consent_server.models import Receipt
from tests.conftest import TEST_KEYS, TEST_SIGNING_KEYS
from tests.faults.helpers import decision, writes_locked

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
CONSENTS = "/v1/sites/default/consents"
TIMEOUT = 30.0  # seconds per request: generous for a slow machine
DB_TIMEOUT = 5  # CONSENT_DB_TIMEOUT here: a wide gap to the quick answers
SEALER = "consent log seal --every"


@pytest.fixture
def database_url(pg_url: str) -> str:
    return pg_url


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    access_log: Path
    error_log: Path

    def children(self) -> dict[int, str]:
        """The master's child processes and their command lines (a sealer started
        again is a child of the master's watcher thread, not of its main one)."""
        found = {}
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                children = (task / "children").read_text().split()
            except FileNotFoundError:  # the thread ended meanwhile
                continue
            for child in children:
                try:
                    cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                except FileNotFoundError:  # exited meanwhile
                    continue
                found[int(child)] = cmdline.replace(b"\0", b" ").decode()
        return found

    def workers(self) -> list[int]:
        return [pid for pid, cmd in self.children().items() if SEALER not in cmd]

    def sealers(self) -> list[int]:
        return [pid for pid, cmd in self.children().items() if SEALER in cmd]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def server(app: Flask, pg_url: str, tmp_path: Path) -> Iterator[Server]:
    """Gunicorn with gunicorn.conf.py and 2 workers on the test's database (whose
    tables ``app`` made)."""
    with _gunicorn(pg_url, tmp_path) as running:
        yield running


@contextmanager
def _gunicorn(pg_url: str, tmp_path: Path, **settings: str) -> Iterator[Server]:
    if not Path("/proc/self/task").exists():
        pytest.skip("finding gunicorn's workers needs Linux /proc")
    port = _free_port()
    env = {
        **os.environ,
        "CONSENT_DATABASE_URL": pg_url,
        "CONSENT_SECRET_KEYS": ",".join(TEST_KEYS),
        "CONSENT_SIGNING_KEYS": ",".join(TEST_SIGNING_KEYS),
        "CONSENT_RATELIMIT_ENABLED": "false",
        "CONSENT_DB_TIMEOUT": str(DB_TIMEOUT),
        **settings,
    }
    env.pop("CONSENT_SITES_FILE", None)
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    with access_log.open("wb") as out, error_log.open("wb") as err:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "consent_server:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    running = Server(f"http://127.0.0.1:{port}", process, access_log, error_log)
    try:
        _wait_for(lambda: _answers(running.url + "/healthz"), "gunicorn")
        _wait_for(lambda: len(running.workers()) == 2, "both workers")
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def call(
    url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """GET, or POST ``body`` as JSON: status, headers and the body read as JSON
    where it is JSON."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as rv:
            status, head, raw = rv.status, dict(rv.headers), rv.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, dict(error.headers), error.read()
    is_json = head.get("Content-Type", "").endswith("json")
    return status, head, json.loads(raw) if is_json else raw


def test_endpoints_without_the_database_answer_while_decisions_wait(
    server: Server, pg_url: str
) -> None:
    notice = call(server.url + "/v1/sites/default/notice")[2]["notice"]
    token = call(server.url + CONSENTS, decision(notice))[2]["token"]
    waiting: list[tuple[int, dict[str, str], float]] = []

    def record() -> None:
        start = time.monotonic()
        status, headers, _ = call(server.url + CONSENTS, decision(notice))
        waiting.append((status, headers, time.monotonic() - start))

    with writes_locked(pg_url, at_most=4 * DB_TIMEOUT):
        recorders = [threading.Thread(target=record) for _ in range(6)]
        for thread in recorders:
            thread.start()
        time.sleep(0.5)  # the decisions are waiting on the lock now
        quick = [
            call(server.url + "/v1/sites/default/banner.js"),
            call(server.url + "/v1/sites/default/notice"),
            call(server.url + "/v1/receipts/verify", {"token": token}),
            call(server.url + "/healthz"),
            call(server.url + "/readyz"),
        ]
        still_waiting = 6 - len(waiting)
        for thread in recorders:
            thread.join(timeout=4 * DB_TIMEOUT)

    assert [status for status, _, _ in quick] == [200] * 5
    assert still_waiting > 0  # answered while decisions waited on the database
    assert [status for status, _, _ in waiting] == [503] * 6
    assert all(int(headers["Retry-After"]) > 0 for _, headers, _ in waiting)
    assert max(elapsed for _, _, elapsed in waiting) < 3 * DB_TIMEOUT
    errors = server.error_log.read_text()
    assert errors.count("database unavailable") == 6
    assert "Traceback" not in errors


def test_a_killed_worker_loses_no_acknowledged_decision(
    server: Server, app: Flask
) -> None:
    notice = call(server.url + "/v1/sites/default/notice")[2]["notice"]
    results: list[tuple[str, int | None, float]] = []
    stop = threading.Event()

    def record_until_stopped() -> None:
        while not stop.is_set():
            receipt_id = str(uuid.uuid4())
            body = decision(notice, id=receipt_id)
            try:
                status: int | None = call(
                    server.url + CONSENTS, body, {"Idempotency-Key": receipt_id}
                )[0]
            except (OSError, http.client.HTTPException):
                # The killed worker's connections, refused, reset or cut off after
                # the headers (IncompleteRead): the client never got the receipt.
                status = None
            results.append((receipt_id, status, time.monotonic()))

    clients = [threading.Thread(target=record_until_stopped) for _ in range(4)]
    for thread in clients:
        thread.start()
    time.sleep(1.5)
    victim = server.workers()[0]
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    _wait_for(
        lambda: victim not in server.workers() and len(server.workers()) == 2,
        "a new worker",
    )
    time.sleep(1.5)
    stop.set()
    for thread in clients:
        thread.join(timeout=2 * TIMEOUT)

    statuses = {status for _, status, _ in results}
    assert statuses <= {201, None}, statuses
    acknowledged = {rid for rid, status, _ in results if status == 201}
    assert any(at > killed_at for _, status, at in results if status == 201)
    with app.app_context():
        stored = set(
            db.session.scalars(select(Receipt.id).where(Receipt.id.in_(acknowledged)))
        )
        db.session.remove()
    assert stored == acknowledged
    access = server.access_log.read_text()
    assert "127.0.0.0/24" in access
    assert "127.0.0.1" not in access


def _decide_and_wait_for_a_seal(server: Server, decisions: int) -> None:
    """Record ``decisions`` and wait until a signed head covers them (the sealer
    seals every second here)."""
    notice = call(server.url + "/v1/sites/default/notice")[2]["notice"]
    for _ in range(decisions):
        assert call(server.url + CONSENTS, decision(notice))[0] == 201

    def sealed() -> bool:
        status, _, head = call(server.url + "/v1/log/head")
        return status == 200 and head["tree_size"] >= decisions

    _wait_for(sealed, f"a head over the {decisions} decisions", timeout=30)


@contextmanager
def _sealing_every_second(pg_url: str, tmp_path: Path) -> Iterator[tuple[Server, int]]:
    """Gunicorn whose sealer seals every second, and the sealer's pid."""
    with _gunicorn(pg_url, tmp_path, CONSENT_LOG_SEAL_INTERVAL="1") as server:
        _wait_for(lambda: len(server.sealers()) == 1, "the sealer")
        yield server, server.sealers()[0]


def test_the_log_is_sealed_by_a_process_beside_the_workers(
    app: Flask, pg_url: str, tmp_path: Path
) -> None:
    with _sealing_every_second(pg_url, tmp_path) as (server, sealer):
        _decide_and_wait_for_a_seal(server, 3)
        errors = server.error_log
    # Stopped with gunicorn: no sealer outlives the server.
    assert not Path(f"/proc/{sealer}").exists()
    log = errors.read_text()
    assert f"Log sealer started (pid {sealer})" in log
    assert "Traceback" not in log


def test_a_killed_sealer_is_started_again(
    app: Flask, pg_url: str, tmp_path: Path
) -> None:
    with _sealing_every_second(pg_url, tmp_path) as (server, killed):
        os.kill(killed, signal.SIGKILL)
        _wait_for(
            lambda: server.sealers() not in ([], [killed]), "a new sealer", timeout=30
        )
        [restarted] = server.sealers()
        _decide_and_wait_for_a_seal(server, 2)  # made after the kill
        errors = server.error_log
    assert not Path(f"/proc/{restarted}").exists()
    log = errors.read_text()
    assert f"Log sealer (pid {killed}) stopped; starting it again in 1 s" in log
    assert f"Log sealer started again (pid {restarted})" in log
