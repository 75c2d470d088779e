"""Staff UI: a receipt's place in the transparency log and the head that covers it,
each checked now; the statistics page shows the latest head (issue #12)."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from consent_server.extensions import db
from consent_server.log_seal import seal
from consent_server.models import LogHead
from tests.api.helpers import Record

from .admin_fixtures import ui_sign_in


def _fact(page: str, term: str) -> str:
    """The text of the ``<dd>`` after the ``<dt>`` that starts with ``term``."""
    match = re.search(
        rf"<dt>{re.escape(term)}[^<]*</dt><dd[^>]*>(.*?)</dd>", page, re.S
    )
    assert match, f"no {term!r} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())


def _seal(app: Flask) -> None:
    with app.app_context():
        seal()


def _page(client: FlaskClient, path: str) -> str:
    rv = client.get(path)
    assert rv.status_code == 200
    return rv.get_data(as_text=True)


def _heads(app: Flask) -> list[Any]:
    with app.app_context():
        heads = db.session.scalars(select(LogHead).order_by(LogHead.tree_size)).all()
        return [(h.tree_size, h.root_hash) for h in heads]


def test_an_unsealed_receipt_says_so(
    client: FlaskClient, record: Record, tokens: dict[str, str]
) -> None:
    receipt = record().json["receipt"]
    ui_sign_in(client, tokens["auditor"])
    page = _page(client, f"/admin/receipts/{receipt['id']}")
    assert "Not sealed yet" in page


def test_a_sealed_receipt_shows_its_leaf_and_the_heads_that_cover_it(
    client: FlaskClient, app: Flask, record: Record, tokens: dict[str, str]
) -> None:
    receipts = [record().json["receipt"] for _ in range(3)]
    _seal(app)
    receipts += [record().json["receipt"] for _ in range(2)]
    _seal(app)
    (_, (size, root)) = _heads(app)
    assert size == 5
    ui_sign_in(client, tokens["auditor"])
    page = _page(client, f"/admin/receipts/{receipts[1]['id']}")
    assert "In the log: the stored receipt hashes to leaf 1" in page
    assert _fact(page, "Leaf index") == "1"
    assert _fact(page, "Inclusion proof") == "valid (3 hashes, RFC 9162)"
    assert _fact(page, "First sealed in").startswith("the head of 3 leaves")
    assert _fact(page, "Proved against").startswith("the latest head: 5 leaves")
    assert _fact(page, "Root hash") == root
    assert _fact(page, "Head signature").startswith("valid, key ")
    assert _fact(page, "Subject's salt") == "kept"
    # A receipt of the second seal was first sealed in the second head.
    later = _page(client, f"/admin/receipts/{receipts[4]['id']}")
    assert _fact(later, "First sealed in").startswith("the head of 5 leaves")


def test_a_receipt_changed_after_sealing_fails_its_inclusion_proof(
    client: FlaskClient, app: Flask, record: Record, tokens: dict[str, str]
) -> None:
    receipts = [record().json["receipt"] for _ in range(4)]
    _seal(app)
    with app.app_context():
        db.session.execute(
            text("UPDATE receipts SET method = 'accept_all' WHERE id = :id"),
            {"id": receipts[2]["id"]},
        )
        db.session.commit()
    ui_sign_in(client, tokens["auditor"])
    page = _page(client, f"/admin/receipts/{receipts[2]['id']}")
    assert "Not proven: the stored receipt no longer hashes to the leaf" in page
    assert _fact(page, "Inclusion proof").startswith("not valid")
    untouched = _page(client, f"/admin/receipts/{receipts[1]['id']}")
    assert _fact(untouched, "Inclusion proof").startswith("valid")


def test_an_erased_receipt_keeps_its_leaf_without_its_salt(
    client: FlaskClient,
    app: Flask,
    record: Record,
    tokens: dict[str, str],
    admin: dict[str, str],
) -> None:
    receipt = record().json["receipt"]
    record()
    _seal(app)
    rv = client.delete(f"/v1/admin/subjects/{receipt['subject']}", headers=admin)
    assert rv.status_code == 200
    ui_sign_in(client, tokens["auditor"])
    page = _page(client, f"/admin/receipts/{receipt['id']}")
    assert _fact(page, "Inclusion proof").startswith("valid")
    assert _fact(page, "Subject's salt").startswith("deleted by the erasure")


def test_the_statistics_page_shows_the_latest_head(
    client: FlaskClient, app: Flask, record: Record, tokens: dict[str, str]
) -> None:
    ui_sign_in(client, tokens["auditor"])
    assert "No signed tree head yet" in _page(client, "/admin/stats")
    for _ in range(3):
        record()
    _seal(app)
    ((size, root),) = _heads(app)
    page = _page(client, "/admin/stats")
    assert f"Latest signed tree head: {size} leaves" in page
    assert root in page
    assert re.search(r"signature\s+valid, key", page)
