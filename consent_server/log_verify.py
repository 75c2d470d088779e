"""``consent log verify``: rebuild the tree from the database, check every head.

Every leaf is rebuilt from its receipt (or erasure) row and its salt (or, once
erased, the salted hashes kept at erasure, the row's personal fields having to be
as the erasure left them), compared with the stored leaf hash, and the whole tree
is rebuilt from the rebuilt leaves: every stored tile, every head's root hash and
every head's signature must agree. A receipt changed after it was sealed is
named; leaves whose receipt the retention purge deleted can only be checked
through the stored leaf hash, and are counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Connection, select

from . import log_leaves as leaves
from .extensions import db
from .jws import TREE_HEAD_TYP, JWSInvalid, verify_compact
from .log_batches import LATE_COMMIT_MARGIN
from .log_erasure import changed_since_erasure, kept_hashes
from .log_seal import head_payload
from .log_tiles import (
    ID_SIZE,
    NO_ID,
    SALT_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    id_bytes,
    newest_sealed,
    split_blob,
    stored_size,
)
from .merkle import HASH_SIZE, leaf_hash, node_hash, root_of_leaf_hashes
from .models import Erasure, LogHead, LogIdTile, LogSaltTile, LogTile, Receipt
from .signing_keys import current_signing_keys

STREAM_ROWS = 2000


@dataclass
class VerifyReport:
    """What ``verify_log`` found; ``problems`` empty means the log holds."""

    leaves: int = 0
    heads: int = 0
    purged: int = 0
    erased: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _stream(conn: Connection, stmt: Any) -> Generator[Any, None, None]:
    """Rows read a few thousand at a time (a server-side cursor on PostgreSQL),
    closed when the generator is closed."""
    result = conn.execution_options(yield_per=STREAM_ROWS).execute(stmt)
    try:
        yield from result
    finally:
        result.close()


def _tiles(conn: Connection, level: int) -> Generator[list[bytes], None, None]:
    """The stored hashes of one level, tile by tile, in order."""
    stmt = select(LogTile.index, LogTile.hashes).where(LogTile.level == level)
    for expected, (index, hashes) in enumerate(
        _stream(conn, stmt.order_by(LogTile.index))
    ):
        if index != expected:
            raise LookupError(f"tile {level}/{expected} is missing")
        yield split_blob(hashes, HASH_SIZE)


def _salts(conn: Connection) -> Generator[bytes | None, None, None]:
    stmt = select(LogSaltTile.salts).order_by(LogSaltTile.index)
    for row in _stream(conn, stmt):
        for salt in split_blob(row.salts, SALT_SIZE):
            yield None if salt == bytes(SALT_SIZE) else salt


class _Rebuilt:
    """The tree rebuilt leaf by leaf: upper tiles compared, roots at any size."""

    def __init__(self, conn: Connection, report: VerifyReport) -> None:
        self.conn, self.report = conn, report
        self.size = 0
        self.levels: list[list[bytes]] = [[]]
        self.frontier: list[tuple[int, bytes]] = []  # perfect subtrees, left first

    def add(self, node: bytes) -> None:
        self.size += 1
        height, current = 0, node
        while self.frontier and self.frontier[-1][0] == height:
            current = node_hash(self.frontier.pop()[1], current)
            height += 1
        self.frontier.append((height, current))
        level = 0
        while True:
            tile = self.levels[level]
            tile.append(node)
            if len(tile) < TILE_WIDTH:
                return
            self.levels[level] = []
            if level:  # level 0 is compared leaf by leaf, naming the receipt
                count = self.size >> (TILE_HEIGHT * level)
                self._compare(level, count // TILE_WIDTH - 1, tile)
            node = root_of_leaf_hashes(tile)
            level += 1
            if level == len(self.levels):
                self.levels.append([])

    def root(self) -> bytes:
        root = self.frontier[-1][1]
        for _, left in reversed(self.frontier[:-1]):
            root = node_hash(left, root)
        return root

    def finish(self) -> None:
        """Compare the partial tiles of the upper levels."""
        for level in range(1, len(self.levels)):
            tile = self.levels[level]
            if tile:
                count = self.size >> (TILE_HEIGHT * level)
                self._compare(level, count // TILE_WIDTH, tile)

    def _compare(self, level: int, index: int, hashes: list[bytes]) -> None:
        stored = self.conn.scalar(
            select(LogTile.hashes).where(LogTile.level == level, LogTile.index == index)
        )
        if stored != b"".join(hashes):
            self.report.problems.append(
                f"stored tile {level}/{index} does not match the rebuilt tree"
            )


class _Rows:
    """Receipts, erasures and kept hashes by log index, one id tile at a time."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        erasures = Erasure.__table__
        self.erasures = {
            r.log_index: r
            for r in conn.execute(
                select(erasures).where(erasures.c.log_index.is_not(None))
            )
        }
        self.kept, self.erased_by = kept_hashes(conn)
        self.sealed: set[bytes] = set()

    def receipts(self, ids: list[bytes]) -> list[Any]:
        """The receipt rows of one id tile's leaves, None where there is none."""
        names = [str(uuid.UUID(bytes=i)) for i in ids if i != NO_ID]
        self.sealed.update(i for i in ids if i != NO_ID)
        table = Receipt.__table__
        found = {
            r.id: r
            for r in self.conn.execute(select(table).where(table.c.id.in_(names)))
        }
        return [None if i == NO_ID else found.get(str(uuid.UUID(bytes=i))) for i in ids]


def _rebuilt_leaf(
    index: int, receipt: Any, rows: _Rows, salt: bytes | None, report: VerifyReport
) -> tuple[bytes | None, str]:
    """The leaf hash rebuilt from the database, and what the leaf is."""
    if receipt is not None:
        name = f"receipt {receipt.id} (leaf {index})"
        kept = rows.kept.get(index)
        if kept is not None:
            report.erased += 1
            salted = dict(kept.salted)
            if changed := changed_since_erasure(receipt):
                report.problems.append(
                    f"{name} was changed after its erasure: {', '.join(changed)}"
                )
        elif salt is None:
            report.problems.append(f"{name} has no salt and no erasure record")
            return None, name
        else:
            salted = leaves.personal_hashes(receipt, salt)
        leaf = leaves.receipt_leaf(receipt, salted)
        return leaf_hash(leaves.leaf_bytes(leaf)), name
    erasure = rows.erasures.get(index)
    if erasure is not None:
        leaf = leaves.erasure_leaf(erasure, rows.erased_by.get(erasure.id, []))
        return leaf_hash(
            leaves.leaf_bytes(leaf)
        ), f"erasure {erasure.id} (leaf {index})"
    return None, f"leaf {index}"


def _check_head(
    head: Any, root: bytes, jwks: dict[str, Any], report: VerifyReport
) -> None:
    name = f"head {head.id} (tree size {head.tree_size})"
    if root.hex() != head.root_hash:
        report.problems.append(f"{name}: the rebuilt root hash differs")
    try:
        payload = verify_compact(head.signature, jwks, typ=TREE_HEAD_TYP)
    except JWSInvalid as exc:
        report.problems.append(f"{name}: signature refused ({exc.reason})")
        return
    if payload != head_payload(head.tree_size, head.root_hash, head.created_at):
        report.problems.append(f"{name}: the signed payload is not the stored head")


def verify_log() -> VerifyReport:
    """Rebuild the whole tree from the database and check every stored head."""
    report = VerifyReport()
    with db.engine.connect() as conn:
        size = stored_size(conn)
        heads = list(
            conn.execute(select(LogHead.__table__).order_by(LogHead.tree_size))
        )
        for head in heads:
            if head.tree_size > size or head.tree_size < 1:
                report.problems.append(
                    f"head {head.id} has tree size {head.tree_size}; the log has {size}"
                )
        pending = [h for h in heads if 0 < h.tree_size <= size]
        rows = _Rows(conn)
        rebuilt = _Rebuilt(conn, report)
        streams = (_tiles(conn, 0), _salts(conn), _id_tiles(conn))
        with closing(streams[0]), closing(streams[1]), closing(streams[2]):
            _rebuild(size, rows, rebuilt, *streams, pending, report)
        _check_all_sealed(conn, rows.sealed, report)
        report.leaves = size
    return report


def _id_tiles(
    conn: Connection,
) -> Generator[tuple[list[bytes], datetime | None], None, None]:
    """Each id tile's receipt ids, with the oldest ``created_at`` among them."""
    stmt = select(LogIdTile.receipt_ids, LogIdTile.first_created_at).order_by(
        LogIdTile.index
    )
    for ids, first in _stream(conn, stmt):
        yield split_blob(ids, ID_SIZE), first


def _purgeable_before() -> datetime:
    """Receipts younger than this cannot have been deleted by the retention
    purge: the shortest retention of any site."""
    sites = current_app.extensions["consent_sites"].values()
    days = min(int(site.config["retention_days"]) for site in sites)
    return datetime.now(UTC) - timedelta(days=days)


def _rebuild(
    size: int,
    rows: _Rows,
    rebuilt: _Rebuilt,
    tiles: Iterator[list[bytes]],
    salts: Iterator[bytes | None],
    id_tiles: Iterator[tuple[list[bytes], datetime | None]],
    pending: list[Any],
    report: VerifyReport,
) -> None:
    """Rebuild leaf by leaf: name what differs, check each head at its size."""
    jwks = current_signing_keys().jwks()
    purgeable_before = _purgeable_before()
    index = 0
    for stored_tile, (ids, first) in zip(tiles, id_tiles, strict=False):
        found = rows.receipts(ids)
        for stored, receipt, receipt_id in zip(stored_tile, found, ids, strict=False):
            computed, name = _rebuilt_leaf(
                index, receipt, rows, next(salts, None), report
            )
            if computed is None and receipt_id == NO_ID:
                report.problems.append(f"leaf {index}: its erasure record is gone")
            elif computed is None and name.startswith("leaf"):
                if first is not None and first >= purgeable_before:
                    report.problems.append(
                        f"receipt {uuid.UUID(bytes=receipt_id)} (leaf {index}) was "
                        "deleted, though it is younger than any retention period"
                    )
                else:
                    report.purged += 1  # the purge took it: the stored hash stands
            elif computed != stored:
                report.problems.append(f"{name} does not match its sealed leaf hash")
            rebuilt.add(computed if computed is not None else stored)
            index += 1
            while pending and pending[0].tree_size == index:
                _check_head(pending.pop(0), rebuilt.root(), jwks, report)
                report.heads += 1
    if index != size:
        report.problems.append(f"{index} leaves found for a log of {size}")
    rebuilt.finish()


def _check_all_sealed(
    conn: Connection, sealed: set[bytes], report: VerifyReport
) -> None:
    """Receipts older than the seal's margin must all be in the log."""
    newest = newest_sealed(conn)
    if newest is None:
        return
    table = Receipt.__table__
    stmt = select(table.c.id).where(table.c.created_at < newest - LATE_COMMIT_MARGIN)
    missing = [r.id for r in _stream(conn, stmt) if id_bytes(r.id) not in sealed]
    for receipt_id in missing[:20]:
        report.problems.append(f"receipt {receipt_id} is missing from the log")
    if len(missing) > 20:
        report.problems.append(f"... {len(missing) - 20} more receipts missing")
