"""What a leaf of the transparency log says: a receipt, or an erasure.

A receipt leaf is the canonical JSON (RFC 8785) of every stored field of the
receipt, except that the fields naming a person appear only as hashes salted
with the leaf's own random salt (``log_tiles.SALT_SIZE`` bytes). Whoever holds
the salt (the visitor, through the proof endpoint) can check them; once an
erasure deletes the salt, nobody can. An erasure leaf says what was erased and
when, with the subject only as the keyed hash the erasure record keeps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .jws import ascii_canonical_json, canonical_json

# The receipt's columns, each in exactly one of these (a test checks that a new
# column is placed): published as stored, or only as a salted hash.
CLEAR_FIELDS = (
    "id",
    "site",
    "action",
    "method",
    "layer",
    "choices",
    "policy_version",
    "notice_hash",
    "banner_build",
    "language",
    "jurisdiction",
    "gpc",
    "user_activation",
    "previous_id",
    "created_at",
    "expires_at",
)
# Who decided, and what would find them again: the subject id, the network
# context, the client's retry secret (hashed already, but unique to its client),
# and the token and JWS, whose payloads name the subject.
PERSONAL_FIELDS = (
    "subject",
    "origin",
    "user_agent",
    "ip_prefix",
    "idempotency_hash",
    "token",
    "jws",
)

RECEIPT_KIND = "receipt"
ZERO = timedelta(0)
ERASURE_KIND = "erasure"


def salted_hash(salt: bytes, field: str, value: str | None) -> str:
    """hex SHA-256(salt || field || 0x00 || UTF-8 value), or with 0x01 and
    nothing after it for a null value: what a leaf shows of a personal field."""
    if value is None:
        message = salt + field.encode() + b"\x01"
    else:
        message = salt + field.encode() + b"\x00" + value.encode("utf-8")
    return hashlib.sha256(message).hexdigest()


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds and ``Z``: one spelling per instant."""
    if value.utcoffset() != ZERO:  # stored datetimes are UTC already
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def personal_hashes(row: Any, salt: bytes) -> dict[str, str]:
    """The salted hashes of a receipt row's personal fields (``salted_hash``)."""
    salted = hashlib.sha256(salt)
    found = {}
    for field, null, prefix in _PERSONAL_PREFIXES:
        value = getattr(row, field)
        h = salted.copy()  # the salt hashed once per receipt, not per field
        h.update(null if value is None else prefix + value.encode("utf-8"))
        found[field] = h.hexdigest()
    return found


# (field, what follows the salt for null, what precedes the value): the bytes of
# ``salted_hash`` made once.
_PERSONAL_PREFIXES = [
    (f, f.encode() + b"\x01", f.encode() + b"\x00") for f in PERSONAL_FIELDS
]


def receipt_leaf(row: Any, salted: Mapping[str, str]) -> dict[str, Any]:
    """The leaf object of a receipt row (an ORM object or a result row)."""
    leaf: dict[str, Any] = {field: getattr(row, field) for field in CLEAR_FIELDS}
    leaf["created_at"] = timestamp(row.created_at)
    leaf["expires_at"] = timestamp(row.expires_at)
    if not all(v is True or v is False for v in leaf["choices"].values()):
        raise ValueError(f"receipt {row.id}: choices are not all booleans")
    leaf["kind"] = RECEIPT_KIND
    leaf["salted_sha256"] = dict(salted)
    return leaf


def erasure_leaf(row: Any, erased_leaves: Iterable[int]) -> dict[str, Any]:
    """The leaf object of an erasure: whose (keyed hash), where, when, which leaves."""
    return {
        "kind": ERASURE_KIND,
        "id": row.id,
        "subject_hmac": row.subject_hash,
        "site": row.site,
        "receipts": row.receipts,
        "erased_by": row.erased_by,
        "created_at": timestamp(row.created_at),
        "erased_leaves": sorted(erased_leaves),
    }


def leaf_bytes(leaf: Mapping[str, Any]) -> bytes:
    """The leaf's canonical JSON (RFC 8785), the bytes its leaf hash covers.

    Leaves hold strings, booleans, null, small integers, and objects and lists
    of those (``receipt_leaf`` and ``erasure_leaf`` make them so). When all that
    text is ASCII, the standard library's sorted compact JSON is byte for byte
    RFC 8785 (code point order is UTF-16 order, no floats to format) and several
    times faster, which a seal of a million receipts needs; a leaf with any
    other character goes through ``canonical_json``.
    """
    # Leaves are plain by construction: skip canonical_json's check of that.
    return ascii_canonical_json(leaf) or canonical_json(dict(leaf))
