"""Staff API: subject history (access, portability), erasure, retention purge."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from consent_server.audit import subject_reference
from consent_server.extensions import db
from consent_server.models import AuditEntry, Erasure, Receipt

from .admin_fixtures import bearer, ui_sign_in

PROBLEM = "application/problem+json"
SUBJECT = "user:erase-me@example"
OTHER = "7d3c1f0e-8e1a-4c7b-9a53-1e2f3a4b5c6d"
ERASED_ENV = {"REMOTE_ADDR": "198.51.100.7"}
ERASED_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def two_subjects(
    client: FlaskClient, notice: dict[str, Any], recorder: dict[str, str]
) -> None:
    """SUBJECT decides twice from one network and browser; OTHER once from another.

    The site's backend records them (a recorder): SUBJECT is its own user id.
    """

    def post(
        subject: str, choices: dict[str, bool], env: dict[str, str], ua: str
    ) -> None:
        rv = client.post(
            "/v1/sites/default/consents",
            json={
                "subject": subject,
                "notice": notice["notice"],
                "choices": choices,
                "method": "api",
                "layer": "api",
            },
            headers={
                **recorder,
                "User-Agent": ua,
                "Origin": "https://shop.example",
                "Idempotency-Key": f"key-{subject[:5]}-{choices['persistent']}",
            },
            environ_base=env,
        )
        assert rv.status_code == 201, rv.json

    post(SUBJECT, {"persistent": True, "third_party": True}, ERASED_ENV, ERASED_UA)
    post(SUBJECT, {"persistent": False, "third_party": False}, ERASED_ENV, ERASED_UA)
    post(
        OTHER,
        {"persistent": True, "third_party": False},
        {"REMOTE_ADDR": "203.0.113.9"},
        "Mozilla/5.0 Chrome/120.0 Safari/537.36",
    )


def test_subject_history_is_portable_json(
    client: FlaskClient, auditor, two_subjects, notice
) -> None:
    rv = client.get(f"/v1/admin/subjects/{SUBJECT}", headers=auditor)
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    body = rv.json
    assert body["subject"] == SUBJECT
    assert [r["action"] for r in body["receipts"]] == ["grant", "withdraw"]
    assert all(r["subject"] == SUBJECT for r in body["receipts"])
    assert body["receipts"][0]["ip_prefix"] == "198.51.100.0/24"
    assert body["notices"][notice["notice"]]["categories"] == notice["categories"]
    assert body["exported_at"]


@pytest.mark.parametrize("subject", ["never-seen", "bad%20id", "x" * 200])
def test_unknown_subject_is_404(client: FlaskClient, admin, subject: str) -> None:
    for method in ("get", "delete"):
        rv = getattr(client, method)(f"/v1/admin/subjects/{subject}", headers=admin)
        assert rv.status_code == 404
        assert rv.mimetype == PROBLEM


def _everything(client: FlaskClient, headers: dict[str, str]) -> str:
    """All a staff member can read: search, export (both formats), audit log."""
    parts = [
        client.get("/v1/admin/receipts?limit=500", headers=headers).get_data(
            as_text=True
        ),
        client.get("/v1/admin/receipts/export?format=jsonl", headers=headers).get_data(
            as_text=True
        ),
        client.get("/v1/admin/receipts/export?format=csv", headers=headers).get_data(
            as_text=True
        ),
        client.get("/v1/admin/audit?limit=500", headers=headers).get_data(as_text=True),
    ]
    return "\n".join(parts)


def test_erasure_leaves_no_trace_of_the_subject(
    app: Flask, client: FlaskClient, admin, two_subjects
) -> None:
    # Look the subject up first, so the audit log names it.
    client.get(f"/v1/admin/subjects/{SUBJECT}", headers=admin)
    client.get(f"/v1/admin/receipts?subject={SUBJECT}", headers=admin)
    stats_before = client.get("/v1/admin/stats", headers=admin).json
    before = _everything(client, admin)
    assert SUBJECT in before and "198.51.100.0/24" in before and "Firefox 128" in before

    rv = client.delete(f"/v1/admin/subjects/{SUBJECT}", headers=admin)
    assert rv.status_code == 200, rv.json
    assert rv.json["receipts"] == 2
    assert rv.json["erased_by"] == "alice"
    assert SUBJECT not in rv.get_data(as_text=True)

    after = _everything(client, admin)
    for trace in (SUBJECT, "erase-me", "198.51.100.0/24", "Firefox 128", "key-user:"):
        assert trace not in after
    assert OTHER in after and "203.0.113.0/24" in after
    rv = client.get(f"/v1/admin/subjects/{SUBJECT}", headers=admin)
    assert rv.status_code == 404
    assert "erased on" in rv.json["detail"]
    assert SUBJECT not in client.get("/v1/admin/audit", headers=admin).get_data(
        as_text=True
    )
    assert (
        client.get(f"/v1/admin/receipts?subject={SUBJECT}", headers=admin).json["items"]
        == []
    )
    assert client.get(f"/v1/sites/default/consents/{SUBJECT}").status_code == 404
    # The decisions still count.
    assert client.get("/v1/admin/stats", headers=admin).json == stats_before
    with app.app_context():
        erasure = db.session.scalar(select(Erasure))
        assert erasure.receipts == 2 and SUBJECT not in erasure.subject_hash
        rows = list(db.session.scalars(select(Receipt).where(Receipt.token.is_(None))))
        assert len(rows) == 2
        assert len({r.subject for r in rows}) == 1 and rows[0].subject.startswith(
            "erased-"
        )
        assert all(
            r.ip_prefix is None
            and r.user_agent is None
            and r.origin is None
            and r.idempotency_hash is None
            for r in rows
        )
        logged = " ".join(
            e.path + e.query for e in db.session.scalars(select(AuditEntry))
        )
        assert SUBJECT not in logged
        reference = subject_reference(SUBJECT)
        assert f"/v1/admin/subjects/{reference}" in logged
        assert f"subject={reference}" in logged


# Every way to ask about a subject by its id, on both front-ends.
ASKING = [
    f"/v1/admin/subjects/{SUBJECT}",
    f"/v1/admin/receipts?subject={SUBJECT}",
    f"/v1/admin/receipts/export?subject={SUBJECT}&format=csv",
    f"/admin/subjects?subject={SUBJECT}",
    f"/admin/receipts?subject={SUBJECT}",
    f"/admin/export?subject={SUBJECT}&format=jsonl",
]


def _last_audit_entry(app: Flask) -> AuditEntry:
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
        db.session.expunge_all()
    assert entry is not None
    return entry


# The same subject spelled as staff might type or encode it (issue #10).
SPELLINGS = [
    SUBJECT,
    SUBJECT.replace(".", "%2E"),
    SUBJECT.replace("e", "%65"),
    SUBJECT.replace("@", "%40").replace(":", "%3A"),
]


def _reference(app: Flask, subject: str) -> str:
    with app.test_request_context():
        return subject_reference(subject)


@pytest.mark.parametrize("spelling", SPELLINGS, ids=["plain", "%2E", "%65", "%40"])
@pytest.mark.parametrize("path", [*ASKING, f"/admin/subjects/erase?subject={SUBJECT}"])
def test_asking_about_an_erased_subject_leaves_no_trace(
    app: Flask, client: FlaskClient, tokens, make_receipt, path: str, spelling: str
) -> None:
    make_receipt(subject=SUBJECT)
    admin = bearer(tokens["admin"])
    assert (
        client.delete(f"/v1/admin/subjects/{SUBJECT}", headers=admin).status_code == 200
    )
    ui_sign_in(client, tokens["admin"])
    client.get(path.replace(SUBJECT, spelling), headers=admin)
    entry = _last_audit_entry(app)
    logged = entry.path + "?" + entry.query
    for form in {SUBJECT, unquote(spelling), spelling, "erase-me", "example"}:
        assert form not in logged and form not in unquote(logged)
    assert _reference(app, SUBJECT) in logged


@pytest.mark.parametrize("path", ASKING)
def test_asking_about_a_subject_is_audited_by_its_keyed_hash(
    app: Flask, client: FlaskClient, tokens, make_receipt, path: str
) -> None:
    """An auditor can still tell whether a given subject was looked up."""
    make_receipt(subject=SUBJECT)
    ui_sign_in(client, tokens["auditor"])
    assert client.get(path, headers=bearer(tokens["auditor"])).status_code == 200
    entry = _last_audit_entry(app)
    logged = unquote(entry.path + "?" + entry.query)
    assert SUBJECT not in logged
    assert _reference(app, SUBJECT) in logged
    assert _reference(app, "someone-else") not in logged


def test_erasing_in_the_ui_leaves_no_trace(
    app: Flask, client: FlaskClient, tokens, make_receipt
) -> None:
    make_receipt(subject=SUBJECT)
    csrf = ui_sign_in(client, tokens["admin"])
    client.get(f"/admin/subjects?subject={SUBJECT}")
    rv = client.post(
        "/admin/subjects/erase", data={"csrf_token": csrf, "subject": SUBJECT}
    )
    assert rv.status_code == 302
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry)))
        assert db.session.scalar(select(Erasure.receipts)) == 1
    assert [(e.method, e.path, e.status) for e in entries][-2:] == [
        ("GET", "/admin/subjects", 200),
        ("POST", "/admin/subjects/erase", 302),
    ]
    assert all(SUBJECT not in unquote(e.path + "?" + e.query) for e in entries)


def test_erased_receipt_shows_why_it_cannot_be_verified(
    client: FlaskClient, admin, two_subjects
) -> None:
    ids = [
        r["id"]
        for r in client.get(f"/v1/admin/subjects/{SUBJECT}", headers=admin).json[
            "receipts"
        ]
    ]
    client.delete(f"/v1/admin/subjects/{SUBJECT}", headers=admin)
    body = client.get(f"/v1/admin/receipts/{ids[0]}", headers=admin).json
    assert body["receipt"]["erased"] is True
    assert body["receipt"]["token"] is None
    assert body["verification"]["reason"] == "erased"
    assert body["verification"]["notice_intact"] is True


def test_auditor_cannot_erase(
    app: Flask, client: FlaskClient, auditor, two_subjects
) -> None:
    rv = client.delete(f"/v1/admin/subjects/{SUBJECT}", headers=auditor)
    assert rv.status_code == 403
    assert rv.mimetype == PROBLEM
    assert (
        client.get(f"/v1/admin/subjects/{SUBJECT}", headers=auditor).status_code == 200
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0


def test_erasure_can_be_limited_to_one_site(
    client: FlaskClient, admin, make_receipt
) -> None:
    make_receipt(subject="shared-id")
    make_receipt(subject="shared-id", site="legacy")
    rv = client.delete("/v1/admin/subjects/shared-id?site=legacy", headers=admin)
    assert rv.status_code == 200 and rv.json["receipts"] == 1
    left = client.get("/v1/admin/subjects/shared-id", headers=admin).json["receipts"]
    assert [r["site"] for r in left] == ["default"]
    rv = client.delete("/v1/admin/subjects/shared-id?site=Bad!", headers=admin)
    assert rv.status_code == 422


def _purge(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(args=["consent", "purge", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_deletes_receipts_past_retention(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, admin, make_receipt
) -> None:
    now = datetime.now(UTC)
    old = [make_receipt(created_at=now - timedelta(days=1096 + i)) for i in range(3)]
    kept = [make_receipt(created_at=now - timedelta(days=1094)), make_receipt()]
    stats = f"/v1/admin/stats?since={(now - timedelta(days=1200)):%Y-%m-%d}"
    stats_before = client.get(stats, headers=admin).json

    out = _purge(runner, "--dry-run")
    assert "default: would delete 3 receipt(s) older than 1095 days" in out
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Receipt)) == 5

    out = _purge(runner)
    assert "default: deleted 3 receipt(s) older than 1095 days" in out
    with app.app_context():
        left = set(db.session.scalars(select(Receipt.id)))
    assert left == set(kept) and not left & set(old)
    assert "default: deleted 0 receipt(s)" in _purge(runner)
    # Counters hold no personal data and keep the history.
    assert client.get(stats, headers=admin).json == stats_before


def test_purge_follows_the_site_retention(tmp_path, app_config: dict[str, Any]) -> None:
    from consent_server import create_app
    from consent_server.default_site import DEFAULT_SITE

    site = json.loads(json.dumps(DEFAULT_SITE))
    site["retention_days"] = 30
    path = tmp_path / "sites.json"
    path.write_text(json.dumps({"sites": {"short": site}}))
    application = create_app({**app_config, "CONSENT_SITES_FILE": str(path)})
    with application.app_context():
        db.create_all()
    result = application.test_cli_runner().invoke(
        args=["consent", "purge", "--dry-run"]
    )
    assert "short: would delete 0 receipt(s) older than 30 days" in result.output
    assert "default: would delete 0 receipt(s) older than 1095 days" in result.output
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
