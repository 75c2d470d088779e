"""Cursor pagination: pages newest first, and opaque, signed page cursors.

A cursor is a position (created_at, id) tied to one query. It is signed
(HMAC-SHA256, purpose-specific salt) so that a client can neither forge a
position nor reuse a cursor with other filters or on another list, and rows
added meanwhile never shift the pages.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_

from ..config import secret_keys
from ..errors import ValidationFailed
from ..extensions import db
from ..signing import TokenInvalid, read_value, sign_value

DEFAULT_LIMIT = 100
MAX_LIMIT = 500

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and the cursor of the next page (None on the last)."""

    items: list[T]
    next_cursor: str | None


def fingerprint(filters: dict[str, Any]) -> str:
    """A short digest of the filters a cursor belongs to."""
    canonical = json.dumps(
        {k: v for k, v in filters.items() if k not in {"cursor", "limit", "format"}},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def make_cursor(
    kind: str, filters: dict[str, Any], created_at: datetime, row_id: Any
) -> str:
    """A cursor pointing just after the row at (created_at, row_id)."""
    return sign_value(
        secret_keys(),
        f"cursor-{kind}",
        [created_at.isoformat(), row_id, fingerprint(filters)],
    )


def read_cursor(
    kind: str, filters: dict[str, Any], cursor: str
) -> tuple[datetime, Any]:
    """The position a cursor points at.

    :raises ValidationFailed: forged, damaged, or made for another list or filters.
    """
    try:
        created, row_id, digest = read_value(secret_keys(), f"cursor-{kind}", cursor)
        position = datetime.fromisoformat(created)
        if not isinstance(row_id, str | int) or isinstance(row_id, bool):
            raise TypeError(row_id)
    except (TokenInvalid, ValueError, TypeError):
        raise ValidationFailed(
            "The cursor is not one this server made.",
            {"cursor": ["Invalid cursor; start again without one."]},
        ) from None
    if digest != fingerprint(filters):
        raise ValidationFailed(
            "The cursor belongs to another query.",
            {"cursor": ["Use the cursor with the same filters it was made for."]},
        )
    return position, row_id


def paginate(
    model: Any,
    stmt: Select[Any],
    kind: str,
    args: dict[str, Any],
    filters: dict[str, Any],
) -> Page[Any]:
    """The page of ``stmt`` that ``args`` (limit, cursor) ask for, newest first.

    ``model`` has ``created_at`` and ``id`` columns; ``kind`` names the list and
    ``filters`` the query, so that a cursor only works where it was made.
    """
    limit = args.get("limit", DEFAULT_LIMIT)
    if args.get("cursor"):
        created, row_id = read_cursor(kind, filters, args["cursor"])
        stmt = stmt.where(
            or_(
                model.created_at < created,
                and_(model.created_at == created, model.id < row_id),
            )
        )
    stmt = stmt.order_by(model.created_at.desc(), model.id.desc())
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    return Page(rows, make_cursor(kind, filters, rows[-1].created_at, rows[-1].id))
