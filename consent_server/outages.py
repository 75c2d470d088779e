"""When a dependency is down: 503 problems with ``Retry-After``, one log line each.

An outage is not a bug: it answers ``503`` (the client's retry or the banner's
queue will deliver the decision later) and writes one line per failed request,
not a traceback (issue #10). Every other error stays a 500 with its traceback.
"""

from __future__ import annotations

import logging
import sqlite3

import psycopg
from flask import Response, request
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .errors import Problem, handle_problem

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

# SQLSTATE classes and codes that say "not now" rather than "never": connection
# exceptions, insufficient resources, operator intervention (shutdown, statement
# timeout), system errors; lock timeout, serialization failure and deadlock.
# https://www.postgresql.org/docs/current/errcodes-appendix.html
_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57", "58"})
_UNAVAILABLE_CODES = frozenset({"55P03", "40001", "40P01"})


class ServiceUnavailable(Problem):
    status = 503
    type = "service-unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class DatabaseUnavailable(ServiceUnavailable):
    type = "database-unavailable"
    title = "Database unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The database is unavailable or too slow right now; nothing was stored. "
            "Try again after the delay in Retry-After."
        )


class RateLimitsUnavailable(ServiceUnavailable):
    type = "rate-limits-unavailable"
    title = "Rate limits unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The rate-limit storage is unreachable; nothing was stored. Try again "
            "after the delay in Retry-After."
        )


def is_unavailable(error: BaseException | None) -> bool:
    """Whether a database error means "unavailable now" (not a bug).

    Connections refused, lost or closed by the server, timeouts (connect,
    statement, lock, pool checkout), shutdowns, a busy SQLite file.
    """
    if isinstance(error, PoolTimeout | DisconnectionError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, psycopg.OperationalError):
        state = error.sqlstate
        # No SQLSTATE: the client library could not reach or lost the server.
        return (
            state is None
            or state[:2] in _UNAVAILABLE_CLASSES
            or state in _UNAVAILABLE_CODES
        )
    if isinstance(error, sqlite3.OperationalError):
        name = getattr(error, "sqlite_errorname", "")
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    return False


def one_line(error: BaseException, limit: int = 300) -> str:
    """An error as one short log line: its kind and its text, shortened."""
    cause = getattr(error, "orig", None) or error
    text = " ".join(str(cause).split())
    return f"{type(cause).__name__}: {text[:limit]}"


def log_unavailable(what: str, error: BaseException) -> None:
    """One line per failed request; the endpoint, not the path (it may hold ids)."""
    log.error(
        "%s unavailable: %s %s answered 503: %s",
        what,
        request.method,
        request.endpoint,
        one_line(error),
    )


def handle_database_error(error: SQLAlchemyError) -> Response:
    """A database outage is a 503 problem; any other database error is re-raised
    to become a 500 with its traceback."""
    if not is_unavailable(error):
        raise error
    log_unavailable("database", error)
    _discard_session()
    return handle_problem(DatabaseUnavailable())


def _discard_session() -> None:
    """Leave the session usable for after-request hooks (its transaction failed)."""
    from .extensions import db

    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone: the pool replaces it
        pass
