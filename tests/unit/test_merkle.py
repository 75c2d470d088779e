"""The Merkle math against RFC 9162's own recursive definitions (section 2.1).

The reference functions below are the RFC's MTH, PATH and PROOF written as the
RFC states them, over lists of entries; ``consent_server.merkle`` builds the same
from a hash source and verifies with the RFC's iterative algorithms.
"""

from __future__ import annotations

import hashlib

import pytest

from consent_server import merkle

SIZES = range(1, 65)


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_mth(d: list[bytes]) -> bytes:
    """MTH({}) = SHA-256(); MTH({d0}) = SHA-256(0x00 || d0); else split at k."""
    n = len(d)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + d[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return _h(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162, 2.1.3.1."""
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162, 2.1.4.1."""
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


ENTRIES = [f"entry {i}".encode() for i in range(64)]
LEAF_HASHES = [merkle.leaf_hash(e) for e in ENTRIES]


def _source(n: int) -> merkle.LeafHashes:
    return merkle.LeafHashes(LEAF_HASHES[:n])


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert merkle.leaf_hash(b"x") == _h(b"\x00x")
    assert merkle.node_hash(b"a" * 32, b"b" * 32) == _h(b"\x01" + b"a" * 32 + b"b" * 32)


def test_mth_of_the_empty_list_is_the_hash_of_nothing() -> None:
    assert merkle.mth([]) == _h(b"")
    assert merkle.tree_hash(_source(0), 0) == _h(b"")


@pytest.mark.parametrize("n", SIZES)
def test_tree_hash_is_the_rfc_mth_for_every_size(n: int) -> None:
    expected = ref_mth(ENTRIES[:n])
    assert merkle.mth(ENTRIES[:n]) == expected
    assert merkle.tree_hash(_source(n), n) == expected


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_paths_are_the_rfc_path_and_verify(n: int) -> None:
    root = ref_mth(ENTRIES[:n])
    for m in range(n):
        path = merkle.inclusion_path(_source(n), m, n)
        assert path == ref_path(m, ENTRIES[:n])
        assert merkle.verify_inclusion(m, n, LEAF_HASHES[m], path, root)


@pytest.mark.parametrize("second", SIZES)
def test_consistency_proofs_are_the_rfc_proof_and_verify(second: int) -> None:
    second_hash = ref_mth(ENTRIES[:second])
    for first in range(1, second + 1):
        proof = merkle.consistency_proof(_source(second), first, second)
        assert proof == ref_proof(first, ENTRIES[:second])
        if first < second:
            first_hash = ref_mth(ENTRIES[:first])
            assert merkle.verify_consistency(
                first, second, first_hash, second_hash, proof
            )
        else:
            assert proof == []


def _flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 33, 64])
def test_tampered_inclusion_proofs_are_refused(n: int) -> None:
    root = ref_mth(ENTRIES[:n])
    for m in range(n):
        path = ref_path(m, ENTRIES[:n])
        leaf = LEAF_HASHES[m]
        for i in range(len(path)):
            bad = list(path)
            bad[i] = _flip(bad[i])
            assert not merkle.verify_inclusion(m, n, leaf, bad, root)
        assert not merkle.verify_inclusion(m, n, _flip(leaf), path, root)
        assert not merkle.verify_inclusion(m, n, leaf, path, _flip(root))
        assert not merkle.verify_inclusion(m, n, leaf, path[:-1], root)
        assert not merkle.verify_inclusion(m, n, leaf, path + [root], root)
        assert not merkle.verify_inclusion(n, n, leaf, path, root)
        other = (m + 1) % n
        assert not merkle.verify_inclusion(other, n, leaf, path, root)
        # The leaf's entry itself is not its leaf hash (0x00 prefix).
        assert not merkle.verify_inclusion(m, n, ENTRIES[m], path, root)


@pytest.mark.parametrize("second", [2, 3, 5, 8, 13, 33, 64])
def test_tampered_consistency_proofs_are_refused(second: int) -> None:
    second_hash = ref_mth(ENTRIES[:second])
    for first in range(1, second):
        first_hash = ref_mth(ENTRIES[:first])
        proof = ref_proof(first, ENTRIES[:second])
        for i in range(len(proof)):
            bad = list(proof)
            bad[i] = _flip(bad[i])
            assert not merkle.verify_consistency(
                first, second, first_hash, second_hash, bad
            )
        args = (first, second, first_hash, second_hash)
        assert not merkle.verify_consistency(*args, proof[:-1])
        assert not merkle.verify_consistency(*args, proof + [second_hash])
        assert not merkle.verify_consistency(*args, [])
        assert not merkle.verify_consistency(
            first, second, _flip(first_hash), second_hash, proof
        )
        assert not merkle.verify_consistency(
            first, second, first_hash, _flip(second_hash), proof
        )
        assert not merkle.verify_consistency(
            second, first, second_hash, first_hash, proof
        )


def test_a_rewritten_history_is_not_consistent() -> None:
    rewritten = ENTRIES[:5] + [b"changed"] + ENTRIES[6:20]
    proof = ref_proof(10, rewritten)
    assert not merkle.verify_consistency(
        10, 20, ref_mth(ENTRIES[:10]), ref_mth(rewritten), proof
    )


@pytest.mark.parametrize(("index", "size"), [(-1, 4), (4, 4), (0, 0)])
def test_paths_outside_the_tree_are_refused(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_path(_source(4), index, size)
