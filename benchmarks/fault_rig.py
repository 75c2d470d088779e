"""The rig of ``fault_bench.py``: gunicorn with gunicorn.conf.py, a Redis of its own
that can hang (SIGSTOP) or go away, and load from plain threads with urllib."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.1)


def call(
    url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """GET, or POST ``body`` as JSON: status, headers, body (parsed if JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as rv:
            status, head, raw = rv.status, dict(rv.headers), rv.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, dict(error.headers), error.read()
    if head.get("Content-Type", "").endswith("json"):
        return status, head, json.loads(raw)
    return status, head, raw


@dataclass
class Gunicorn:
    url: str
    process: subprocess.Popen[bytes]
    error_log: Path

    def log_tail(self, since: int) -> str:
        """What the error log got after byte ``since``."""
        with self.error_log.open("rb") as fh:
            fh.seek(since)
            return fh.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.error_log.stat().st_size


@contextmanager
def gunicorn(env: dict[str, str], logs: Path, workers: int = 4) -> Iterator[Gunicorn]:
    """``gunicorn -c gunicorn.conf.py -w N "consent_server:create_app()"``."""
    port = free_port()
    error_log = logs / f"gunicorn-{port}.err"
    with error_log.open("wb") as err:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--access-logfile",
                os.devnull,
                "consent_server:create_app()",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", process, error_log)
    try:
        wait_for(lambda: _answers(server.url + "/healthz"), "gunicorn")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=60)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


class RedisServer:
    """A redis-server of the benchmark's own: no other user's keys, and free to
    hang (SIGSTOP: connections are accepted by the kernel, never answered) or
    stop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._up, "redis-server")

    def _up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def hang(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)


def decision(notice: str, receipt_id: str | None = None) -> dict[str, Any]:
    """A decision on the default site's ``notice``, with its own id if given."""
    choices = {"persistent": True, "third_party": False}
    body: dict[str, Any] = {"notice": notice, "choices": choices}
    if receipt_id:
        body["id"] = receipt_id
    return body


@dataclass
class Sample:
    kind: str  # "record", "readyz", or the probed endpoint's name
    start: float
    latency: float
    status: int | None  # None: no answer (connection error)
    retry_after: bool
    receipt_id: str | None = None


class Load:
    """Recorders posting decisions and readers looking ``subject`` up, as fast as
    answers come; probes of the endpoints that need no database every
    ``PROBE_S``; /readyz. Verify checks ``token``; decisions are on ``notice``."""

    PROBE_S = 0.02
    READYZ_S = 0.2

    def __init__(
        self,
        base: str,
        notice: str,
        token: str,
        subject: str,
        recorders: int = 8,
        readers: int = 2,
    ) -> None:
        self.base = base
        self.notice = notice
        self.subject = subject
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        probes: dict[str, tuple[str, Any]] = {
            "banner.js": ("/v1/sites/default/banner.js", None),
            "notice": ("/v1/sites/default/notice", None),
            "verify": ("/v1/receipts/verify", {"token": token}),
            "healthz": ("/healthz", None),
        }
        self._threads = [
            threading.Thread(target=self._record) for _ in range(recorders)
        ]
        self._threads += [threading.Thread(target=self._read) for _ in range(readers)]
        self._threads += [
            threading.Thread(target=self._probe, args=(name, path, body, self.PROBE_S))
            for name, (path, body) in probes.items()
        ]
        self._threads.append(
            threading.Thread(
                target=self._probe, args=("readyz", "/readyz", None, self.READYZ_S)
            )
        )

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2 * TIMEOUT)

    def _timed(self, kind: str, path: str, body: Any, **extra: Any) -> Sample:
        start = time.monotonic()
        try:
            status, headers, _ = call(self.base + path, body, extra.get("headers"))
            retry_after = "Retry-After" in headers
        except OSError:
            status, retry_after = None, False
        sample = Sample(kind, start, time.monotonic() - start, status, retry_after)
        sample.receipt_id = extra.get("receipt_id")
        self.samples.append(sample)
        return sample

    def _record(self) -> None:
        while not self._stop.is_set():
            receipt_id = str(uuid.uuid4())
            sample = self._timed(
                "record",
                "/v1/sites/default/consents",
                decision(self.notice, receipt_id),
                headers={"Idempotency-Key": receipt_id},
                receipt_id=receipt_id,
            )
            if sample.status != 201:
                time.sleep(0.05)  # a client backs off a little

    def _read(self) -> None:
        while not self._stop.is_set():
            path = f"/v1/sites/default/consents/{self.subject}"
            if self._timed("lookup", path, None).status != 200:
                time.sleep(0.05)

    def _probe(self, kind: str, path: str, body: Any, every: float) -> None:
        while not self._stop.wait(every):
            self._timed(kind, path, body)

    def window(self, kind: str, start: float, end: float) -> list[Sample]:
        """The requests of ``kind`` sent and answered between ``start`` and ``end``."""
        return [
            s
            for s in self.samples
            if s.kind == kind and start <= s.start and s.start + s.latency <= end
        ]

    def acknowledged(self) -> set[str]:
        return {s.receipt_id for s in self.samples if s.status == 201 and s.receipt_id}
