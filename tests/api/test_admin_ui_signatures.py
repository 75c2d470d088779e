"""Staff UI: a receipt page shows both signatures' checks, the HMAC token's and the
Ed25519 JWS's (issue #12)."""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from consent_server.extensions import db
from tests.api.helpers import Record

from .admin_fixtures import ui_sign_in


def _fact(page: str, term: str) -> str:
    """The text of the ``<dd>`` after the ``<dt>`` that starts with ``term``."""
    match = re.search(
        rf"<dt>{re.escape(term)}[^<]*</dt><dd>(.*?)</dd>", page, flags=re.S
    )
    assert match, f"no {term!r} on the page"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def _page(client: FlaskClient, receipt_id: str) -> str:
    rv = client.get(f"/admin/receipts/{receipt_id}")
    assert rv.status_code == 200
    return rv.get_data(as_text=True)


def test_a_signed_receipt_shows_both_signatures_valid(
    client: FlaskClient, record: Record, tokens: dict[str, str]
) -> None:
    recorded = record().json
    protected = recorded["jws"].split(".")[0]
    header = json.loads(
        base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4))
    )
    ui_sign_in(client, tokens["auditor"])
    page = _page(client, recorded["receipt"]["id"])
    assert _fact(page, "Token signature") == "valid"
    jws = _fact(page, "JWS signature")
    # The key named is the one of the JWS header.
    assert jws == f"valid, key {header['kid']}"


def test_a_changed_receipt_fails_its_jws_check_by_field(
    client: FlaskClient, app: Flask, record: Record, tokens: dict[str, str]
) -> None:
    recorded = record(choices={"persistent": False, "third_party": False}).json
    with app.app_context():
        db.session.execute(
            text("UPDATE receipts SET language = 'de' WHERE id = :id"),
            {"id": recorded["receipt"]["id"]},
        )
        db.session.commit()
    ui_sign_in(client, tokens["auditor"])
    page = _page(client, recorded["receipt"]["id"])
    jws = _fact(page, "JWS signature")
    assert jws.startswith("not valid (mismatch")
    assert "language" in jws
    assert "Not verified" in page


def test_a_receipt_from_before_signing_says_it_has_no_jws(
    client: FlaskClient, make_receipt: Any, tokens: dict[str, str]
) -> None:
    receipt_id = make_receipt()  # stored by hand, as before issue #12: no JWS
    ui_sign_in(client, tokens["auditor"])
    page = _page(client, receipt_id)
    assert _fact(page, "Token signature") == "valid"
    assert _fact(page, "JWS signature") == "none: recorded before receipts were signed"
