"""Sealing: append what is not yet in the log, then sign a new tree head.

A receipt gets its place in the log only here, so decisions committed out of
order never move a leaf: each seal takes the receipts not in the log yet,
oldest first (``created_at``, then ``id``), then the erasures not in it, and
appends them after the last leaf. The receipts table is only read. It works in
batches, so memory stays flat: each is read and hashed first, then written in a
transaction that holds the log lock, so an erasure (or on SQLite, a decision)
waits for one batch's writes at most.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import OperationalError

from . import log_leaves as leaves
from .extensions import db
from .jws import TREE_HEAD_TYP, sign_compact
from .log_batches import Position, read_batch, still_current, unsealed_receipts
from .log_tiles import SALT_SIZE, StoredTree, TileWriter
from .merkle import leaf_hash, tree_hash
from .models import ErasedLeaf, Erasure, LogHead

BATCH_SIZE = 10_000
# The key of the PostgreSQL advisory lock that one sealer (or eraser) holds.
LOG_LOCK_KEY = 0x1C_9162

_ERASURES = Erasure.__table__


def lock_log(conn: Connection, wait: bool = True) -> bool:
    """Take the log lock for this transaction; False if ``wait`` is off and
    another transaction holds it.

    PostgreSQL: an advisory transaction lock. SQLite: its single writer lock,
    taken by a write that changes nothing.
    """
    if conn.dialect.name == "postgresql":
        if wait:
            conn.execute(select(func.pg_advisory_xact_lock(LOG_LOCK_KEY)))
            return True
        return bool(conn.scalar(select(func.pg_try_advisory_xact_lock(LOG_LOCK_KEY))))
    try:
        conn.execute(update(LogHead.__table__).where(LogHead.id < 0).values(id=0))
    except OperationalError:
        if wait:
            raise
        return False
    return True


@dataclass(frozen=True)
class SealResult:
    """What a seal did: leaves appended and the head it signed (if any)."""

    appended: int
    tree_size: int
    head: LogHead | None


def _erased_leaves(conn: Connection, erasure_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {i: [] for i in erasure_ids}
    rows = conn.execute(
        select(ErasedLeaf.erasure_id, ErasedLeaf.log_index).where(
            ErasedLeaf.erasure_id.in_(erasure_ids)
        )
    )
    for erasure_id, index in rows:
        found[erasure_id].append(index)
    return found


def _append_erasures(conn: Connection, writer: TileWriter) -> int:
    rows = conn.execute(
        select(_ERASURES)
        .where(_ERASURES.c.log_index.is_(None))
        .order_by(_ERASURES.c.id)
    ).all()
    erased = _erased_leaves(conn, [r.id for r in rows])
    for row in rows:
        leaf = leaves.erasure_leaf(row, erased[row.id])
        # An erasure leaf holds nothing personal; its salt is never used.
        index = writer.append(leaf_hash(leaves.leaf_bytes(leaf)), bytes(SALT_SIZE))
        conn.execute(
            update(_ERASURES).where(_ERASURES.c.id == row.id).values(log_index=index)
        )
    return len(rows)


def latest_head(conn: Connection) -> LogHead | None:
    row = conn.execute(
        select(LogHead.__table__).order_by(LogHead.tree_size.desc()).limit(1)
    ).first()
    return None if row is None else LogHead(**row._mapping)


def head_payload(
    tree_size: int, root_hash: str, created_at: datetime
) -> dict[str, Any]:
    """What a tree head's JWS signs."""
    return {
        "tree_size": tree_size,
        "root_hash": root_hash,
        "timestamp": leaves.timestamp(created_at),
    }


def _sign_head(conn: Connection, tree_size: int, now: datetime) -> LogHead:
    root = tree_hash(StoredTree(conn), tree_size).hex()
    signature = sign_compact(head_payload(tree_size, root, now), typ=TREE_HEAD_TYP)
    head = LogHead(
        tree_size=tree_size, root_hash=root, created_at=now, signature=signature
    )
    values = {k: getattr(head, k) for k in ("tree_size", "root_hash", "signature")}
    head.id = conn.execute(
        LogHead.__table__.insert()
        .values(created_at=now, **values)
        .returning(LogHead.__table__.c.id)
    ).scalar_one()
    return head


def _bounded(conn: Connection) -> None:
    """A batch may outlast a request's statement timeout (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL statement_timeout = '300s'")


def seal(
    wait: bool = True,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
    pause: float = 0.0,
) -> SealResult | None:
    """Append every unsealed receipt and erasure, then sign a head if the tree
    grew; None when ``wait`` is off and another process is sealing.

    ``pause``: seconds to wait between batches, so that decisions waiting for
    SQLite's single writer lock get it (its busy handler sleeps and retries: a
    sealer that takes the lock straight back could keep them waiting for the
    whole seal). The automatic sealer pauses; the command does not.
    """
    total = 0
    resume: tuple[int, Position] | None = None
    while True:
        with db.engine.connect() as conn:
            _bounded(conn)
            batch = read_batch(conn, batch_size, resume)
        with db.engine.begin() as conn:
            _bounded(conn)
            if not lock_log(conn, wait):
                return None
            writer = TileWriter(conn)
            if not still_current(conn, batch, writer.size):
                resume = None
                continue  # read again
            for leaf in batch.leaves:
                writer.append(*leaf)
            appended = len(batch.leaves)
            if batch.end is not None:
                resume = writer.size, batch.end
            if appended < batch_size:
                appended += _append_erasures(conn, writer)
            writer.flush()
            total += appended
            if appended < batch_size:
                previous = latest_head(conn)
                head = None
                if writer.size and (
                    previous is None or previous.tree_size < writer.size
                ):
                    head = _sign_head(conn, writer.size, now or datetime.now(UTC))
                return SealResult(total, writer.size, head)
        time.sleep(pause)  # more to append: first let waiting writers in


def has_unsealed() -> bool:
    """Whether a seal has anything to do (cheap: a look at the newest rows)."""
    with db.engine.connect() as conn:
        if unsealed_receipts(conn, 1):
            return True
        erasure = conn.scalar(
            select(_ERASURES.c.id).where(_ERASURES.c.log_index.is_(None)).limit(1)
        )
    return erasure is not None
