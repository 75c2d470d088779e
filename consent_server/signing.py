"""Consent tokens: the only importer of itsdangerous.

A token is ``URLSafeTimedSerializer`` output, ``payload.timestamp.signature``,
HMAC-SHA256 instead of the library's SHA-1 default. The payload is never
compressed, so the banner can read it with a base64 decode and no key.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import (
    BadData,
    BadSignature,
    SignatureExpired,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

TOKEN_SALT = "consent-receipt-v1"
# No token outlives the longest validity a site may set (DESIGN: 3650 days).
MAX_TOKEN_AGE = 3650 * 86400


def parse_secret_keys(keys: str | Iterable[str] | None) -> list[str]:
    """Keys newest first, from a list or a comma-separated string (as in the
    ``CONSENT_SECRET_KEYS`` environment variable); blanks are dropped."""
    if keys is None:
        return []
    if isinstance(keys, str):
        keys = keys.split(",")
    return [k.strip() for k in keys if isinstance(k, str) and k.strip()]


class _PlainURLSafeSerializer(URLSafeTimedSerializer):
    """Like ``URLSafeTimedSerializer`` but never zlib-compresses the payload."""

    def dump_payload(self, obj: Any) -> bytes:
        json = super(URLSafeSerializerMixin, self).dump_payload(obj)
        return base64_encode(json)


@dataclass(frozen=True)
class TokenClaims:
    """What a consent token says."""

    receipt_id: str
    site: str
    subject: str
    granted: tuple[str, ...]
    denied: tuple[str, ...]
    policy_version: str
    expires_at: datetime
    issued_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.receipt_id,
            "site": self.site,
            "subject": self.subject,
            "granted": list(self.granted),
            "denied": list(self.denied),
            "policy_version": self.policy_version,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
        }


class TokenInvalid(Exception):
    """The token cannot be trusted; ``reason`` is one of the verify reasons."""

    def __init__(self, reason: str, claims: TokenClaims | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.claims = claims


def _serializer(secret_keys: list[str]) -> URLSafeTimedSerializer:
    return _cached_serializer(tuple(secret_keys))


@functools.lru_cache(maxsize=8)
def _cached_serializer(secret_keys: tuple[str, ...]) -> URLSafeTimedSerializer:
    """One serializer per key set: building one per request showed in profiles."""
    if not secret_keys:
        raise ValueError("at least one secret key is needed")
    # Configured newest first; itsdangerous wants oldest to newest and signs with
    # the last one, verifying with all of them (key rotation).
    return _PlainURLSafeSerializer(
        list(reversed(secret_keys)),
        salt=TOKEN_SALT,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def sign_token(
    secret_keys: list[str],
    *,
    receipt_id: str,
    site: str,
    subject: str,
    choices: dict[str, bool],
    policy_version: str,
    expires_at: datetime,
) -> str:
    """Sign the consent token of one receipt: the compact payload the cookie holds."""
    payload = {
        "r": receipt_id,
        "s": site,
        "u": subject,
        "g": [c for c, ok in choices.items() if ok],
        "d": [c for c, ok in choices.items() if not ok],
        "p": policy_version,
        "e": int(expires_at.timestamp()),
    }
    token: str = _serializer(secret_keys).dumps(payload)
    return token


def _claims(payload: Any, issued_at: datetime) -> TokenClaims:
    try:
        return TokenClaims(
            receipt_id=str(payload["r"]),
            site=str(payload["s"]),
            subject=str(payload["u"]),
            granted=tuple(str(c) for c in payload["g"]),
            denied=tuple(str(c) for c in payload["d"]),
            policy_version=str(payload["p"]),
            expires_at=datetime.fromtimestamp(int(payload["e"]), UTC),
            issued_at=issued_at,
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise TokenInvalid("bad_signature") from exc


def read_token(
    secret_keys: list[str], token: str, now: datetime | None = None
) -> TokenClaims:
    """Verify a token's signature and expiry and return its claims.

    :raises TokenInvalid: with reason ``bad_signature`` or ``expired``.
    """
    serializer = _serializer(secret_keys)
    try:
        payload, issued = serializer.loads(
            token, max_age=MAX_TOKEN_AGE, return_timestamp=True
        )
    except SignatureExpired as exc:
        raise TokenInvalid("expired") from exc
    except (BadSignature, BadData, UnicodeError, ValueError) as exc:
        raise TokenInvalid("bad_signature") from exc
    claims = _claims(payload, issued)
    if claims.expires_at <= (now or datetime.now(UTC)):
        raise TokenInvalid("expired", claims)
    return claims


def _purpose_serializer(secret_keys: list[str], purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(
        list(reversed(secret_keys)),
        salt=f"consent-{purpose}-v1",
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def sign_value(secret_keys: list[str], purpose: str, value: Any) -> str:
    """Sign any JSON value for one purpose (page cursors, ...); not a consent token."""
    token: str = _purpose_serializer(secret_keys, purpose).dumps(value)
    return token


def read_value(secret_keys: list[str], purpose: str, token: str) -> Any:
    """The value ``sign_value`` signed for this purpose.

    :raises TokenInvalid: ``bad_signature`` when forged, damaged or of another purpose.
    """
    try:
        return _purpose_serializer(secret_keys, purpose).loads(token)
    except (BadData, UnicodeError, ValueError) as exc:
        raise TokenInvalid("bad_signature") from exc
