"""Leaf encoding: RFC 8785 bytes, salted hashes as documented (issue #12)."""

from __future__ import annotations

import hashlib
import random
from types import SimpleNamespace

import pytest

from consent_server import log_leaves
from consent_server.jws import canonical_json

ALPHABET = 'abcXYZ09 _-"\\\n\t\x01/é€😀\u2028\ue000'


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(12)))


@pytest.mark.parametrize("seed", range(200))
def test_leaf_bytes_are_rfc_8785(seed: int) -> None:
    rng = random.Random(seed)
    ascii_only = seed % 2 == 0
    make = (
        (lambda: f"v{rng.randrange(10**6)}-x") if ascii_only else (lambda: _text(rng))
    )
    leaf = {
        make(): rng.choice([None, True, False, make(), rng.randrange(-(2**40), 2**40)])
        for _ in range(rng.randrange(1, 8))
    }
    leaf["choices"] = {make(): rng.random() < 0.5 for _ in range(3)}
    leaf["list"] = [rng.randrange(100), make()]
    assert log_leaves.leaf_bytes(leaf) == canonical_json(leaf)


def test_personal_hashes_are_the_documented_salted_sha256() -> None:
    salt = bytes(range(16))
    row = SimpleNamespace(
        subject="s-1",
        origin=None,
        user_agent="Firefox 128",
        ip_prefix="198.51.100.0/24",
        idempotency_hash=None,
        token="t.o.k",
        jws=None,
    )
    hashes = log_leaves.personal_hashes(row, salt)
    assert set(hashes) == set(log_leaves.PERSONAL_FIELDS)
    assert hashes["subject"] == hashlib.sha256(salt + b"subject\x00s-1").hexdigest()
    assert hashes["origin"] == hashlib.sha256(salt + b"origin\x01").hexdigest()
    for field, value in hashes.items():
        assert value == log_leaves.salted_hash(salt, field, getattr(row, field))
    other = log_leaves.personal_hashes(row, bytes(16))
    assert all(other[f] != hashes[f] for f in hashes)
