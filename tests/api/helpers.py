"""Small helpers shared by the API tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consent_server import create_app
from consent_server.archives import wait_for_archiving
from consent_server.extensions import db
from consent_server.models import Notice, Receipt
from consent_server.signing import sign_token

PROBLEM = "application/problem+json"
# The ``record`` fixture of tests/conftest.py: POST a decision, get the response.
Record = Callable[..., Any]


def count_rows(app: Flask) -> tuple[int, int]:
    """(receipts, notices) stored right now."""
    with app.app_context():
        receipts = db.session.scalar(select(func.count()).select_from(Receipt))
        notices = db.session.scalar(select(func.count()).select_from(Notice))
        db.session.remove()
    return int(receipts or 0), int(notices or 0)


def assert_problem(
    rv: Any, status: int, type_suffix: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with every field; returns its body."""
    assert rv.status_code == status, rv.get_data(as_text=True)
    assert rv.mimetype == PROBLEM
    body: dict[str, Any] = rv.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == rv.request.path
    if type_suffix is not None:
        assert body["type"].endswith("/" + type_suffix), body["type"]
    return body


def verify(client: FlaskClient, token: str) -> Any:
    """POST /v1/receipts/verify; returns the JSON answer."""
    rv = client.post("/v1/receipts/verify", json={"token": token})
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    return rv.json


def stored(app: Flask, receipt_id: str) -> Receipt | None:
    """The receipt row as stored, detached from any session."""
    with app.app_context():
        row = db.session.get(Receipt, receipt_id)
        db.session.expunge_all()
        db.session.remove()
        return row


def signed(keys: list[str], **overrides: Any) -> str:
    """A consent token of the default site signed with ``keys``."""
    import uuid

    fields: dict[str, Any] = {
        "receipt_id": str(uuid.uuid4()),
        "site": "default",
        "subject": str(uuid.uuid4()),
        "choices": {"session": True, "persistent": True, "third_party": True},
        "policy_version": "2026-01",
        "expires_at": datetime.now(UTC) + timedelta(days=1),
    }
    fields.update(overrides)
    return sign_token(keys, **fields)


class other_app:  # noqa: N801 - used as a context manager
    """A second app on the same database with another site file."""

    def __init__(self, config: dict[str, Any], sites_file: Path) -> None:
        self.app = create_app({**config, "CONSENT_SITES_FILE": str(sites_file)})

    def __enter__(self) -> Flask:
        return self.app

    def __exit__(self, *exc: object) -> None:
        wait_for_archiving(self.app)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def built_scripts() -> bytes:
    """The banner build as archived: static/banner.js, then static/prefs.js."""
    static = Path(__file__).resolve().parents[2] / "static"
    return (static / "banner.js").read_bytes() + (static / "prefs.js").read_bytes()
