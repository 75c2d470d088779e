"""Helpers shared by the tests and the benchmarks: the system Chromium and a clean
PostgreSQL database. Nothing here is a fixture; it imports no test framework."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from consent_server.signing import sign_token

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


def cookie_token(
    keys: list[str],
    *,
    third_party: bool = True,
    site: str = "default",
    policy_version: str,
    expires_in: timedelta = timedelta(days=30),
) -> str:
    """A consent cookie of the default site's categories, signed with ``keys``."""
    return sign_token(
        keys,
        receipt_id=str(uuid.uuid4()),
        site=site,
        subject=str(uuid.uuid4()),
        choices={"session": True, "persistent": False, "third_party": third_party},
        policy_version=policy_version,
        expires_at=datetime.now(UTC) + expires_in,
    )


@contextmanager
def logging_kept() -> Iterator[None]:
    """Undo what migrations/env.py does to logging (``fileConfig`` disables every
    other logger and replaces the root handlers)."""
    manager = logging.Logger.manager
    disabled = {
        name: logger.disabled
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for name, logger in manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.disabled = disabled.get(name, False)
        root.handlers[:] = handlers
        root.setLevel(level)


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
