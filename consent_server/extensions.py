"""Flask extensions, created unbound; ``create_app`` binds them."""

from __future__ import annotations

from typing import Any

from flask_cors import CORS
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

from .errors import ProblemApi
from .limiter import RouteLimiter

# Stable constraint names, so that Alembic migrations are the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Receipts are serialized after their commit; expiring them would re-read each row.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
api = ProblemApi()
cors = CORS()


# The client address comes from werkzeug's ProxyFix (set up in create_app) when the
# operator declares proxies, so request.remote_addr is the visitor's address.
# Each limit names its key (``api.limits.client_key``: IPv6 per /64).
limiter = RouteLimiter(key_func=get_remote_address, default_limits=[])


def upsert_insert(table: Table, dialect: str) -> Any:
    """The dialect's ``INSERT`` with ``on_conflict_do_*`` (SQLite, PostgreSQL)."""
    insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(
        dialect
    )
    if insert is None:
        raise RuntimeError(f"this service needs SQLite or PostgreSQL, not {dialect}")
    return insert(table)
