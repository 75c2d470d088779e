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

import os
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select, tuple_, update
from sqlalchemy.exc import OperationalError

from . import log_leaves as leaves
from .extensions import db
from .jws import TREE_HEAD_TYP, sign_compact
from .log_tiles import (
    SALT_SIZE,
    StoredTree,
    TileWriter,
    id_bytes,
    newest_sealed,
    sealed_since,
    stored_size,
)
from .merkle import leaf_hash, tree_hash
from .models import ErasedLeaf, Erasure, LogHead, Receipt

BATCH_SIZE = 10_000
# How late a decision may commit after its ``created_at`` and still be sealed:
# far beyond the database timeouts a decision's transaction runs under, and
# clock differences between app servers.
LATE_COMMIT_MARGIN = timedelta(minutes=10)
# The youngest receipt a retention purge may delete (retention_days >= 1).
YOUNGEST_PURGED = timedelta(days=1)
# The key of the PostgreSQL advisory lock that one sealer (or eraser) holds.
LOG_LOCK_KEY = 0x1C_9162

_RECEIPTS = Receipt.__table__
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


# Where a seal's previous batch ended: (created_at, id) of its last receipt.
_Position = tuple[datetime, str]


def _unsealed_receipts(
    conn: Connection, limit: int, after: _Position | None = None
) -> list[Any]:
    """The next receipts to append: not in the log yet, oldest first.

    A seal's first batch skips receipts sealed before by time: every receipt
    older than the newest sealed one by more than ``LATE_COMMIT_MARGIN`` is in
    the log (it committed long before that seal); those in the margin are
    compared with the ids of the tiles that reach it. Its later batches go on
    ``after`` the last receipt appended: the margin holds every receipt sealed in
    the last ten minutes, and reading it again for each batch made a seal's cost
    grow with the square of its size. (A receipt committed late during a seal
    is in the next seal's margin.)
    """
    stmt = select(_RECEIPTS).order_by(_RECEIPTS.c.created_at, _RECEIPTS.c.id)
    if after is not None:
        position = tuple_(_RECEIPTS.c.created_at, _RECEIPTS.c.id)
        return list(conn.execute(stmt.where(position > after).limit(limit)))
    newest = newest_sealed(conn)
    sealed: set[bytes] = set()
    if newest is not None:
        since = newest - LATE_COMMIT_MARGIN
        sealed = sealed_since(conn, since)
        stmt = stmt.where(_RECEIPTS.c.created_at >= since)
    rows = list(conn.execute(stmt.limit(limit + len(sealed))))
    if sealed:
        rows = [r for r in rows if id_bytes(r.id) not in sealed]
    return rows[:limit]


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


@dataclass(frozen=True)
class _Batch:
    """Receipts read and hashed for appending, before the log lock is taken."""

    size: int  # the tree's size when they were read
    erasures: int | None  # the newest erasure's id then
    leaves: list[tuple[bytes, bytes, bytes, datetime]]  # hash, salt, id, time
    ids: list[str]
    span_count: int  # receipts from the first to the last of them, then


def _span(batch: _Batch) -> Any:
    """Receipts from the batch's first to its last, by (created_at, id)."""
    position = tuple_(_RECEIPTS.c.created_at, _RECEIPTS.c.id)
    first = (batch.leaves[0][3], batch.ids[0])
    last = (batch.leaves[-1][3], batch.ids[-1])
    return and_(position >= first, position <= last)


def _read_batch(
    conn: Connection, batch_size: int, resume: tuple[int, _Position] | None
) -> _Batch:
    """The next batch, hashed; ``resume`` (tree size and position after the
    previous batch) holds unless another process sealed in between.

    Reading and hashing take most of a batch's time: done before the log lock
    (on SQLite the one writer lock), decisions wait for a seal's writes only.
    """
    size = stored_size(conn)
    erasures = conn.scalar(select(func.max(_ERASURES.c.id)))
    after = resume[1] if resume is not None and resume[0] == size else None
    rows = _unsealed_receipts(conn, batch_size, after)
    salts = os.urandom(SALT_SIZE * len(rows))
    hashed = []
    for n, row in enumerate(rows):
        salt = salts[n * SALT_SIZE : (n + 1) * SALT_SIZE]
        leaf = leaves.receipt_leaf(row, leaves.personal_hashes(row, salt))
        hashed.append(
            (leaf_hash(leaves.leaf_bytes(leaf)), salt, id_bytes(row.id), row.created_at)
        )
    batch = _Batch(size, erasures, hashed, [row.id for row in rows], 0)
    if not rows:
        return batch
    counted = conn.scalar(select(func.count()).where(_span(batch)))
    return replace(batch, span_count=counted or 0)


def _still_current(conn: Connection, batch: _Batch, size: int) -> bool:
    """Whether the batch's leaves still stand, checked under the log lock: no
    other seal appended since it was read, no erasure changed a receipt of it,
    no purge deleted one."""
    if size != batch.size:
        return False
    if conn.scalar(select(func.max(_ERASURES.c.id))) != batch.erasures:
        return False
    if not batch.leaves:
        return True
    now = datetime.now(UTC)
    if batch.leaves[0][3] > now - YOUNGEST_PURGED:
        return True  # no purge reaches any of them
    span = _span(batch)
    if batch.leaves[-1][3] < now - LATE_COMMIT_MARGIN:
        # Nothing commits into the span any more: only a purge changes its count
        # (a count by the index; reading the ids costs five times as much).
        return conn.scalar(select(func.count()).where(span)) == batch.span_count
    ids = conn.scalars(select(_RECEIPTS.c.id).where(span))
    return set(ids).issuperset(batch.ids)


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
    resume: tuple[int, _Position] | None = None
    while True:
        with db.engine.connect() as conn:
            _bounded(conn)
            batch = _read_batch(conn, batch_size, resume)
        with db.engine.begin() as conn:
            _bounded(conn)
            if not lock_log(conn, wait):
                return None
            writer = TileWriter(conn)
            if not _still_current(conn, batch, writer.size):
                resume = None
                continue  # read again
            for leaf in batch.leaves:
                writer.append(*leaf)
            appended = len(batch.leaves)
            if appended:
                last = batch.leaves[-1]
                resume = writer.size, (last[3], batch.ids[-1])
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
        if _unsealed_receipts(conn, 1):
            return True
        erasure = conn.scalar(
            select(_ERASURES.c.id).where(_ERASURES.c.log_index.is_(None)).limit(1)
        )
    return erasure is not None
