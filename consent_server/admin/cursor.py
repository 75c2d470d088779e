"""Opaque, signed page cursors: a position (created_at, id) tied to one query.

The cursor is signed (HMAC-SHA256, purpose-specific salt) so that a client can
neither forge a position nor reuse a cursor with other filters or on another list.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from ..errors import ValidationFailed

_SALT = "consent-admin-cursor-v1:"


def _serializer(kind: str) -> URLSafeSerializer:
    keys: list[str] = current_app.config["CONSENT_SECRET_KEYS"]
    return URLSafeSerializer(
        list(reversed(keys)),
        salt=_SALT + kind,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


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
    token: str = _serializer(kind).dumps(
        [created_at.isoformat(), row_id, fingerprint(filters)]
    )
    return token


def read_cursor(
    kind: str, filters: dict[str, Any], cursor: str
) -> tuple[datetime, Any]:
    """The position a cursor points at.

    :raises ValidationFailed: forged, damaged, or made for another list or filters.
    """
    try:
        created, row_id, digest = _serializer(kind).loads(cursor)
        position = datetime.fromisoformat(created)
        if not isinstance(row_id, str | int) or isinstance(row_id, bool):
            raise TypeError(row_id)
    except (BadData, ValueError, TypeError):
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
