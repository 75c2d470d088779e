"""Ways to break things for the fault tests, and small request helpers."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def backends(server: Engine, url: str) -> list[int]:
    """The server processes connected to the database of ``url``."""
    with server.connect() as conn:
        return list(
            conn.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                {"d": database_name(url)},
            )
        )


def terminate_backends(server: Engine, url: str, timeout: float = 30) -> int:
    """``pg_terminate_backend`` every connection to the database of ``url``, and
    wait until the server has closed them all; returns how many there were."""
    with server.connect() as conn:
        ended = conn.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :d"
            ),
            {"d": database_name(url)},
        )
    deadline = time.monotonic() + timeout
    while backends(server, url):
        assert time.monotonic() < deadline, "backends still alive"
        time.sleep(0.05)
    return int(ended or 0)


def allow_connections(server: Engine, url: str, allowed: bool) -> None:
    with server.connect() as conn:
        conn.execute(
            text(
                f'ALTER DATABASE "{database_name(url)}" '
                f"ALLOW_CONNECTIONS {str(allowed).lower()}"
            )
        )


class HungServer:
    """A TCP server that accepts connections and never answers: a hung Redis.

    Each connection is closed after ``hang_up_after`` seconds, so that code
    without socket timeouts fails a test instead of hanging it.
    """

    def __init__(self, hang_up_after: float = 10.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.hang_up_after = hang_up_after
        self.accepted: list[tuple[socket.socket, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
                self.accepted.append((conn, time.monotonic()))  # never read
            except TimeoutError:
                pass
            except OSError:
                return
            expired = time.monotonic() - self.hang_up_after
            for conn, since in [c for c in self.accepted if c[1] < expired]:
                conn.close()
                self.accepted.remove((conn, since))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()
        for conn, _ in self.accepted:
            conn.close()


def decision(notice: str, **fields: Any) -> dict[str, Any]:
    """A decision body for the default site."""
    return {
        "notice": notice,
        "choices": {"persistent": True, "third_party": False},
        **fields,
    }


@contextmanager
def writes_locked(url: str, at_most: float = 20.0) -> Iterator[None]:
    """Hold a lock that stalls every decision: on PostgreSQL ``LOCK TABLE receipts``
    (reads wait too), on SQLite the write lock of the file (``BEGIN IMMEDIATE``).

    PostgreSQL ends the lock after ``at_most`` seconds whatever happens, so that
    code without timeouts fails the test instead of waiting for it forever.
    """
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    conn = engine.connect()
    try:
        ms = int(at_most * 1000)
        conn.exec_driver_sql(f"SET idle_in_transaction_session_timeout = {ms}")
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("LOCK TABLE receipts IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        with suppress(DBAPIError):  # ended by the server after at_most seconds
            conn.exec_driver_sql("ROLLBACK")
        conn.close()
        engine.dispose()
