"""The visitor's receipt file: one JSON document that proves a decision offline.

It holds the receipt as signed, its JWS, the exact notice it names, once sealed
its inclusion proof and the signed tree head that proof leads to, and the same
receipt as an ISO/IEC TS 27560 record. ``examples/verify_receipt.py`` checks it
with nothing but the JWKS and ``cryptography``.

Who may read it: the subject, proven by a token the service signed for that
subject and site (an expired consent still proves the subject), or staff.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .config import secret_keys
from .errors import NotFound
from .extensions import db
from .iso_records import receipt_document
from .log_leaves import timestamp
from .log_proofs import NotSealed, receipt_proof
from .models import Notice, Receipt
from .receipt_jws import receipt_payload
from .signing import TokenClaims, TokenInvalid, read_token

FILE_FORMAT = "consent-receipt-file/1"
TOKEN_HEADER = "X-Consent-Token"


class NoReadableReceipt(NotFound):
    """No receipt with this id that the token's subject may read.

    One answer for an unknown id, a bad token and another subject's receipt, so the
    endpoint tells nobody which receipt ids exist.
    """

    type = "receipt-not-found"
    title = "Receipt not found"


def _subject_claims(token: str) -> TokenClaims | None:
    try:
        return read_token(secret_keys(), token)
    except TokenInvalid as exc:
        return exc.claims  # an expired consent still proves its subject


def receipt_for_subject(receipt_id: str, token: str) -> Receipt:
    """The receipt, when ``token`` is a token of its subject and site.

    :raises NoReadableReceipt: no such receipt, or the token does not prove its
        subject (forged, or another subject's or site's).
    """
    claims = _subject_claims(token)
    receipt = (
        db.session.get(Receipt, receipt_id)
        if claims is not None and len(receipt_id) <= 36
        else None
    )
    if (
        receipt is None
        or claims is None
        or claims.subject != receipt.subject
        or claims.site != receipt.site
    ):
        raise NoReadableReceipt(
            "There is no receipt with this id that the subject of this token may "
            f"read. Send a token of the receipt's subject in '{TOKEN_HEADER}'."
        )
    return receipt


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
