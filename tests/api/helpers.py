"""Small helpers shared by the API tests."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from consent_server.extensions import db
from consent_server.models import Notice, Receipt

PROBLEM = "application/problem+json"


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
