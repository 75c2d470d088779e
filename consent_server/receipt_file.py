"""The visitor's receipt file: one JSON document that proves a decision offline.

It holds the receipt as signed, its JWS, the exact notice it names, once sealed
its inclusion proof and the signed tree head that proof leads to, and the same
receipt as an ISO/IEC TS 27560 record. ``examples/verify_receipt.py`` checks it
with nothing but the JWKS and ``cryptography``.

It holds the leaf's salt, as the inclusion proof does, so the same callers may
read it (``log_access``): the subject, or staff.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .extensions import db
from .iso_records import receipt_document
from .log_leaves import timestamp
from .log_proofs import NotSealed, receipt_proof
from .models import Notice, Receipt
from .receipt_jws import receipt_payload

FILE_FORMAT = "consent-receipt-file/1"


def _proof(receipt: Receipt) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The inclusion proof in the latest signed head, and that head; None, None
    before a seal covers the receipt."""
    try:
        proof = receipt_proof(receipt.id)
    except NotSealed:
        return None, None
    head = dict(proof.pop("head"))
    # As the head's JWS spells it: one spelling per instant.
    head["timestamp"] = timestamp(head["timestamp"])
    return proof, head


def receipt_file(receipt: Receipt, base_url: str) -> dict[str, Any]:
    """The file of one receipt."""
    notice = db.session.get(Notice, receipt.notice_hash)
    base_url = base_url.rstrip("/")
    inclusion, head = _proof(receipt)
    return {
        "format": FILE_FORMAT,
        "made_at": datetime.now(UTC).isoformat(),
        "jwks_url": f"{base_url}/.well-known/jwks.json",
        "receipt": receipt_payload(receipt),
        "jws": receipt.jws,
        "notice": dict(notice.content) if notice is not None else None,
        "proof": inclusion,
        "head": head,
        "iso27560": receipt_document([receipt], base_url),
    }
