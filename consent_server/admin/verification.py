"""Receipt verification: the token's signature, the fields against the token, the
notice, and the receipt's JWS against the JWKS (``receipt_jws``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..config import secret_keys
from ..models import Receipt
from ..receipt_jws import check_receipt_jws
from ..signing import TokenClaims, TokenInvalid, read_token
from ..sites import notice_hash
from .receipt_search import notice_content


def verify_receipt(receipt: Receipt, now: datetime | None = None) -> dict[str, Any]:
    """Re-check the receipt's token, its fields against the token, its notice, and
    its JWS; a receipt without a JWS (older than issue #12) is judged on the rest."""
    now = now or datetime.now(UTC)
    jws = check_receipt_jws(receipt)
    content = notice_content(receipt.notice_hash)
    notice_intact = content is not None and notice_hash(content) == receipt.notice_hash
    result: dict[str, Any] = {
        "valid": False,
        "signature_valid": False,
        "reason": None,
        "token_expired": receipt.expires_at <= now,
        "mismatches": [],
        "notice_intact": notice_intact,
        "jws": jws,
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
    jws_ok = jws["valid"] or jws["reason"] == "missing"
    result["valid"] = not result["mismatches"] and notice_intact and jws_ok
    return result
