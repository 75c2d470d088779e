"""Hot-path statements on PostgreSQL, run on psycopg's own cursor in autocommit.

SQLAlchemy builds and compiles each statement once; psycopg runs it. Going
through SQLAlchemy's execution layer (execution context, result metadata and
per-value processing on every execute) and its isolation-level switching
(``execution_options``, undone at check-in) cost the lookup endpoint about a
tenth of its throughput in ``benchmarks/server_bench.py``, and recording a
decision about as much. Autocommit is set on the driver: no BEGIN and COMMIT
round trips, and each statement is all or nothing on its own.

Only for statements whose values need no conversion on the way out: psycopg
returns what the columns hold (JSON as dicts, timestamps as aware datetimes).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, MutableMapping
from functools import cache
from typing import Any, NamedTuple

import psycopg
from psycopg.rows import tuple_row
from sqlalchemy import Connection, Dialect, Engine, Insert, Select
from sqlalchemy.exc import DBAPIError, StatementError


class _Plan(NamedTuple):
    sql: str
    construct: Callable[..., MutableMapping[str, Any]]
    # The column types' conversions of parameter values (JSON, UTC datetimes).
    processors: Mapping[str, Any]


@cache
def _plan(stmt: Insert | Select[Any], dialect: Dialect) -> _Plan:
    compiled = stmt.compile(dialect=dialect)
    # Parameter names are passed as they are: none of ours needs quoting.
    assert not compiled.escaped_bind_names, compiled.escaped_bind_names
    processors = dict(compiled._bind_processors)
    return _Plan(str(compiled), compiled.construct_params, processors)


# By statement: the named tuple its rows come as (None: it returns no rows), made
# from the first answer's columns. psycopg's ``namedtuple_row`` reads the columns'
# description again for every result; on the lookup that showed in profiles.
_ROW_TYPES: dict[str, Any] = {}
_UNKNOWN = object()


def _row_type(sql: str, cursor: psycopg.Cursor[Any]) -> Any:
    row_type = _ROW_TYPES.get(sql, _UNKNOWN)
    if row_type is _UNKNOWN:
        columns = cursor.description
        row_type = namedtuple("Row", [c.name for c in columns]) if columns else None
        _ROW_TYPES[sql] = row_type
    return row_type


def first_row(
    engine: Engine, stmt: Insert | Select[Any], params: dict[str, Any]
) -> Any | None:
    """Run ``stmt`` in autocommit: its first row (a named tuple), or None when it
    returns none.

    :raises sqlalchemy.exc.DBAPIError: as SQLAlchemy's own execute raises them
        (``IntegrityError`` for a unique key already used, and so on).
    """
    plan = _plan(stmt, engine.dialect)
    processors = plan.processors
    values = {
        key: processors[key](value) if key in processors else value
        for key, value in plan.construct(params, escape_names=False).items()
    }
    with engine.connect() as conn:  # connection errors come as SQLAlchemy's
        driver: Any = conn.connection.driver_connection
        try:
            driver.autocommit = True
            try:
                with driver.cursor(row_factory=tuple_row) as cursor:
                    cursor.execute(plan.sql, values)
                    row_type = _row_type(plan.sql, cursor)
                    row = cursor.fetchone() if row_type is not None else None
                    return row_type._make(row) if row is not None else None
            finally:
                driver.autocommit = False  # as the pool hands connections out
        except psycopg.Error as exc:
            raise _wrapped(conn, plan.sql, params, exc) from exc


def _wrapped(conn: Connection, sql: str, params: Any, error: Any) -> StatementError:
    """What SQLAlchemy's own execute makes of a driver error: a ``DBAPIError``,
    ``connection_invalidated`` when the connection was lost.

    The connection is invalidated unless the server refused the statement for a
    constraint (then it answered, and the connection sits idle as it should): the
    pool never hands out one whose state an error left unknown.
    """
    dialect = conn.dialect
    lost = dialect.is_disconnect(error, conn.connection.driver_connection, None)
    if lost or not isinstance(error, psycopg.IntegrityError):
        conn.invalidate(error)
    wrapped: StatementError = DBAPIError.instance(
        sql,
        params,
        error,
        psycopg.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )
    return wrapped
