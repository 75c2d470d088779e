"""Hot-path statements run on the driver's own cursor, in autocommit.

SQLAlchemy builds and compiles each statement once; the driver (psycopg on
PostgreSQL, sqlite3 on SQLite) runs it. Going through SQLAlchemy's execution
layer (execution context, result metadata, the session's BEGIN and COMMIT) cost
the lookup endpoint about a tenth of its throughput in
``benchmarks/server_bench.py``, and recording a decision about as much.
Autocommit is set on the driver: no BEGIN and COMMIT round trips, each statement
is all or nothing on its own, and on SQLite the one writer lock is held for the
statement alone.

Values go in and come out through the column types' own conversions (JSON, UTC
datetimes), as SQLAlchemy's execute would apply them.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect, Engine, Insert, Select
from sqlalchemy.exc import DBAPIError, StatementError


class _Plan(NamedTuple):
    sql: str
    construct: Callable[..., MutableMapping[str, Any]]
    # The column types' conversions of parameter values (JSON, UTC datetimes).
    processors: Mapping[str, Any]
    # Parameter names in placeholder order (sqlite3's ``?``), or None: by name.
    positions: tuple[str, ...] | None
    # The result columns' conversions, by position (None: the value as it comes);
    # None when no column has one (the insert's previous id and action).
    results: tuple[Callable[[Any], Any] | None, ...] | None


@cache
def _plan(stmt: Insert | Select[Any], dialect: Dialect) -> _Plan:
    compiled = stmt.compile(dialect=dialect)
    # Parameter names are passed as they are: none of ours needs quoting.
    assert not compiled.escaped_bind_names, compiled.escaped_bind_names
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in stmt.exported_columns
    )
    return _Plan(
        str(compiled),
        compiled.construct_params,
        dict(compiled._bind_processors),
        positions,
        results if any(results) else None,
    )


# By statement: the named tuple its rows come as (None: it returns no rows), made
# from the first answer's columns. psycopg's ``namedtuple_row`` reads the columns'
# description again for every result; on the lookup that showed in profiles.
_ROW_TYPES: dict[str, Any] = {}
_UNKNOWN = object()


def _row_type(sql: str, cursor: Any) -> Any:
    row_type = _ROW_TYPES.get(sql, _UNKNOWN)
    if row_type is _UNKNOWN:
        description = cursor.description
        names = [c[0] for c in description] if description else None
        row_type = namedtuple("Row", names) if names else None
        _ROW_TYPES[sql] = row_type
    return row_type


def _driver_values(plan: _Plan, params: dict[str, Any]) -> Any:
    processors = plan.processors
    values = {
        key: processors[key](value) if key in processors else value
        for key, value in plan.construct(params, escape_names=False).items()
    }
    if plan.positions is None:
        return values
    return tuple(values[name] for name in plan.positions)


def _converted(plan: _Plan, row: Sequence[Any]) -> Sequence[Any]:
    if plan.results is None:
        return row
    return [
        value if convert is None or value is None else convert(value)
        for convert, value in zip(plan.results, row, strict=True)
    ]


def first_row(
    engine: Engine, stmt: Insert | Select[Any], params: dict[str, Any]
) -> Any | None:
    """Run ``stmt`` in autocommit: its first row (a named tuple), or None when it
    returns none.

    :raises sqlalchemy.exc.DBAPIError: as SQLAlchemy's own execute raises them
        (``IntegrityError`` for a unique key already used, and so on).
    """
    plan = _plan(stmt, engine.dialect)
    values = _driver_values(plan, params)
    dbapi = engine.dialect.loaded_dbapi
    with engine.connect() as conn:  # connection errors come as SQLAlchemy's
        driver: Any = conn.connection.driver_connection
        try:
            with _autocommit(driver, engine.dialect.name == "sqlite"):
                cursor = driver.cursor()
                try:
                    cursor.execute(plan.sql, values)
                    row_type = _row_type(plan.sql, cursor)
                    row = cursor.fetchone() if row_type is not None else None
                finally:
                    cursor.close()
        except dbapi.Error as exc:
            raise _wrapped(conn, plan.sql, params, exc) from exc
    return None if row is None else row_type._make(_converted(plan, row))


@contextmanager
def _autocommit(driver: Any, sqlite: bool) -> Iterator[None]:
    """The driver in autocommit for a statement, then back as the pool hands it
    out: sqlite3's ``isolation_level`` None (its ``autocommit``, Python 3.12 and
    later, means something else), psycopg's ``autocommit``."""
    if sqlite:
        saved = driver.isolation_level
        driver.isolation_level = None
        try:
            yield
        finally:
            driver.isolation_level = saved
    else:
        driver.autocommit = True
        try:
            yield
        finally:
            driver.autocommit = False


def _wrapped(conn: Connection, sql: str, params: Any, error: Any) -> StatementError:
    """What SQLAlchemy's own execute makes of a driver error: a ``DBAPIError``,
    ``connection_invalidated`` when the connection was lost.

    The connection is invalidated unless the database refused the statement for
    a constraint (then it answered, and the connection sits idle as it should):
    the pool never hands out one whose state an error left unknown.
    """
    dialect = conn.dialect
    dbapi = dialect.loaded_dbapi
    lost = dialect.is_disconnect(error, conn.connection.driver_connection, None)
    if lost or not isinstance(error, dbapi.IntegrityError):
        conn.invalidate(error)
    wrapped: StatementError = DBAPIError.instance(
        sql,
        params,
        error,
        dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )
    return wrapped
