"""What a receipt's JWS costs: signing on the record path, checking, and its size.

    .venv/bin/python benchmarks/jws_bench.py [--number 2000]

Prints microseconds per receipt (best of 7 runs) for each step of signing a
receipt (payload, RFC 8785 canonical form, the whole compact JWS) and for
checking it with the JWKS, and the JWS's size in bytes. ``server_bench.py``
measures recording as a whole (target: >= 0.15 of the ceiling).
"""

from __future__ import annotations

import argparse
import sys
import timeit
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consent_server.jws import (  # noqa: E402
    RECEIPT_TYP,
    canonical_json,
    sign_with,
    verify_compact,
)
from consent_server.receipt_jws import receipt_payload  # noqa: E402
from consent_server.signing_keys import SigningKey, SigningKeys  # noqa: E402


def sample_receipt() -> SimpleNamespace:
    """A receipt of the default site as the banner records it, with its context."""
    now = datetime.now(UTC)
    return SimpleNamespace(
        id=str(uuid.uuid4()),
        site="default",
        subject=str(uuid.uuid4()),
        action="update",
        method="custom",
        layer="preferences",
        choices={"session": True, "persistent": True, "third_party": False},
        gpc=False,
        previous_id=str(uuid.uuid4()),
        policy_version="2026-01",
        notice_hash="3f" * 32,
        language="en",
        created_at=now,
        expires_at=now + timedelta(days=365),
        banner_build="a1" * 32,
        jurisdiction="EU",
        user_activation=None,
        origin="https://shop.example",
        user_agent="Firefox 128",
        ip_prefix="192.0.2.0/24",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()
    key = SigningKey.from_seed("bench", bytes(range(32)))
    jwks = SigningKeys((key,)).jwks()
    receipt = sample_receipt()
    payload = receipt_payload(receipt)
    token = sign_with(key, payload, RECEIPT_TYP)

    def best(step: object) -> float:
        runs = timeit.repeat(step, number=args.number, repeat=7)  # type: ignore[arg-type]
        return min(runs) / args.number * 1e6

    steps = {
        "payload from the receipt": lambda: receipt_payload(receipt),
        "RFC 8785 canonical form": lambda: canonical_json(payload),
        "sign (record path: payload + JWS)": lambda: sign_with(
            key, receipt_payload(receipt), RECEIPT_TYP
        ),
        "verify with the JWKS": lambda: verify_compact(token, jwks, RECEIPT_TYP),
    }
    for name, step in steps.items():
        print(f"{name:36} {best(step):8.1f} us")
    print(f"{'JWS size':36} {len(token):8d} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
