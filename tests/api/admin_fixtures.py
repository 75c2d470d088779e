"""Fixtures for the staff tests: tokens, UI sign-in, and receipts built by hand."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_server.config import secret_keys
from consent_server.extensions import db
from consent_server.models import Notice, Receipt
from consent_server.signing import sign_token
from consent_server.sites import all_sites
from consent_server.staff import create_token
from consent_server.stats import rebuild_counters

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ui_csrf(client: FlaskClient, path: str) -> str:
    """The CSRF token in the form of a staff UI page."""
    match = _CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert match, f"no form on {path}"
    return match.group(1)


def ui_sign_in(client: FlaskClient, token: str) -> str:
    """Sign the client in to the staff UI; returns the new session's CSRF token."""
    rv = client.post(
        "/admin/sign-in",
        data={"csrf_token": ui_csrf(client, "/admin/sign-in"), "token": token},
    )
    assert rv.status_code == 302, rv.get_data(as_text=True)
    return ui_csrf(client, "/admin/stats")


@pytest.fixture
def tokens(app: Flask) -> dict[str, str]:
    with app.app_context():
        _, admin = create_token("alice", "admin")
        _, auditor = create_token("bob", "auditor")
        _, recorder = create_token("site-backend", "recorder", ["default"])
    return {"admin": admin, "auditor": auditor, "recorder": recorder}


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["admin"])


@pytest.fixture
def auditor(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["auditor"])


@pytest.fixture
def recorder(tokens: dict[str, str]) -> dict[str, str]:
    """A recorder integration of the default site: it names any subject id."""
    return bearer(tokens["recorder"])


@pytest.fixture
def make_receipt(app: Flask) -> Callable[..., str]:
    """Store a signed receipt with chosen fields (and count it); returns its id."""

    def _make(**fields: Any) -> str:
        with app.app_context():
            site = all_sites()["default"]
            notice = site.notices["en"]
            if db.session.get(Notice, notice["notice"]) is None:
                db.session.add(
                    Notice(
                        hash=notice["notice"],
                        site="default",
                        language="en",
                        policy_version=site.policy_version,
                        content=notice,
                    )
                )
            created = fields.pop("created_at", datetime.now(UTC))
            choices = fields.pop(
                "choices", {"session": True, "persistent": True, "third_party": False}
            )
            values: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "site": "default",
                "subject": str(uuid.uuid4()),
                "action": "grant",
                "method": "custom",
                "layer": "preferences",
                "policy_version": site.policy_version,
                "language": "en",
                "jurisdiction": "EU",
                "gpc": False,
                "expires_at": created + timedelta(days=365),
                "origin": "https://shop.example",
                "user_agent": "Firefox 128",
                "ip_prefix": "192.0.2.0/24",
            }
            values.update(fields)
            receipt = Receipt(
                **values,
                choices=choices,
                notice_hash=notice["notice"],
                created_at=created,
                token=sign_token(
                    secret_keys(),
                    receipt_id=values["id"],
                    site=values["site"],
                    subject=values["subject"],
                    choices=choices,
                    policy_version=values["policy_version"],
                    expires_at=values["expires_at"],
                ),
            )
            db.session.add(receipt)
            db.session.commit()
            # Backdated receipts arrive behind the counters' progress, as in a bulk
            # load: recount (real decisions are always newer than the progress).
            rebuild_counters()
            return str(values["id"])

    return _make


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ALL = {"session": True, "persistent": True, "third_party": True}
NONE = {"session": True, "persistent": False, "third_party": False}
PERSISTENT = {"session": True, "persistent": True, "third_party": False}
THIRD = {"session": True, "persistent": False, "third_party": True}


@pytest.fixture
def corpus(make_receipt: Callable[..., str]) -> dict[str, str]:
    """Six receipts covering every filter; name -> id."""
    return {
        "a1": make_receipt(
            subject="subject-a",
            created_at=at("2026-01-05T10:00:00"),
            action="grant",
            method="accept_all",
            choices=ALL,
        ),
        "a2": make_receipt(
            subject="subject-a",
            created_at=at("2026-01-10T12:00:00"),
            action="withdraw",
            method="reject_all",
            choices=NONE,
            gpc=True,
        ),
        "b1": make_receipt(
            subject="subject-b",
            created_at=at("2026-01-20T08:30:00"),
            action="grant",
            method="custom",
            choices=PERSISTENT,
            policy_version="2025-06",
        ),
        "b2": make_receipt(
            subject="subject-b",
            created_at=at("2026-01-31T23:59:59"),
            action="update",
            method="custom",
            choices=THIRD,
        ),
        "c1": make_receipt(
            subject="subject-c",
            created_at=at("2026-02-01T00:00:00"),
            action="grant",
            method="api",
            layer="api",
            choices=NONE,
            gpc=True,
        ),
        "l1": make_receipt(
            site="legacy",
            subject="subject-l",
            created_at=at("2026-01-15T09:00:00"),
            method="accept_all",
            choices=ALL,
        ),
    }
