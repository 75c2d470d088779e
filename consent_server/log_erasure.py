"""What an erasure does to the transparency log: salts go, proofs stay.

Before the erasure clears a sealed receipt's personal fields, the salted hashes
its leaf published are kept (``ErasedLeaf``) and its salt is overwritten, so the
leaf can still be rebuilt and proved, and never again matched to the person.
``consent log verify`` then rebuilds the leaf from those hashes, and checks the
row's personal fields against what the erasure left (``changed_since_erasure``).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import Connection, select

from .extensions import db
from .log_leaves import PERSONAL_FIELDS, personal_hashes
from .log_seal import lock_log
from .log_tiles import erase_salts, find_leaf, read_salt
from .models import ErasedLeaf, Receipt


def sealed_hashes(where: Any) -> dict[int, dict[str, str]]:
    """Lock the log and read the salted hashes of the sealed receipts ``where``
    selects, by log index (in the erasure's transaction, before it changes them)."""
    conn = db.session.connection()
    lock_log(conn)  # a seal must not append these between now and the commit
    found: dict[int, dict[str, str]] = {}
    for row in conn.execute(select(Receipt.__table__).where(where)):
        index = find_leaf(conn, row.id, row.created_at)
        salt = None if index is None else read_salt(conn, index)
        if index is not None and salt is not None:
            found[index] = personal_hashes(row, salt)
    return found


def forget_salts(hashes: dict[int, dict[str, str]], erasure_id: int) -> None:
    """Keep the hashes for ``consent log verify`` and delete the salts."""
    for index, salted in hashes.items():
        db.session.add(
            ErasedLeaf(log_index=index, erasure_id=erasure_id, salted=salted)
        )
    erase_salts(db.session.connection(), hashes)


def forget_purged_salts(where: Any) -> int:
    """Delete the salts of the sealed receipts ``where`` selects, which the
    retention purge is about to delete; returns how many.

    A purged receipt is checked by its stored leaf hash alone, so its salt has no
    use left, and keeping it would let anyone holding the leaf test a guessed
    subject against its salted hash.
    """
    conn = db.session.connection()
    lock_log(conn)
    rows = conn.execute(select(Receipt.id, Receipt.created_at).where(where))
    indexes = [
        index
        for receipt_id, created_at in rows
        if (index := find_leaf(conn, receipt_id, created_at)) is not None
    ]
    erase_salts(conn, indexes)
    return len(indexes)


# What an erased receipt's subject becomes: one pseudonym per erasure, made here
# (``erasure.erase_subject`` uses it) so that ``changed_since_erasure`` knows it.
ERASED_PREFIX = "erased-"
_PSEUDONYM = re.compile(re.escape(ERASED_PREFIX) + "[0-9a-f]{32}")


def new_pseudonym() -> str:
    return ERASED_PREFIX + secrets.token_hex(16)


def kept_hashes(conn: Connection) -> tuple[dict[int, Any], dict[int, list[int]]]:
    """The ``ErasedLeaf`` rows by log index, and each erasure's erased leaves."""
    kept: dict[int, Any] = {}
    erased_by: dict[int, list[int]] = {}
    for row in conn.execute(select(ErasedLeaf.__table__)):
        kept[row.log_index] = row
        erased_by.setdefault(row.erasure_id, []).append(row.log_index)
    return kept, erased_by


def changed_since_erasure(row: Any) -> list[str]:
    """The personal fields of an erased, sealed receipt row that are no longer
    as the erasure left them: a pseudonym for the subject, null for the rest.

    Its leaf is rebuilt from the hashes kept at erasure, not from these fields,
    so this is what finds them changed later (the subject written back, say).
    """
    changed = [
        f for f in PERSONAL_FIELDS if f != "subject" and getattr(row, f) is not None
    ]
    if _PSEUDONYM.fullmatch(row.subject or "") is None:
        changed.insert(0, "subject")
    return changed
