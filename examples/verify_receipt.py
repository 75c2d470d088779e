"""python verify_receipt.py receipt.json jwks.json: VALID, or exit status 1 and why."""

import base64
import hashlib
import json
import sys
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def need(ok, what):  # not assert: python -O skips asserts
    if not ok:
        sys.exit(f"NOT VALID: {what}")


def sha(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def jcs(v):  # RFC 8785 JSON for what receipts hold (no floats): sorted keys, UTF-8
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signed(jws, typ):  # the payload, once the key its kid names checks the signature
    head, body, sig = (base64.urlsafe_b64decode(part + "==") for part in jws.split("."))
    header = json.loads(head)
    need(header["alg"] == "EdDSA" and header["typ"] == typ, f"not an EdDSA {typ}")
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    pub = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["x"] + "=="))
    pub.verify(sig, jws.rpartition(".")[0].encode())  # raises if it does not match
    return json.loads(body)


file, jwks = (json.load(open(path, encoding="utf-8")) for path in sys.argv[1:3])
receipt, proof = file["receipt"], file["proof"]
need(signed(file["jws"], "consent-receipt+jws") == receipt, "not what the JWS signs")
notice = jcs({k: v for k, v in file["notice"].items() if k != "notice"})  # minus hash
need(sha(notice.encode()).hex() == receipt["notice"], "not the notice it names")
if proof:  # once sealed: the log's leaf says the same, under a signed tree head
    leaf, tree = proof["leaf"], signed(file["head"]["signature"], "tree-head+jws")
    salt, shown = bytes.fromhex(proof["salt"]), {**leaf, **leaf["salted_sha256"]}
    for field, value in receipt.items():  # every signed field, as the leaf shows it
        name = {"notice": "notice_hash", "previous": "previous_id"}.get(field, field)
        if name in leaf["salted_sha256"]:  # subject, origin...: salted hashes only
            value = b"\1" if value is None else b"\0" + value.encode()
            value = sha(salt, name.encode(), value).hex()
        elif name.endswith("_at"):  # the leaf's spelling: microseconds, Z for UTC
            value = datetime.fromisoformat(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        need(name in shown and shown[name] == value, f"the log records another {field}")
    i, size, path = proof["leaf_index"], tree["tree_size"], proof["inclusion_path"]
    inner = (i ^ (size - 1)).bit_length()  # levels below where i meets the last leaf
    need(i < size and len(path) == inner + bin(i >> inner).count("1"), "a bad path")
    node = sha(b"\0", jcs(leaf).encode())  # RFC 9162 2.1.3.2, up to the root:
    for level, sibling in enumerate(map(bytes.fromhex, path)):
        left = level >= inner or i >> level & 1  # is the sibling on the left?
        node = sha(b"\1", sibling, node) if left else sha(b"\1", node, sibling)
    need(node.hex() == tree["root_hash"], "not in the signed tree head")
print("VALID" if proof else "VALID (not in the log yet: check again after a seal)")
