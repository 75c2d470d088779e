"""``consent log verify`` on erased receipts: an erased row must stay as the
erasure left it (a pseudonym, every other personal field null), so a later
change to it is named just like a change to a live receipt."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text

from consent_server.erasure import erase_subject
from consent_server.extensions import db
from tests.api.helpers import Record

ORIGINAL = object()  # stands for the subject the receipt had before its erasure


def _erased_log(app: Flask, runner: FlaskCliRunner, record: Record) -> dict[str, Any]:
    """Three receipts (two of one subject) sealed, that subject erased, sealed
    again, and the log verified untouched."""
    first = record({"persistent": True, "third_party": False})
    assert first.status_code == 201, first.get_data(as_text=True)
    subject = first.json["receipt"]["subject"]
    second = record(
        {"persistent": False, "third_party": False}, token=first.json["token"]
    )
    other = record({"persistent": True, "third_party": True})
    assert second.status_code == other.status_code == 201
    assert runner.invoke(args=["consent", "log", "seal"]).exit_code == 0
    with app.app_context():
        erase_subject(subject, "test")
    assert runner.invoke(args=["consent", "log", "seal"]).exit_code == 0
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 leaves (2 erased" in result.output
    return {
        "subject": subject,
        "erased": first.json["receipt"]["id"],
        "sibling": second.json["receipt"]["id"],
        "other": other.json["receipt"]["id"],
    }


def _update(app: Flask, column: str, value: Any, receipt_id: str) -> None:
    with app.app_context():
        db.session.execute(
            text(f"UPDATE receipts SET {column} = :v WHERE id = :id"),
            {"v": value, "id": receipt_id},
        )
        db.session.commit()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("subject", ORIGINAL),  # the consent attributed to its person again
        ("subject", "someone-else"),
        ("origin", "https://www.example.com"),
        ("ip_prefix", "192.0.2.0/24"),
        ("user_agent", "Mozilla/5.0"),
        ("idempotency_hash", "0" * 64),
        ("token", "a-token"),
        ("jws", "a.b.c"),
    ],
)
def test_verify_names_an_erased_receipt_changed_after_its_erasure(
    app: Flask, runner: FlaskCliRunner, record: Record, column: str, value: Any
) -> None:
    log = _erased_log(app, runner, record)
    _update(app, column, log["subject"] if value is ORIGINAL else value, log["erased"])
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 1, result.output
    assert f"receipt {log['erased']}" in result.output
    assert column in result.output
    assert log["sibling"] not in result.output and log["other"] not in result.output
    assert log["subject"] not in result.output  # a field's name, never its value


def test_verify_names_an_erased_receipt_whose_published_field_changed(
    app: Flask, runner: FlaskCliRunner, record: Record
) -> None:
    log = _erased_log(app, runner, record)
    choices = json.dumps({"persistent": False, "third_party": True})
    _update(app, "choices", choices, log["erased"])
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 1, result.output
    assert f"receipt {log['erased']} (leaf 0) does not match" in result.output
    assert log["sibling"] not in result.output
