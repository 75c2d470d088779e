"""examples/verify_receipt.py checks a real receipt file from the API offline, with
the JWKS only, and refuses every tampered copy (issue #12); the README shows it."""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from flask.testing import FlaskClient

from consent_server.jws import RECEIPT_TYP, sign_compact
from consent_server.log_seal import seal
from tests.api.helpers import Record, other_app
from tests.api.site_files import SHOP_ORIGIN, shop_site, write_sites

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "verify_receipt.py"


def run_script(tmp_path: Path, file: dict[str, Any], jwks: dict[str, Any]) -> Any:
    """Run the example as a reader would: two files, a fresh interpreter."""
    file_path, jwks_path = tmp_path / "receipt.json", tmp_path / "jwks.json"
    file_path.write_text(json.dumps(file), encoding="utf-8")
    jwks_path.write_text(json.dumps(jwks), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(file_path), str(jwks_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _seal(app: Flask) -> None:
    with app.app_context():
        seal()


@pytest.fixture
def sealed_file(
    app: Flask, client: FlaskClient, record: Record
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The file of the 3rd of 6 receipts, proved against a head of 9 leaves."""
    recorded = [record().json for _ in range(6)]
    _seal(app)
    recorded += [record().json for _ in range(3)]
    _seal(app)  # a larger tree: the proof climbs past the first head
    mine = recorded[2]
    rv = client.get(
        f"/v1/receipts/{mine['receipt']['id']}/file",
        headers={"X-Consent-Token": mine["token"]},
    )
    assert rv.status_code == 200
    jwks = client.get("/.well-known/jwks.json").json
    return rv.json, jwks


def test_a_sealed_receipt_file_verifies_offline(
    tmp_path: Path, sealed_file: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    file, jwks = sealed_file
    assert file["proof"]["leaf_index"] == 2
    assert file["head"]["tree_size"] == 9
    assert len(file["proof"]["inclusion_path"]) == 4
    result = run_script(tmp_path, file, jwks)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "VALID"


def test_an_unsealed_receipt_file_checks_its_signature_and_notice(
    tmp_path: Path, client: FlaskClient, record: Record
) -> None:
    recorded = record().json
    file = client.get(
        f"/v1/receipts/{recorded['receipt']['id']}/file",
        headers={"X-Consent-Token": recorded["token"]},
    ).json
    assert file["proof"] is None and file["head"] is None
    result = run_script(tmp_path, file, client.get("/.well-known/jwks.json").json)
    assert result.returncode == 0, result.stderr


def _shifted(stamp: str, days: int) -> str:
    return (datetime.fromisoformat(stamp) + timedelta(days=days)).isoformat()


def _flip_hex(text: str) -> str:
    return ("1" if text[0] == "0" else "0") + text[1:]


def _other_choice(f: dict[str, Any]) -> None:
    f["receipt"]["choices"]["third_party"] = not f["receipt"]["choices"]["third_party"]


def _other_subject(f: dict[str, Any]) -> None:
    f["receipt"]["subject"] = "00000000-0000-4000-8000-000000000000"


def _back_dated(f: dict[str, Any]) -> None:
    f["receipt"]["created_at"] = _shifted(f["receipt"]["created_at"], days=-30)


def _other_notice_text(f: dict[str, Any]) -> None:
    f["notice"]["texts"]["acceptAll"] = "Accept everything forever"


def _other_leaf_choice(f: dict[str, Any]) -> None:
    f["proof"]["leaf"]["choices"]["third_party"] = True


def _other_leaf_field(f: dict[str, Any]) -> None:
    f["proof"]["leaf"]["language"] = "de"


def _other_sibling(f: dict[str, Any]) -> None:
    path = f["proof"]["inclusion_path"]
    path[1] = _flip_hex(path[1])


def _other_index(f: dict[str, Any]) -> None:
    f["proof"]["leaf_index"] = 3


def _short_path(f: dict[str, Any]) -> None:
    f["proof"]["inclusion_path"].pop()


def _other_salt(f: dict[str, Any]) -> None:
    f["proof"]["salt"] = _flip_hex(f["proof"]["salt"])


def _forged_head(f: dict[str, Any]) -> None:
    head, body, sig = f["head"]["signature"].split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[10] ^= 0x01  # one bit of the signature
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    f["head"]["signature"] = f"{head}.{body}.{forged}"


def _receipt_jws_as_head(f: dict[str, Any]) -> None:
    f["head"]["signature"] = f["jws"]


TAMPERINGS: dict[str, Callable[[dict[str, Any]], None]] = {
    "choice": _other_choice,
    "subject": _other_subject,
    "back-dated": _back_dated,
    "notice": _other_notice_text,
    "leaf-choice": _other_leaf_choice,
    "leaf-field": _other_leaf_field,
    "sibling": _other_sibling,
    "index": _other_index,
    "short-path": _short_path,
    "salt": _other_salt,
    "head-signature": _forged_head,
    "receipt-jws-as-head": _receipt_jws_as_head,
}


@pytest.mark.parametrize("tamper", list(TAMPERINGS), ids=list(TAMPERINGS))
def test_a_tampered_file_fails(
    tmp_path: Path,
    sealed_file: tuple[dict[str, Any], dict[str, Any]],
    tamper: str,
) -> None:
    file, jwks = copy.deepcopy(sealed_file)
    TAMPERINGS[tamper](file)
    result = run_script(tmp_path, file, jwks)
    assert result.returncode != 0
    assert "VALID" not in result.stdout


def test_a_file_checked_with_another_services_keys_fails(
    tmp_path: Path, sealed_file: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    file, jwks = copy.deepcopy(sealed_file)
    stranger = Ed25519PrivateKey.generate().public_key()
    raw = stranger.public_bytes(Encoding.Raw, PublicFormat.Raw)
    for key in jwks["keys"]:
        key["x"] = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    result = run_script(tmp_path, file, jwks)
    assert result.returncode != 0


def _resigned(app: Flask, file: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The file with its receipt changed and signed again with the service's own
    key: what a service rewriting history could hand out. Only the log tells."""
    file = copy.deepcopy(file)
    file["receipt"].update(changes)
    with app.app_context():
        file["jws"] = sign_compact(file["receipt"], typ=RECEIPT_TYP)
    return file


def test_a_receipt_signed_again_unchanged_still_verifies(
    app: Flask, tmp_path: Path, sealed_file: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    file, jwks = sealed_file
    result = run_script(tmp_path, _resigned(app, file), jwks)
    assert result.returncode == 0, result.stderr


def _unseen_notice(f: dict[str, Any]) -> str:
    """Swap in a notice of the site the visitor never saw: its hash."""
    f["notice"]["texts"]["acceptAll"] = "Accept everything forever"
    body = {k: v for k, v in f["notice"].items() if k != "notice"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# Each field of the receipt, changed and signed again: the log's leaf still says
# what was recorded (in clear, or for personal fields as a salted hash).
RESIGNED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "created_at": lambda f: _shifted(f["receipt"]["created_at"], days=-30),
    "expires_at": lambda f: _shifted(f["receipt"]["expires_at"], days=365),
    "policy_version": lambda f: "1999-01",
    "notice": _unseen_notice,
    "action": lambda f: "refuse" if f["receipt"]["action"] != "refuse" else "grant",
    "site": lambda f: "shop",
    "method": lambda f: "imported",
    "layer": lambda f: "second",
    "language": lambda f: "de",
    "jurisdiction": lambda f: "US-CA",
    "gpc": lambda f: not f["receipt"]["gpc"],
    "previous": lambda f: "00000000-0000-4000-8000-000000000000",
    "banner_build": lambda f: "0" * 64,
    "user_activation": lambda f: not f["receipt"]["user_activation"],
    "choices": lambda f: {**f["receipt"]["choices"], "third_party": True},
    "subject": lambda f: "00000000-0000-4000-8000-000000000000",
    "origin": lambda f: "https://elsewhere.example",
    "user_agent": lambda f: "Firefox",
    "ip_prefix": lambda f: "192.0.2.0/24",
}


@pytest.mark.parametrize("field", list(RESIGNED))
def test_a_receipt_changed_and_signed_again_fails_against_the_log(
    app: Flask,
    tmp_path: Path,
    sealed_file: tuple[dict[str, Any], dict[str, Any]],
    field: str,
) -> None:
    file, jwks = copy.deepcopy(sealed_file)
    assert set(RESIGNED) == set(file["receipt"]) - {"id"}  # every signed field
    value = RESIGNED[field](file)
    assert value != file["receipt"][field]
    result = run_script(tmp_path, _resigned(app, file, **{field: value}), jwks)
    assert result.returncode != 0
    assert "VALID" not in result.stdout
    assert f"the log records another {field}" in result.stderr, result.stderr


def test_a_file_with_text_beyond_ascii_verifies(
    app: Flask, app_config: dict[str, Any], tmp_path: Path
) -> None:
    """Leaves are hashed over UTF-8 (RFC 8785), not over \\u escapes."""
    site = shop_site(jurisdiction="EU-Österreich")
    site["categories"][1]["texts"]["en"]["title"] = "Statistik – Besuche zählen"
    path = write_sites(tmp_path / "sites.toml", {"shop": site})
    with other_app(app_config, path) as shop:
        client = shop.test_client()
        notice = client.get("/v1/sites/shop/notice?lang=en").json
        recorded = [
            client.post(
                "/v1/sites/shop/consents",
                json={"notice": notice["notice"], "choices": {"analytics": True}},
                headers={"Origin": SHOP_ORIGIN},
            )
            for _ in range(3)
        ]
        assert [rv.status_code for rv in recorded] == [201] * 3
        with shop.app_context():
            seal()
        mine = recorded[1].json
        file = client.get(
            f"/v1/receipts/{mine['receipt']['id']}/file",
            headers={"X-Consent-Token": mine["token"]},
        ).json
        jwks = client.get("/.well-known/jwks.json").json
    assert file["proof"]["leaf"]["jurisdiction"] == "EU-Österreich"
    result = run_script(tmp_path, file, jwks)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "VALID"


def test_the_readme_shows_the_example_itself() -> None:
    """The README's block under "The visitor's receipt file" is the script."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n### The visitor's receipt file\n") :]
    block = re.search(r"^```python\n(.*?)^```$", section, re.S | re.M)
    assert block is not None
    assert block.group(1) == SCRIPT.read_text(encoding="utf-8")


def test_the_example_needs_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    modules = {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    roots = {str(m).split(".")[0] for m in modules}
    assert roots - sys.stdlib_module_names == {"cryptography"}
