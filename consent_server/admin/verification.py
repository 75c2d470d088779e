"""Receipt verification: the signature, the fields against the token, the notice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..config import secret_keys
from ..models import Receipt
from ..signing import TokenClaims, TokenInvalid, read_token
from ..sites import notice_hash
from .receipt_search import notice_content


def verify_receipt(receipt: Receipt, now: datetime | None = None) -> dict[str, Any]:
    """Re-check the receipt's signature, its fields against the token, its notice."""
    now = now or datetime.now(UTC)
    content = notice_content(receipt.notice_hash)
    notice_intact = content is not None and notice_hash(content) == receipt.notice_hash
    result: dict[str, Any] = {
        "valid": False,
        "signature_valid": False,
        "reason": None,
        "token_expired": receipt.expires_at <= now,
        "mismatches": [],
        "notice_intact": notice_intact,
    }
    if receipt.token is None:
        result["reason"] = "erased"
        return result
    keys = secret_keys()
    claims: TokenClaims | None
    try:
        claims = read_token(keys, receipt.token, now=now)
    except TokenInvalid as exc:
        claims = exc.claims  # set when only the consent's expiry failed
        if claims is None:
            result["reason"] = (
                "expired_signature" if exc.reason == "expired" else exc.reason
            )
            return result
    result["signature_valid"] = True
    expected = {
        "id": (claims.receipt_id, receipt.id),
        "site": (claims.site, receipt.site),
        "subject": (claims.subject, receipt.subject),
        "granted": (
            set(claims.granted),
            {c for c, ok in receipt.choices.items() if ok},
        ),
        "denied": (
            set(claims.denied),
            {c for c, ok in receipt.choices.items() if not ok},
        ),
        "policy_version": (claims.policy_version, receipt.policy_version),
        "expires_at": (
            int(claims.expires_at.timestamp()),
            int(receipt.expires_at.timestamp()),
        ),
    }
    result["mismatches"] = [name for name, (a, b) in expected.items() if a != b]
    result["valid"] = not result["mismatches"] and notice_intact
    return result
