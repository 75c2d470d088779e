"""The stored tree (tiles of 256 hashes) answers as the tree in memory does."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine

from consent_server import merkle
from consent_server.log_tiles import (
    StoredTree,
    TileWriter,
    erase_salts,
    find_leaf,
    read_salt,
    stored_size,
)
from consent_server.models import LogIdTile, LogSaltTile, LogTile

# Past 256 * 256 leaves, so that three tile levels and partial tiles all count.
SIZE = 66_000
LEAVES = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(SIZE)]


@pytest.fixture
def conn() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    tables = [LogTile.__table__, LogSaltTile.__table__, LogIdTile.__table__]
    LogTile.metadata.create_all(engine, tables=tables)
    with engine.begin() as connection:
        yield connection


def _fill(conn: Connection, chunks: list[int]) -> None:
    """Append LEAVES in chunks, each by a new writer (as seal batches do)."""
    start = 0
    for end in chunks:
        writer = TileWriter(conn)
        assert writer.size == start
        for i in range(start, end):
            writer.append(LEAVES[i], i.to_bytes(16, "big"))
        writer.flush()
        start = end
    assert stored_size(conn) == start


def test_stored_roots_match_at_every_seal(conn: Connection) -> None:
    chunks = [1, 255, 256, 257, 1000, 65_535, 65_536, 65_537, SIZE]
    _fill(conn, chunks)
    memory = merkle.LeafHashes(LEAVES)
    tree = StoredTree(conn)
    for size in chunks:
        assert merkle.tree_hash(tree, size) == merkle.tree_hash(memory, size)


def test_stored_proofs_verify(conn: Connection) -> None:
    _fill(conn, [300, 40_000, SIZE])
    memory = merkle.LeafHashes(LEAVES)
    rng = random.Random(5)
    root = merkle.tree_hash(memory, SIZE)
    for index in [0, 255, 256, 65_535, 65_536, SIZE - 1] + rng.sample(range(SIZE), 20):
        tree = StoredTree(conn)
        tree.prefetch(index, SIZE)
        path = merkle.inclusion_path(tree, index, SIZE)
        assert path == merkle.inclusion_path(memory, index, SIZE)
        assert merkle.verify_inclusion(index, SIZE, LEAVES[index], path, root)
    for first in [1, 256, 300, 40_000, 65_536]:
        proof = merkle.consistency_proof(StoredTree(conn), first, SIZE)
        assert merkle.verify_consistency(
            first, SIZE, merkle.tree_hash(memory, first), root, proof
        )


def test_salts_are_read_and_erased_one_by_one(conn: Connection) -> None:
    _fill(conn, [600])
    assert read_salt(conn, 300) == (300).to_bytes(16, "big")
    erase_salts(conn, [300, 301])
    assert read_salt(conn, 300) is None and read_salt(conn, 301) is None
    assert read_salt(conn, 299) == (299).to_bytes(16, "big")


def test_a_receipt_is_found_by_its_time_and_id(conn: Connection) -> None:
    from datetime import UTC, datetime, timedelta

    base = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(700)]
    writer = TileWriter(conn)
    for i, receipt_id in enumerate(ids):
        writer.append(
            LEAVES[i],
            bytes(16),
            bytes.fromhex(receipt_id.replace("-", "")),
            base + timedelta(seconds=i),
        )
    writer.flush()
    for i in (0, 255, 256, 699):
        assert find_leaf(conn, ids[i], base + timedelta(seconds=i)) == i
    other = "00000000-0000-4000-8000-999999999999"
    assert find_leaf(conn, other, base) is None
