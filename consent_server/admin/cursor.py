"""Opaque, signed page cursors: a position (created_at, id) tied to one query.

The cursor is signed (HMAC-SHA256, purpose-specific salt) so that a client can
neither forge a position nor reuse a cursor with other filters or on another list.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from ..config import secret_keys
from ..errors import ValidationFailed
from ..signing import TokenInvalid, read_value, sign_value


def _keys() -> list[str]:
    keys = secret_keys()
    return keys


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
    return sign_value(
        _keys(),
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
        created, row_id, digest = read_value(_keys(), f"cursor-{kind}", cursor)
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
