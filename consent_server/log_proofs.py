"""Proofs out of the stored log: signed heads, inclusion of a receipt, consistency.

What the public log endpoints and the staff views answer. Hashes travel as
lowercase hex, as the receipts' other hashes do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from . import log_leaves as leaves
from .errors import NotFound, ValidationFailed
from .extensions import db
from .log_seal import latest_head
from .log_tiles import StoredTree, find_leaf, read_salt
from .merkle import consistency_proof, inclusion_path
from .models import ErasedLeaf, LogHead, Receipt


class NoTreeHead(NotFound):
    """Nothing has been sealed yet."""

    type = "no-tree-head"
    title = "No signed tree head yet"


class NotSealed(NotFound):
    """The receipt exists but no signed head covers it yet."""

    type = "not-sealed"
    title = "Receipt not sealed yet"


def head_dict(head: Any) -> dict[str, Any]:
    """A head as the API shows it: the stored fields and the JWS that signs them."""
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": head.created_at,
        "signature": head.signature,
    }


def current_head() -> dict[str, Any]:
    """The latest signed tree head.

    :raises NoTreeHead: nothing sealed yet.
    """
    with db.engine.connect() as conn:
        head = latest_head(conn)
    if head is None:
        raise NoTreeHead("The log has no signed tree head yet: nothing was sealed.")
    return head_dict(head)


def heads_since(since: datetime | None, limit: int) -> list[dict[str, Any]]:
    """Signed heads made at or after ``since``, oldest first, at most ``limit``."""
    stmt = select(LogHead.__table__).order_by(LogHead.tree_size).limit(limit)
    if since is not None:
        stmt = stmt.where(LogHead.created_at >= since)
    with db.engine.connect() as conn:
        return [head_dict(h) for h in conn.execute(stmt)]


def consistency(first: int, second: int) -> dict[str, Any]:
    """The RFC 9162 consistency proof between two tree sizes the log has signed.

    :raises ValidationFailed: sizes out of order or beyond the latest head.
    :raises NoTreeHead: nothing sealed yet.
    """
    with db.engine.connect() as conn:
        head = latest_head(conn)
        if head is None:
            raise NoTreeHead("The log has no signed tree head yet: nothing was sealed.")
        if not first <= second <= head.tree_size:
            raise ValidationFailed(
                "Tree sizes out of range.",
                {
                    "second": [
                        f"Need first <= second <= {head.tree_size} (the latest head)."
                    ]
                },
            )
        proof = consistency_proof(StoredTree(conn), first, second)
    return {
        "first": first,
        "second": second,
        "consistency_path": [h.hex() for h in proof],
    }


def _leaf(
    conn: Connection, row: Any, index: int
) -> tuple[dict[str, Any], bytes | None]:
    """The receipt's leaf object and its salt (None once erased)."""
    salt = read_salt(conn, index)
    if salt is not None:
        return leaves.receipt_leaf(row, leaves.personal_hashes(row, salt)), salt
    kept = conn.scalar(select(ErasedLeaf.salted).where(ErasedLeaf.log_index == index))
    return leaves.receipt_leaf(row, kept or {}), None


def receipt_proof(receipt_id: str) -> dict[str, Any]:
    """The inclusion proof of a receipt in the latest signed head, with its leaf.

    :raises NotSealed: no signed head covers the receipt yet.
    """
    with db.engine.connect() as conn:
        row = conn.execute(
            select(Receipt.__table__).where(Receipt.id == receipt_id)
        ).first()
        head = latest_head(conn)
        index = None if row is None else find_leaf(conn, row.id, row.created_at)
        if row is None or index is None or head is None or index >= head.tree_size:
            raise NotSealed(
                "This receipt is not in a signed tree head yet; the log is sealed "
                "at least once a minute, so ask again shortly."
            )
        tree = StoredTree(conn)
        tree.prefetch(index, head.tree_size)
        path = inclusion_path(tree, index, head.tree_size)
        leaf, salt = _leaf(conn, row, index)
    return {
        "receipt_id": row.id,
        "leaf_index": index,
        "leaf": leaf,
        "salt": salt.hex() if salt is not None else None,
        "inclusion_path": [h.hex() for h in path],
        "head": head_dict(head),
    }
