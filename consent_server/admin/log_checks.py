"""The transparency log as staff see it: a receipt's place, the latest head, checked.

Each check is made now, from the stored rows: a receipt changed after it was
sealed no longer hashes to its leaf, so its inclusion proof fails; a head whose
JWS the published keys do not verify is shown as such.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..jws import TREE_HEAD_TYP, JWSInvalid, verify_compact_header
from ..log_leaves import leaf_bytes
from ..log_proofs import NoTreeHead, NotSealed, current_head, receipt_proof
from ..merkle import leaf_hash, verify_inclusion
from ..models import LogHead, Receipt
from ..signing_keys import current_signing_keys


def checked_head(head: dict[str, Any]) -> dict[str, Any]:
    """A signed tree head with its JWS checked against the published keys."""
    result = {**head, "signature_valid": False, "kid": None, "reason": None}
    try:
        header, payload = verify_compact_header(
            head["signature"], current_signing_keys().jwks(), typ=TREE_HEAD_TYP
        )
    except JWSInvalid as exc:
        result["reason"] = exc.reason
        return result
    signed = (payload.get("tree_size"), payload.get("root_hash"))
    if signed != (head["tree_size"], head["root_hash"]):
        result["reason"] = "mismatch"
        return result
    result["signature_valid"], result["kid"] = True, header.get("kid")
    return result


def latest_head() -> dict[str, Any] | None:
    """The latest signed tree head, checked; None before the first seal."""
    try:
        return checked_head(current_head())
    except NoTreeHead:
        return None


def log_place(receipt: Receipt) -> dict[str, Any] | None:
    """Where a receipt is in the log and the heads that cover it; None until sealed.

    ``inclusion_valid`` re-hashes the leaf from the stored receipt and follows its
    RFC 9162 inclusion path to the latest head's root.
    """
    try:
        proof = receipt_proof(receipt.id)
    except NotSealed:
        return None
    head = checked_head(proof["head"])
    index = proof["leaf_index"]
    leaf = leaf_hash(leaf_bytes(proof["leaf"]))
    first = db.session.scalar(
        select(LogHead)
        .where(LogHead.tree_size > index)
        .order_by(LogHead.tree_size)
        .limit(1)
    )
    return {
        "leaf_index": index,
        "leaf_hash": leaf.hex(),
        "salt_kept": proof["salt"] is not None,
        "path_length": len(proof["inclusion_path"]),
        "inclusion_valid": verify_inclusion(
            index,
            head["tree_size"],
            leaf,
            [bytes.fromhex(h) for h in proof["inclusion_path"]],
            bytes.fromhex(head["root_hash"]),
        ),
        "head": head,
        "first_head": first,
    }
