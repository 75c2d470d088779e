"""Helpers shared by the tests and the benchmarks: the system Chromium and a clean
PostgreSQL database. Nothing here is a fixture; it imports no test framework."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

# Chromium from the OS package manager (never downloaded); CONSENT_TEST_CHROMIUM
# names another executable.
CHROMIUM = os.environ.get("CONSENT_TEST_CHROMIUM", "/usr/bin/chromium")
# Headless on a machine with no network beyond the package registries: without the
# background-networking flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def server_url(url: str) -> str:
    """The URL of the ``postgres`` database on the server of ``url``."""
    return url.rsplit("/", 1)[0] + "/postgres"


def create_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` unless it exists."""
    name = url.rsplit("/", 1)[1]
    server = create_engine(server_url(url), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()


def reset_postgres(url: str) -> None:
    """An empty public schema in the database of ``url`` (created if missing)."""
    create_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database of ``url``, ending its connections first."""
    name = url.rsplit("/", 1)[1]
    server = create_engine(server_url(url), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@contextmanager
def scratch_database(url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the server of ``url``, dropped afterwards.

    For tests that break their database (lock it, refuse connections, end them):
    the database named in ``url`` is never touched.
    """
    scratch = url.rsplit("/", 1)[0] + f"/{prefix}_{uuid.uuid4().hex[:12]}"
    create_database(scratch)
    try:
        yield scratch
    finally:
        drop_database(scratch)
