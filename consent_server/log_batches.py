"""A seal's batches: the next receipts to append, read and hashed before the
seal takes the log lock, and checked again under it.

Reading and hashing take most of a batch's time; done first, decisions wait
(on SQLite, for its one writer lock) for a seal's writes only. Under the lock,
``still_current`` tells whether what was read still stands.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select, tuple_

from . import log_leaves as leaves
from .log_tiles import SALT_SIZE, id_bytes, newest_sealed, sealed_since, stored_size
from .merkle import leaf_hash
from .models import Erasure, Receipt

# How late a decision may commit after its ``created_at`` and still be sealed:
# far beyond the database timeouts a decision's transaction runs under, and
# clock differences between app servers.
LATE_COMMIT_MARGIN = timedelta(minutes=10)
# The youngest receipt a retention purge may delete (retention_days >= 1).
YOUNGEST_PURGED = timedelta(days=1)

_RECEIPTS = Receipt.__table__
_ERASURES = Erasure.__table__
_POSITION = tuple_(_RECEIPTS.c.created_at, _RECEIPTS.c.id)

# Where a seal's previous batch ended: (created_at, id) of its last receipt.
Position = tuple[datetime, str]


def unsealed_receipts(
    conn: Connection, limit: int, after: Position | None = None
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
        return list(conn.execute(stmt.where(_POSITION > after).limit(limit)))
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


@dataclass(frozen=True)
class Batch:
    """Receipts read and hashed for appending, before the log lock is taken."""

    size: int  # the tree's size when they were read
    erasures: int | None  # the newest erasure's id then
    leaves: list[tuple[bytes, bytes, bytes, datetime]]  # hash, salt, id, time
    ids: list[str]
    # Receipts from the first to the last of them then; counted only when a purge
    # could reach the first.
    span_count: int | None

    @property
    def end(self) -> Position | None:
        """Where the next batch goes on from."""
        return (self.leaves[-1][3], self.ids[-1]) if self.ids else None

    def span(self) -> Any:
        """Receipts from the batch's first to its last, by (created_at, id)."""
        first = (self.leaves[0][3], self.ids[0])
        return and_(_POSITION >= first, _POSITION <= self.end)


def read_batch(
    conn: Connection, batch_size: int, resume: tuple[int, Position] | None
) -> Batch:
    """The next batch, hashed; ``resume`` (tree size and position after the
    previous batch) holds unless another process sealed in between."""
    size = stored_size(conn)
    erasures = conn.scalar(select(func.max(_ERASURES.c.id)))
    after = resume[1] if resume is not None and resume[0] == size else None
    rows = unsealed_receipts(conn, batch_size, after)
    salts = os.urandom(SALT_SIZE * len(rows))
    hashed = []
    for n, row in enumerate(rows):
        salt = salts[n * SALT_SIZE : (n + 1) * SALT_SIZE]
        leaf = leaves.receipt_leaf(row, leaves.personal_hashes(row, salt))
        hashed.append(
            (leaf_hash(leaves.leaf_bytes(leaf)), salt, id_bytes(row.id), row.created_at)
        )
    batch = Batch(size, erasures, hashed, [row.id for row in rows], None)
    if not rows or _young(batch):
        return batch
    counted = conn.scalar(select(func.count()).where(batch.span()))
    return replace(batch, span_count=counted or 0)


def _young(batch: Batch) -> bool:
    """No purge reaches any receipt of the batch."""
    return batch.leaves[0][3] > datetime.now(UTC) - YOUNGEST_PURGED


def still_current(conn: Connection, batch: Batch, size: int) -> bool:
    """Whether the batch's leaves still stand, checked under the log lock: no
    other seal appended since it was read, no erasure changed a receipt of it,
    no purge deleted one."""
    if size != batch.size:
        return False
    if conn.scalar(select(func.max(_ERASURES.c.id))) != batch.erasures:
        return False
    if not batch.leaves or _young(batch):
        return True
    if batch.span_count is not None and batch.leaves[-1][3] < (
        datetime.now(UTC) - LATE_COMMIT_MARGIN
    ):
        # Nothing commits into the span any more: only a purge changes its count
        # (a count by the index; reading the ids costs five times as much).
        counted = conn.scalar(select(func.count()).where(batch.span()))
        return counted == batch.span_count
    ids = conn.scalars(select(_RECEIPTS.c.id).where(batch.span()))
    return set(ids).issuperset(batch.ids)
