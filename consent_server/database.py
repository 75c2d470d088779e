"""Database connections with bounds: every wait has a timeout, and a connection the
server closed while it sat in the pool is replaced before a request uses it.

A stalled database must cost a request seconds, not a worker, and a restart or a
terminated backend must cost visitors nothing (issue #10).
"""

from __future__ import annotations

import math
import select
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from .config import ConfigError

# Longer than any sane statement of a request; a typo of milliseconds for seconds.
MAX_DB_TIMEOUT = 600.0


def checked_timeout(value: Any) -> float:
    """``CONSENT_DB_TIMEOUT`` as seconds, or a ConfigError naming it."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not 0 < seconds <= MAX_DB_TIMEOUT:  # also refuses nan
        raise ConfigError(
            f"CONSENT_DB_TIMEOUT={value!r} must be a number of seconds above 0 and "
            f"at most {MAX_DB_TIMEOUT:g}"
        )
    return seconds


def engine_options(
    url: str, timeout: float, options: Mapping[str, Any]
) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` bounded by ``timeout`` seconds for ``url``.

    PostgreSQL: statement and lock timeouts for every statement (as connection
    options, so they cost no round trip), a connect timeout, and a pool checkout
    timeout. SQLite: its busy timeout. Options given in ``options`` (or in the
    URL) win: their ``-c`` settings come after these.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    given = dict(options)
    connect_args = dict(given.pop("connect_args", None) or {})
    bounded: dict[str, Any] = {}
    if backend == "postgresql":
        ms = max(1, round(timeout * 1000))
        settings = [f"-c statement_timeout={ms}", f"-c lock_timeout={ms}"]
        for extra in (parsed.query.get("options"), connect_args.get("options")):
            if isinstance(extra, str) and extra:
                settings.append(extra)
        # libpq counts whole seconds and takes anything under 2 as 2.
        connect_args.setdefault("connect_timeout", max(2, math.ceil(timeout)))
        connect_args["options"] = " ".join(settings)
        bounded["pool_timeout"] = timeout
    elif backend == "sqlite":
        connect_args.setdefault("timeout", timeout)  # the busy timeout
        if parsed.database not in (None, "", ":memory:"):
            bounded["pool_timeout"] = timeout  # in-memory uses a pool without waits
    return {**bounded, **given, "connect_args": connect_args}


def lift_statement_timeout(engine: Engine) -> None:
    """No statement timeout on ``engine``'s connections from now on (PostgreSQL).

    For operator commands (migrations, the purge, the recount), which may take
    minutes on a large table. The lock timeout stays: a migration that cannot get
    its lock soon fails, to be run again, instead of stalling the traffic queued
    behind it.
    """
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "connect", _no_statement_timeout)
    engine.dispose()  # the pool's connections were made with the timeout


def _no_statement_timeout(dbapi_connection: Any, connection_record: Any) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET outside a transaction stays set
    dbapi_connection.execute("SET statement_timeout = 0")
    dbapi_connection.autocommit = autocommit


def replace_closed_connections(engine: Engine) -> None:
    """Check each pooled PostgreSQL connection at checkout (``_closed_by_server``)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "checkout", _closed_by_server)


def _closed_by_server(
    dbapi_connection: Any, connection_record: Any, connection_proxy: Any
) -> None:
    """Make the pool replace a connection the server has closed, before it is used.

    An idle connection has nothing to read: a readable socket means the server
    said goodbye (``pg_terminate_backend``, a restart, a failover) or is gone. This
    costs one ``poll()`` and no round trip, where ``pool_pre_ping`` would add a
    ``SELECT 1`` to every lookup, and it needs no retry of a statement, so nothing
    can be stored twice. SQLAlchemy opens a new connection in place of one this
    raises ``DisconnectionError`` for. A rare false alarm (a setting the server
    reports after a reload) costs one reconnect. A connection lost while in use
    still fails its request: the caller retries, as for any network error.
    """
    pgconn = dbapi_connection.pgconn
    if dbapi_connection.closed or pgconn.status != 0:  # 0: CONNECTION_OK
        raise DisconnectionError("the connection is closed")
    if _readable(pgconn.socket):
        raise DisconnectionError("the server closed the connection")


def _readable(fd: int) -> bool:
    """Whether ``fd`` has data or a hang-up waiting, without blocking."""
    if hasattr(select, "poll"):  # select() fails on descriptors above 1023
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])
