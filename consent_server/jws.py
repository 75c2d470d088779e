"""Compact JWS (RFC 7515) over canonical JSON (RFC 8785), signed with Ed25519.

What the service signs with its signing keys (receipts, signed tree heads) goes
through here, so anyone holding the JWKS (``/.well-known/jwks.json``) can check it
offline with any JOSE library. The payload bytes are the RFC 8785 canonical form
of a JSON object: the same object always gives the same bytes, so a verifier can
compare the payload with a record it rebuilt, byte for byte.

``joserfc`` does the JOSE work, ``rfc8785`` the canonical form (see README).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry
from joserfc.util import to_bytes

from .signing_keys import SigningKey, current_signing_keys

ALG = "EdDSA"
# The ``typ`` of each kind of signed document (RFC 7515 section 4.1.9).
RECEIPT_TYP = "consent-receipt+jws"
TREE_HEAD_TYP = "tree-head+jws"
MAX_TOKEN_CHARS = 64 * 1024


class _EdDSA(type(jws.JWSRegistry.algorithms["EdDSA"])):  # type: ignore[misc]
    """joserfc's EdDSA without its RFC 9864 deprecation warning.

    RFC 9864 names ``Ed25519`` the fully specified successor of ``EdDSA``, but
    common verifiers (PyJWT among them) know only ``EdDSA`` yet, and DESIGN.md
    promises ``alg: EdDSA``. The keys are Ed25519 only (``signing_keys``), which is
    what the new name would pin.
    """

    security_warning = None


class _Registry(JWSRegistry):
    """A registry that allows EdDSA and nothing else (no ``none``, no HMAC)."""

    algorithms = {ALG: _EdDSA()}
    recommended = [ALG]


_REGISTRY = _Registry(algorithms=[ALG])


class JWSInvalid(Exception):
    """A JWS that cannot be trusted; ``reason`` says why, in a word."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# Integers JSON numbers (IEEE 754 doubles) hold exactly; rfc8785 refuses others.
_SAFE_INTEGER = 2**53 - 1


def _plain(value: Any) -> bool:
    """Only objects with text keys, lists, text, booleans, null, safe integers:
    no number whose form the standard library writes otherwise than RFC 8785."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return False


def ascii_canonical_json(obj: Any) -> bytes | None:
    """RFC 8785 bytes of a value the caller knows to be plain (strings, booleans,
    null, small integers, objects and lists of those), or None when its text is
    not all ASCII and ``canonical_json`` must order it the RFC's way."""
    text = json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("ascii") if text.isascii() else None


def canonical_json(obj: Any) -> bytes:
    """The RFC 8785 (JCS) canonical UTF-8 bytes of a JSON value.

    Receipts and tree heads are plain values in ASCII: for those the standard
    library's sorted compact JSON is RFC 8785 byte for byte (code point order is
    UTF-16 order in ASCII, the same escapes, no floats to format) at a fifth of
    ``rfc8785``'s cost on the record path; everything else goes to ``rfc8785``.
    ``tests/unit/test_jws.py`` holds both to the same output.

    :raises ValueError: the value holds something JSON cannot (a datetime, NaN,
        an integer beyond 2**53).
    """
    if _plain(obj) and (fast := ascii_canonical_json(obj)) is not None:
        return fast
    try:
        data: bytes = rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise ValueError(f"not canonical JSON: {exc}") from exc
    return data


def sign_with(key: SigningKey, payload: Mapping[str, Any], typ: str) -> str:
    """Sign ``payload`` with one given key: a compact JWS over its canonical JSON."""
    header = {"alg": ALG, "kid": key.kid, "typ": typ}
    token: str = jws.serialize_compact(
        header, canonical_json(dict(payload)), key.jwk, registry=_REGISTRY
    )
    return token


def sign_compact(payload: Mapping[str, Any], typ: str = RECEIPT_TYP) -> str:
    """Sign ``payload`` with the current app's newest signing key.

    The protected header is ``{"alg": "EdDSA", "kid": ..., "typ": typ}``.
    """
    return sign_with(current_signing_keys().signing_key, payload, typ)


def _public_key(jwks: Mapping[str, Any], kid: Any) -> OKPKey:
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise JWSInvalid("bad_jwks", "the JWKS has no 'keys' list")
    for entry in keys:
        if isinstance(entry, Mapping) and entry.get("kid") == kid:
            if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
                raise JWSInvalid("unknown_key", f"key {kid!r} is not an Ed25519 key")
            try:
                return OKPKey.import_key(
                    {"kty": "OKP", "crv": "Ed25519", "x": entry["x"]}
                )
            except (JoseError, KeyError, TypeError, ValueError) as exc:
                raise JWSInvalid("bad_jwks", f"key {kid!r}: {exc}") from exc
    raise JWSInvalid("unknown_key", f"no key {kid!r} in the JWKS")


def verify_compact(
    token: str, jwks: Mapping[str, Any], typ: str | None = None
) -> dict[str, Any]:
    """Check a compact JWS against a JWKS and return its payload object.

    See ``verify_compact_header``, which also returns the protected header.
    """
    return verify_compact_header(token, jwks, typ)[1]


def verify_compact_header(
    token: str, jwks: Mapping[str, Any], typ: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a compact JWS against a JWKS: its protected header and payload object.

    Refused: anything but ``alg: EdDSA``, a ``kid`` the JWKS lacks, a header or
    payload changed after signing, a payload that is not a canonical JSON object,
    and (when ``typ`` is given) another kind of document.

    :raises JWSInvalid: with ``reason`` ``malformed``, ``bad_header``,
        ``unknown_key``, ``bad_jwks``, ``bad_signature`` or ``bad_payload``.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise JWSInvalid("malformed", "not a compact JWS")
    try:
        obj = jws.extract_compact(to_bytes(token))
    except (JoseError, ValueError, TypeError) as exc:
        raise JWSInvalid("malformed", str(exc)) from exc
    header = obj.protected
    if header.get("alg") != ALG:
        raise JWSInvalid("bad_header", f"alg must be {ALG}")
    if typ is not None and header.get("typ") != typ:
        raise JWSInvalid("bad_header", f"typ must be {typ}")
    key = _public_key(jwks, header.get("kid"))
    try:
        valid = jws.validate_compact(obj, key, registry=_REGISTRY)
    except JoseError as exc:
        raise JWSInvalid("bad_header", str(exc)) from exc
    if not valid:
        raise JWSInvalid("bad_signature", "the signature does not match")
    try:
        payload = json.loads(obj.payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JWSInvalid("bad_payload", "the payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise JWSInvalid("bad_payload", "the payload is not a JSON object")
    try:
        canonical = canonical_json(payload)
    except ValueError as exc:
        raise JWSInvalid("bad_payload", str(exc)) from exc
    if canonical != obj.payload:
        # Signed by us means canonical; anything else was made elsewhere.
        raise JWSInvalid("bad_payload", "the payload is not in RFC 8785 form")
    return dict(header), payload
