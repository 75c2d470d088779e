"""The Merkle tree in the database: tiles of 256 hashes per row (``LogTile``).

Level 0 holds the leaf hashes; a tile of level L holds the hashes of complete
subtrees of 2**(8*L) leaves. Any complete subtree is then one tile read and at
most 127 node hashes away, so an inclusion proof at a million leaves reads a
handful of rows. Only complete subtrees are stored: a partial tile grows as
leaves arrive, and older tree sizes read the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .merkle import HASH_SIZE, root_of_leaf_hashes
from .models import LogSaltTile, LogTile

TILE_WIDTH = 256
TILE_HEIGHT = 8  # log2(TILE_WIDTH): tree levels per tile level
SALT_SIZE = 16


def _split(blob: bytes, size: int) -> list[bytes]:
    return [blob[i : i + size] for i in range(0, len(blob), size)]


def _upsert(
    conn: Connection, table: Any, values: dict[str, Any], keys: list[str]
) -> None:
    """Insert a row or replace its blob (PostgreSQL and SQLite say it alike)."""
    dialect = conn.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values)
    blob = next(k for k in values if k not in keys)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=keys, set_={blob: getattr(stmt.excluded, blob)}
        )
    )


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

    Holds only the last, partial tile of each level: full tiles are written as
    they fill, so memory stays flat however many leaves one seal appends.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.size = stored_size(conn)
        self.levels: list[list[bytes]] = []
        self.salts: list[bytes] = []
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
                hashes = _split(blob or b"", HASH_SIZE)[:filled]
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
            self.salts = _split(blob or b"", SALT_SIZE)[:filled]

    def append(self, leaf_hash: bytes, salt: bytes) -> int:
        """Add one leaf; returns its index."""
        index = self.size
        self.size += 1
        self.salts.append(salt)
        if len(self.salts) == TILE_WIDTH:
            self._write_salts(index // TILE_WIDTH)
            self.salts = []
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
        _upsert(
            self.conn,
            LogTile.__table__,
            {"level": level, "index": index, "hashes": b"".join(hashes)},
            ["level", "index"],
        )

    def _write_salts(self, index: int) -> None:
        _upsert(
            self.conn,
            LogSaltTile.__table__,
            {"index": index, "salts": b"".join(self.salts)},
            ["index"],
        )

    def flush(self) -> None:
        """Write the partial tiles (full ones are written as they fill)."""
        n = self.size
        for level, tile in enumerate(self.levels):
            if tile:
                self._write_tile(
                    level, (n >> (TILE_HEIGHT * level)) // TILE_WIDTH, tile
                )
        if self.salts:
            self._write_salts(self.size // TILE_WIDTH)


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
            self._tiles[key] = _split(blob or b"", HASH_SIZE)
        return self._tiles[key]

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
