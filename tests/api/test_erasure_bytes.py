"""Erasure erases: no byte of the database files (WAL included) or of the audit log
keeps the subject id or its IP prefix, however staff spelled it (issue #10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import Record

from .admin_fixtures import bearer, ui_sign_in

SUBJECT = "crm:wal-erase-me@example"
NETWORK = "192.0.2.77"  # TEST-NET-1, this test's alone
PREFIX = "192.0.2.0/24"
SPELLINGS = [
    SUBJECT,
    SUBJECT.replace(".", "%2E"),
    SUBJECT.replace("e", "%65"),
    SUBJECT.replace("@", "%40"),
    SUBJECT.replace(":", "%3A").replace("-", "%2D"),
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite in a file of its own: the bytes on disk are what is checked."""
    return f"sqlite:///{tmp_path / 'erasure.sqlite3'}"


def database_bytes(tmp_path: Path) -> bytes:
    files = sorted(tmp_path.glob("erasure.sqlite3*"))
    assert files, "no database files"
    return b"".join(f.read_bytes() for f in files)


def test_after_an_erasure_no_database_file_holds_the_subject_or_its_network(
    app: Flask,
    client: FlaskClient,
    record: Record,
    recorder: dict[str, str],
    tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    environ: dict[str, Any] = {"REMOTE_ADDR": NETWORK}
    for choices in (
        {"persistent": True, "third_party": True},
        {"persistent": False, "third_party": False},
    ):
        rv = client.post(
            "/v1/sites/default/consents",
            json={
                "subject": SUBJECT,
                "notice": client.get("/v1/sites/default/notice").json["notice"],
                "choices": choices,
                "method": "api",
            },
            headers={**recorder, "Idempotency-Key": f"k-{choices['persistent']}"},
            environ_base=environ,
        )
        assert rv.status_code == 201, rv.json
    admin = bearer(tokens["admin"])
    ui_sign_in(client, tokens["admin"])
    for spelling in SPELLINGS:  # staff look the subject up, spelled many ways
        client.get(f"/v1/admin/subjects/{spelling}", headers=admin)
        client.get(f"/v1/admin/receipts?subject={spelling}", headers=admin)
        client.get(f"/admin/subjects?subject={spelling}")
    client.get(f"/v1/admin/receipts?subject={SUBJECT.replace('-', '+')}", headers=admin)
    before = database_bytes(tmp_path)
    assert SUBJECT.encode() in before and PREFIX.encode() in before

    rv = client.delete(f"/v1/admin/subjects/{SUBJECT}", headers=admin)

    assert rv.status_code == 200
    after = database_bytes(tmp_path)
    for trace in (SUBJECT, "wal-erase-me", PREFIX, NETWORK):
        assert trace.encode() not in after, trace
    log = client.get("/v1/admin/audit?limit=500", headers=admin).get_data(as_text=True)
    assert "wal-erase-me" not in log and "wal%2Derase" not in log
    assert "erase%2Dme" not in log and "%65" not in log
