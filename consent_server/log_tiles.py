"""The Merkle tree in the database: tiles of 256 hashes per row (``LogTile``).

Level 0 holds the leaf hashes; a tile of level L holds the hashes of complete
subtrees of 2**(8*L) leaves. Any complete subtree is then one tile read and at
most 127 node hashes away, so an inclusion proof at a million leaves reads a
handful of rows. Only complete subtrees are stored: a partial tile grows as
leaves arrive, and older tree sizes read the same rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .merkle import HASH_SIZE, root_of_leaf_hashes
from .models import LogIdTile, LogSaltTile, LogTile

TILE_WIDTH = 256
TILE_HEIGHT = 8  # log2(TILE_WIDTH): tree levels per tile level
SALT_SIZE = 16
ID_SIZE = 16  # a receipt id (a UUID) as bytes; zeros for an erasure's leaf
NO_ID = bytes(ID_SIZE)


def split_blob(blob: bytes, size: int) -> list[bytes]:
    return [blob[i : i + size] for i in range(0, len(blob), size)]


def _upsert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows or replace their other columns, in one statement per call
    (PostgreSQL and SQLite alike; a partial tile row is replaced as it grows)."""
    if not rows:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    keys = [c.name for c in table.primary_key.columns]
    changed = {k: stmt.excluded[k] for k in rows[0] if k not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changed), rows)


def stored_size(conn: Connection) -> int:
    """How many leaves the tiles hold (the last level-0 tile says)."""
    row = conn.execute(
        select(LogTile.index, LogTile.hashes)
        .where(LogTile.level == 0)
        .order_by(LogTile.index.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0
    index, hashes = row  # (a Row's .index is tuple.index)
    return int(index) * TILE_WIDTH + len(hashes) // HASH_SIZE


class TileWriter:
    """Appends leaf hashes (and their salts) to the stored tiles.

    Holds the last, partial tile of each level and the full tiles of one batch
    (written together at ``flush``): memory follows the batch, not the log.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.size = stored_size(conn)
        self.levels: list[list[bytes]] = []
        self.salts: list[bytes] = []
        self.ids: list[bytes] = []
        self.times: list[datetime] = []  # of the receipts in the partial id tile
        # Rows to write at ``flush``, one statement per table.
        self.pending: dict[Any, list[dict[str, Any]]] = {
            LogTile.__table__: [],
            LogSaltTile.__table__: [],
            LogIdTile.__table__: [],
        }
        self._load()

    def _load(self) -> None:
        n = self.size
        level = 0
        while n > 0 or level == 0:
            index, filled = divmod(n, TILE_WIDTH)
            hashes: list[bytes] = []
            if filled:
                blob = self.conn.scalar(
                    select(LogTile.hashes).where(
                        LogTile.level == level, LogTile.index == index
                    )
                )
                hashes = split_blob(blob or b"", HASH_SIZE)[:filled]
            self.levels.append(hashes)
            n //= TILE_WIDTH
            level += 1
        filled = self.size % TILE_WIDTH
        if filled:
            blob = self.conn.scalar(
                select(LogSaltTile.salts).where(
                    LogSaltTile.index == self.size // TILE_WIDTH
                )
            )
            self.salts = split_blob(blob or b"", SALT_SIZE)[:filled]
            row = self.conn.execute(
                select(LogIdTile.__table__).where(
                    LogIdTile.index == self.size // TILE_WIDTH
                )
            ).one()
            self.ids = split_blob(row.receipt_ids, ID_SIZE)[:filled]
            self.times = [t for t in (row.first_created_at, row.last_created_at) if t]

    def append(
        self,
        leaf_hash: bytes,
        salt: bytes,
        receipt_id: bytes = NO_ID,
        created_at: datetime | None = None,
    ) -> int:
        """Add one leaf (a receipt's with its id and time); returns its index."""
        index = self.size
        self.size += 1
        self.salts.append(salt)
        self.ids.append(receipt_id)
        if created_at is not None:
            self.times.append(created_at)
        if len(self.salts) == TILE_WIDTH:
            self._write_leaf_rows(index // TILE_WIDTH)
            self.salts, self.ids, self.times = [], [], []
        self._add(0, index, leaf_hash)
        return index

    def _add(self, level: int, position: int, node: bytes) -> None:
        """Put the hash at ``position`` of ``level``; a full tile goes up a level."""
        if level == len(self.levels):
            self.levels.append([])
        tile = self.levels[level]
        tile.append(node)
        if len(tile) == TILE_WIDTH:
            tile_index = position // TILE_WIDTH
            self._write_tile(level, tile_index, tile)
            self.levels[level] = []
            self._add(level + 1, tile_index, root_of_leaf_hashes(tile))

    def _write_tile(self, level: int, index: int, hashes: list[bytes]) -> None:
        self.pending[LogTile.__table__].append(
            {"level": level, "index": index, "hashes": b"".join(hashes)}
        )

    def _write_leaf_rows(self, index: int) -> None:
        """The salt tile and the id tile of the leaves in ``self.salts``."""
        self.pending[LogSaltTile.__table__].append(
            {"index": index, "salts": b"".join(self.salts)}
        )
        self.pending[LogIdTile.__table__].append(
            {
                "index": index,
                "receipt_ids": b"".join(self.ids),
                "first_created_at": min(self.times) if self.times else None,
                "last_created_at": max(self.times) if self.times else None,
            }
        )

    def flush(self) -> None:
        """Write the tiles filled since the last flush, and the partial ones."""
        n = self.size
        for level, tile in enumerate(self.levels):
            if tile:
                self._write_tile(
                    level, (n >> (TILE_HEIGHT * level)) // TILE_WIDTH, tile
                )
        if self.salts:
            self._write_leaf_rows(self.size // TILE_WIDTH)
        for table, rows in self.pending.items():
            _upsert(self.conn, table, rows)
            rows.clear()


class StoredTree:
    """A ``merkle.HashSource`` reading the tiles, each tile at most once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def tile(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            blob = self.conn.scalar(
                select(LogTile.hashes).where(
                    LogTile.level == level, LogTile.index == index
                )
            )
            self._tiles[key] = split_blob(blob or b"", HASH_SIZE)
        return self._tiles[key]

    def prefetch(self, leaf_index: int, tree_size: int) -> None:
        """Read in one query the tiles a proof about ``leaf_index`` in a tree of
        ``tree_size`` mostly needs: those above the leaf and at the right edge."""
        keys = set()
        level, position, edge = 0, leaf_index, tree_size - 1
        while edge > 0 or level == 0:
            keys.add((level, position // TILE_WIDTH))
            keys.add((level, edge // TILE_WIDTH))
            level, position, edge = (
                level + 1,
                position >> TILE_HEIGHT,
                edge >> TILE_HEIGHT,
            )
        wanted = [k for k in keys if k not in self._tiles]
        if not wanted:
            return
        rows = self.conn.execute(
            select(LogTile.level, LogTile.index, LogTile.hashes).where(
                tuple_(LogTile.level, LogTile.index).in_(wanted)
            )
        )
        for tile_level, index, blob in rows:
            self._tiles[(tile_level, index)] = split_blob(blob, HASH_SIZE)

    def subtree(self, level: int, index: int) -> bytes:
        tile_level, height = divmod(level, TILE_HEIGHT)
        first = index << height  # position among the tile level's hashes
        tile = self.tile(tile_level, first // TILE_WIDTH)
        offset = first % TILE_WIDTH
        nodes = tile[offset : offset + (1 << height)]
        if len(nodes) != 1 << height:
            raise LookupError(f"subtree {level}/{index} is not stored")
        return root_of_leaf_hashes(nodes)

    def leaf_hash(self, index: int) -> bytes:
        return self.subtree(0, index)


def read_salt(conn: Connection, index: int) -> bytes | None:
    """The salt of leaf ``index``; None when erased (zeros) or not stored."""
    blob = conn.scalar(
        select(LogSaltTile.salts).where(LogSaltTile.index == index // TILE_WIDTH)
    )
    offset = (index % TILE_WIDTH) * SALT_SIZE
    salt = (blob or b"")[offset : offset + SALT_SIZE]
    if len(salt) != SALT_SIZE or salt == bytes(SALT_SIZE):
        return None
    return salt


def erase_salts(conn: Connection, indexes: Iterable[int]) -> None:
    """Overwrite the salts of these leaves with zeros (an erasure)."""
    by_tile: dict[int, list[int]] = {}
    for index in indexes:
        by_tile.setdefault(index // TILE_WIDTH, []).append(index % TILE_WIDTH)
    for tile, offsets in by_tile.items():
        blob = conn.scalar(select(LogSaltTile.salts).where(LogSaltTile.index == tile))
        if blob is None:
            continue
        salts = bytearray(blob)
        for offset in offsets:
            salts[offset * SALT_SIZE : (offset + 1) * SALT_SIZE] = bytes(SALT_SIZE)
        conn.execute(
            LogSaltTile.__table__.update()
            .where(LogSaltTile.index == tile)
            .values(salts=bytes(salts))
        )


def id_bytes(receipt_id: str) -> bytes:
    """A receipt id as the id tiles hold it (receipt ids are UUIDs)."""
    if len(receipt_id) == 36:  # the usual spelling, read fast (seals read many)
        return bytes.fromhex(receipt_id.replace("-", ""))
    return uuid.UUID(receipt_id).bytes


def find_leaf(conn: Connection, receipt_id: str, created_at: datetime) -> int | None:
    """The log index of a receipt, or None while it is not sealed."""
    wanted = id_bytes(receipt_id)
    # The tiles whose time range holds the receipt's, from the span index alone
    # (usually one); then only their ids are read.
    tiles = list(
        conn.scalars(
            select(LogIdTile.index).where(
                LogIdTile.last_created_at >= created_at,
                LogIdTile.first_created_at <= created_at,
            )
        )
    )
    if not tiles:
        return None
    rows = conn.execute(
        select(LogIdTile.index, LogIdTile.receipt_ids).where(LogIdTile.index.in_(tiles))
    )
    for index, ids in rows:
        offset = ids.find(wanted)
        while offset != -1 and offset % ID_SIZE:  # must start at an id's place
            offset = ids.find(wanted, offset + 1)
        if offset != -1:
            return int(index) * TILE_WIDTH + offset // ID_SIZE
    return None


def sealed_since(conn: Connection, since: datetime) -> set[bytes]:
    """The ids of sealed receipts in id tiles reaching ``since`` or later."""
    found: set[bytes] = set()
    rows = conn.execute(
        select(LogIdTile.receipt_ids).where(LogIdTile.last_created_at >= since)
    )
    for (ids,) in rows:
        found.update(split_blob(ids, ID_SIZE))
    found.discard(NO_ID)
    return found


def newest_sealed(conn: Connection) -> datetime | None:
    """The latest ``created_at`` of a sealed receipt."""
    return conn.scalar(select(func.max(LogIdTile.last_created_at)))
