"""Check a consent receipt file offline: python verify_receipt.py receipt.json jwks.json

Only `cryptography` and the JWKS (/.well-known/jwks.json, fetched once). Prints
VALID; anything else (a failed check, a bad signature) ends with exit status 1.
"""

import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def need(ok, what):  # not assert: python -O would skip the checks
    if not ok:
        sys.exit(f"NOT VALID: {what}")


def signed(jws):  # the payload, once the JWKS key the kid names checks the signature
    head, body, sig = jws.split(".")
    key = next(k for k in jwks["keys"] if k["kid"] == json.loads(b64(head))["kid"])
    public = Ed25519PublicKey.from_public_bytes(b64(key["x"]))
    public.verify(b64(sig), f"{head}.{body}".encode())  # raises if it does not match
    return json.loads(b64(body))


file, jwks = (json.load(open(path, encoding="utf-8")) for path in sys.argv[1:3])
receipt, proof = file["receipt"], file["proof"]
need(signed(file["jws"]) == receipt, "the JWS signs another receipt")
notice = {k: v for k, v in file["notice"].items() if k != "notice"}  # minus its hash
text = json.dumps(notice, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
need(sha(text.encode()).hex() == receipt["notice"], "the notice is not the one signed")
if proof:  # once sealed: the receipt's leaf is in the tree whose head the log signed
    leaf, tree = proof["leaf"], signed(file["head"]["signature"])
    need(leaf["id"] == receipt["id"], "the leaf is another receipt's")
    need(leaf["choices"] == receipt["choices"], "the leaf holds other choices")
    if proof["salt"]:  # the subject only as a salted hash; an erasure drops the salt
        subject = sha(
            bytes.fromhex(proof["salt"]), b"subject\0", receipt["subject"].encode()
        )
        need(leaf["salted_sha256"]["subject"] == subject.hex(), "another subject")
    canonical = json.dumps(leaf, sort_keys=True, separators=(",", ":"))  # RFC 8785
    i, last, node = (
        proof["leaf_index"],
        tree["tree_size"] - 1,
        sha(b"\0", canonical.encode()),
    )
    for sibling in map(bytes.fromhex, proof["inclusion_path"]):  # RFC 9162, 2.1.3.2
        need(last > 0, "the inclusion path is too long")
        if i % 2 or i == last:
            node = sha(b"\1", sibling, node)
            while i and not i % 2:
                i, last = i >> 1, last >> 1
        else:
            node = sha(b"\1", node, sibling)
        i, last = i >> 1, last >> 1
    need(last == 0 and node.hex() == tree["root_hash"], "not in the signed tree head")
print("VALID")
