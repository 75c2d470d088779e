"""A receipt's JWS: what it signs, signing it when recorded, checking it for staff.

The payload is the receipt as the service answers it (the ``receipt`` object of
``POST /v1/sites/<site>/consents``, ``ReceiptSchema``): every stored field that
makes the receipt, the minimized context included, never the token or the hashed
Idempotency-Key. So a visitor or auditor compares the JWS payload with the
receipt they were given, and staff compare it with the stored row.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from .extensions import db
from .jws import RECEIPT_TYP, JWSInvalid, sign_compact, verify_compact_header
from .models import LogHead, Receipt
from .signing_keys import current_signing_keys

# Payload key -> receipt attribute, in ReceiptSchema's order.
PAYLOAD_FIELDS = (
    ("id", "id"),
    ("site", "site"),
    ("subject", "subject"),
    ("action", "action"),
    ("method", "method"),
    ("layer", "layer"),
    ("choices", "choices"),
    ("gpc", "gpc"),
    ("previous", "previous_id"),
    ("policy_version", "policy_version"),
    ("notice", "notice_hash"),
    ("language", "language"),
    ("created_at", "created_at"),
    ("expires_at", "expires_at"),
    ("banner_build", "banner_build"),
    ("jurisdiction", "jurisdiction"),
    ("user_activation", "user_activation"),
    ("origin", "origin"),
    ("user_agent", "user_agent"),
    ("ip_prefix", "ip_prefix"),
)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # As the API writes times (marshmallow's iso format), UTC.
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): bool(v) for k, v in value.items()}
    return value


def receipt_payload(receipt: Any) -> dict[str, Any]:
    """The JSON object a receipt's JWS signs, from a ``Receipt`` (or a row)."""
    return {key: _json_value(getattr(receipt, attr)) for key, attr in PAYLOAD_FIELDS}


def sign_receipt(receipt: Any) -> str:
    """The receipt's compact JWS, with the app's newest signing key."""
    return sign_compact(receipt_payload(receipt), typ=RECEIPT_TYP)


def check_receipt_jws(
    receipt: Any, jwks: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Check a stored receipt's JWS with the JWKS, and its payload against the row.

    ``reason`` is ``missing`` (recorded before receipts were signed), ``erased``,
    a ``verify_compact`` reason, ``mismatch`` (the payload and the stored receipt
    differ in ``mismatches``) or ``outside_key_period`` (a retired key signed a
    receipt made outside the period the JWKS says it signed in).
    """
    result: dict[str, Any] = {
        "valid": False,
        "reason": None,
        "kid": None,
        "mismatches": [],
    }
    if receipt.jws is None:
        result["reason"] = "erased" if receipt.token is None else "missing"
        return result
    jwks = jwks or current_signing_keys().jwks()
    try:
        header, payload = verify_compact_header(receipt.jws, jwks, typ=RECEIPT_TYP)
    except JWSInvalid as exc:
        result["reason"] = exc.reason
        return result
    result["kid"] = header["kid"]
    stored = receipt_payload(receipt)
    keys = list(stored) + [k for k in payload if k not in stored]
    result["mismatches"] = [k for k in keys if payload.get(k) != stored.get(k)]
    if result["mismatches"]:
        result["reason"] = "mismatch"
    elif not _in_key_period(jwks, header["kid"], receipt.created_at):
        result["reason"] = "outside_key_period"
    result["valid"] = result["reason"] is None
    return result


def _in_key_period(jwks: Mapping[str, Any], kid: str, created_at: datetime) -> bool:
    """Whether the key signed in the period the JWKS gives it (retired keys only;
    a key that still signs has no period)."""
    for entry in jwks.get("keys", []):
        if entry.get("kid") == kid and "signed_until" in entry:
            start = datetime.fromisoformat(entry["signed_from"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(entry["signed_until"].replace("Z", "+00:00"))
            return bool(start <= created_at <= end)
    return True


def receipts_by_kid() -> Counter[str | None]:
    """How many stored receipts each key signed (``None``: receipts without a JWS).

    A retired key may leave the JWKS only once no kept receipt names it.
    """
    return _by_kid(select(Receipt.jws))


def heads_by_kid() -> Counter[str | None]:
    """How many signed tree heads each key signed: a visitor's proof file holds
    one, checked with the JWKS like the receipt's JWS."""
    return _by_kid(select(LogHead.signature))


def _by_kid(jws_column: Any) -> Counter[str | None]:
    """Count a column of compact JWS by the ``kid`` of their protected header.
    Every JWS of one key has the same header, so each distinct one is decoded once."""
    by_header: Counter[str] = Counter()
    unsigned = 0
    rows = db.session.scalars(jws_column.execution_options(yield_per=10_000))
    for token in rows:
        if token is None:
            unsigned += 1
        else:
            by_header[token.split(".", 1)[0]] += 1
    counts: Counter[str | None] = Counter()
    if unsigned:
        counts[None] = unsigned
    for header, number in by_header.items():
        counts[_header_kid(header)] += number
    return counts


def _header_kid(header: str) -> str:
    """The ``kid`` a (not yet verified) protected header names."""
    try:
        data = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError):
        return "(unreadable header)"
    kid = data.get("kid") if isinstance(data, dict) else None
    return kid if isinstance(kid, str) else "(no kid)"
