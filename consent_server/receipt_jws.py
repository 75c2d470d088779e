"""A receipt's JWS: what it signs, signing it when recorded, checking it for staff.

The payload is the receipt as the service answers it (the ``receipt`` object of
``POST /v1/sites/<site>/consents``, ``ReceiptSchema``): every stored field that
makes the receipt, the minimized context included, never the token or the hashed
Idempotency-Key. So a visitor or auditor compares the JWS payload with the
receipt they were given, and staff compare it with the stored row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .jws import RECEIPT_TYP, JWSInvalid, sign_compact, verify_compact_header
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
    a ``verify_compact`` reason, or ``mismatch`` (the payload and the stored
    receipt differ in ``mismatches``).
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
    try:
        header, payload = verify_compact_header(
            receipt.jws, jwks or current_signing_keys().jwks(), typ=RECEIPT_TYP
        )
    except JWSInvalid as exc:
        result["reason"] = exc.reason
        return result
    result["kid"] = header["kid"]
    stored = receipt_payload(receipt)
    keys = list(stored) + [k for k in payload if k not in stored]
    result["mismatches"] = [k for k in keys if payload.get(k) != stored.get(k)]
    result["valid"] = not result["mismatches"]
    if result["mismatches"]:
        result["reason"] = "mismatch"
    return result
