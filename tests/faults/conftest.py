"""Faults for real, not mocked (issue #10): a PostgreSQL database of each test's
own that the test locks, closes to connections or cuts off; a socket that accepts
and never answers in place of a hung Redis; gunicorn workers killed with SIGKILL.

PostgreSQL tests need CONSENT_TEST_DATABASE_URL (its server, never its database)
and are skipped without it. Bounds are generous: a slow, shared machine must pass.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from tests.faults.helpers import HungServer
from tests.support import scratch_database, server_url

PG_URL = os.environ.get("CONSENT_TEST_DATABASE_URL")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped after it."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: set CONSENT_TEST_DATABASE_URL")
    with scratch_database(PG_URL, "faults") as url:
        yield url


def _database_params() -> list[Any]:
    params: list[Any] = [pytest.param("sqlite", id="sqlite")]
    if PG_URL:
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite, and PostgreSQL in a database of the test's own (never ``test``)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'faults.sqlite3'}"


@pytest.fixture
def server(pg_url: str) -> Iterator[Engine]:
    """The ``postgres`` database of the test's server, in autocommit: the seat
    from which a test breaks its own database."""
    engine = create_engine(server_url(pg_url), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def hung_redis() -> Iterator[HungServer]:
    # Silent far longer than PROMPT in test_redis.py: only a client timeout ends a wait.
    server = HungServer(hang_up_after=60.0)
    yield server
    server.close()


@pytest.fixture
def unreachable_redis() -> str:
    """A Redis URL whose port refuses connections (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}"
