"""Merkle tree math of RFC 9162 (Certificate Transparency 2.0), section 2.1.

Pure functions: leaf and node hashes, the Merkle Tree Hash (MTH) of a list,
inclusion proofs (PATH) and consistency proofs (PROOF) built from any source of
complete-subtree hashes, and the two verification algorithms of sections
2.1.3.2 and 2.1.4.2, step by step. The storage of the tree is ``log_tiles``'
business; here a tree is whatever answers ``HashSource.subtree``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32


def leaf_hash(leaf: bytes) -> bytes:
    """HASH(0x00 || leaf): the hash of one entry (RFC 9162, 2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right): an interior node (RFC 9162, 2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1): where the RFC splits."""
    return 1 << ((n - 1).bit_length() - 1)


class HashSource(Protocol):
    """Hashes of complete subtrees of one tree.

    ``subtree(level, index)`` is the MTH of the 2**level leaves starting at leaf
    ``index * 2**level``; it is only asked for subtrees that lie inside the tree.
    """

    def subtree(self, level: int, index: int) -> bytes: ...


class LeafHashes:
    """A ``HashSource`` over leaf hashes held in memory (tests, small trees)."""

    def __init__(self, hashes: Sequence[bytes]) -> None:
        self.hashes = hashes

    def subtree(self, level: int, index: int) -> bytes:
        start = index << level
        return root_of_leaf_hashes(self.hashes[start : start + (1 << level)])


def root_of_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The MTH of a tree whose leaf hashes are given (at least one)."""
    level = list(hashes)
    if not level:
        raise ValueError("no leaves")
    # Pairing left to right and carrying an odd last node up gives the RFC's
    # split at the largest power of two (the left subtrees are complete).
    while len(level) > 1:
        paired = [
            node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of a list of entries; the empty list hashes to SHA-256('')."""
    if not entries:
        return hashlib.sha256(b"").digest()
    return root_of_leaf_hashes([leaf_hash(e) for e in entries])


def range_hash(source: HashSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion produces.

    Such a range starts at a multiple of a power of two at least its size, so it
    splits into complete subtrees: the largest power of two on the left, the rest
    recursively on the right.
    """
    size = end - start
    if size <= 0:
        raise ValueError("empty range")
    if size & (size - 1) == 0:
        level = size.bit_length() - 1
        return source.subtree(level, start >> level)
    k = largest_power_of_two_below(size)
    return node_hash(
        source.subtree(k.bit_length() - 1, start // k),
        range_hash(source, start + k, end),
    )


def tree_hash(source: HashSource, tree_size: int) -> bytes:
    """The root hash of the first ``tree_size`` leaves."""
    if tree_size == 0:
        return hashlib.sha256(b"").digest()
    return range_hash(source, 0, tree_size)


def inclusion_path(source: HashSource, index: int, tree_size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162, 2.1.3.1: the audit path of leaf ``index``."""
    if not 0 <= index < tree_size:
        raise ValueError("leaf index outside the tree")
    return _path(source, index, 0, tree_size)


def _path(source: HashSource, m: int, start: int, end: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return _path(source, m, start, start + k) + [range_hash(source, start + k, end)]
    return _path(source, m - k, start + k, end) + [range_hash(source, start, start + k)]


def consistency_proof(source: HashSource, first: int, second: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162, 2.1.4.1, for 0 < first <= second."""
    if not 0 < first <= second:
        raise ValueError("a consistency proof needs 0 < first <= second")
    return _subproof(source, first, 0, second, True)


def _subproof(
    source: HashSource, m: int, start: int, end: int, whole: bool
) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) of RFC 9162, 2.1.4.1."""
    n = end - start
    if m == n:
        return [] if whole else [range_hash(source, start, end)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return _subproof(source, m, start, start + k, whole) + [
            range_hash(source, start + k, end)
        ]
    return _subproof(source, m - k, start + k, end, False) + [
        range_hash(source, start, start + k)
    ]


def verify_inclusion(
    leaf_index: int,
    tree_size: int,
    hash_: bytes,
    inclusion_path: Sequence[bytes],
    root_hash: bytes,
) -> bool:
    """Whether ``hash_`` is leaf ``leaf_index`` of the tree: RFC 9162, 2.1.3.2."""
    # 1. leaf_index >= tree_size fails.
    if leaf_index < 0 or leaf_index >= tree_size:
        return False
    # 2., 3.
    fn, sn = leaf_index, tree_size - 1
    r = hash_
    # 4.
    for p in inclusion_path:
        if sn == 0:  # a.
            return False
        if fn & 1 or fn == sn:  # b.
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # c.
        sn >>= 1
    # 5.
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int,
    second: int,
    first_hash: bytes,
    second_hash: bytes,
    consistency_path: Sequence[bytes],
) -> bool:
    """Whether the tree of size ``second`` extends that of size ``first``:
    RFC 9162, 2.1.4.2 (for 0 < first < second, as the section requires)."""
    if not 0 < first < second:
        return False
    path = list(consistency_path)
    # 1.
    if not path:
        return False
    # 2.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # 3.
    fn, sn = first - 1, second - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:  # a.
            return False
        if fn & 1 or fn == sn:  # b.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # c.
        sn >>= 1
    # 7.
    return fr == first_hash and sr == second_hash and sn == 0
