"""Fixtures and helpers for the tests of issue #9 ("Records that prove").

A second site (``shop``) with a GPC category and a category GPC leaves alone, subject
tokens signed by hand, recorder tokens, the public lookup, the raw stored rows.

A test module registers a fixture by importing its ``fixture_<name>`` function
(``# noqa: F401``); tests ask for it by ``<name>``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from consent_server.extensions import db
from tests.api.site_files import shop_site, write_sites
from tests.support import logging_kept

SHOP = "shop"
# Every optional category of the default site (and the services of its
# third-party category), each way.
ALL = {"persistent": True, "third_party": True, "analytics": True, "video": True}
SOME = {"persistent": True, "third_party": False, "analytics": False, "video": False}
NONE = {"persistent": False, "third_party": False, "analytics": False, "video": False}
# The fields a public lookup answers with (DESIGN.md, "Public HTTP contract").
DECISION_FIELDS = {
    "id",
    "site",
    "subject",
    "action",
    "method",
    "layer",
    "choices",
    "gpc",
    "previous",
    "policy_version",
    "notice",
    "language",
    "created_at",
    "expires_at",
}
BANNER_CONFIG_PREFIX = b"self.__consentSite="


def shop_with_gpc() -> dict[str, Any]:
    """A site whose GPC signal turns ``analytics`` off and leaves ``preferences``."""
    return shop_site(
        gpc_categories=["analytics"],
        categories=[
            {
                "id": "necessary",
                "required": True,
                "texts": {"en": {"title": "Necessary", "description": "Needed."}},
            },
            {
                "id": "analytics",
                "texts": {"en": {"title": "Analytics", "description": "Counting."}},
            },
            {
                "id": "preferences",
                "texts": {"en": {"title": "Preferences", "description": "Settings."}},
            },
        ],
    )


@pytest.fixture(name="shop_file")
def fixture_shop_file(app_config: dict[str, Any], tmp_path: Path) -> Path:
    """The default site plus ``shop``, for the whole module.

    Use it as ``pytestmark = pytest.mark.usefixtures("shop_file")``: marked fixtures
    are set up before the test's own arguments, so before ``app`` is built.
    """
    path = write_sites(tmp_path / "sites.toml", {SHOP: shop_with_gpc()})
    app_config["CONSENT_SITES_FILE"] = str(path)
    return path


def notice_hash(client: FlaskClient, site: str = "default") -> str:
    rv = client.get(f"/v1/sites/{site}/notice?lang=en")
    assert rv.status_code == 200, rv.json
    return str(rv.json["notice"])


def post_decision(
    client: FlaskClient,
    site: str,
    choices: dict[str, bool],
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    """POST a decision on ``site`` with the site's current English notice."""
    body = {"notice": notice_hash(client, site), "choices": choices, **fields}
    return client.post(f"/v1/sites/{site}/consents", json=body, headers=headers)


def lookup(
    client: FlaskClient, subject: str, site: str = "default", **query: str
) -> Any:
    """GET the public lookup; returns the response."""
    return client.get(f"/v1/sites/{site}/consents/{subject}", query_string=query)


def looked_up(client: FlaskClient, subject: str, site: str = "default") -> Any:
    """The public lookup's receipt, as anyone can read it."""
    rv = lookup(client, subject, site)
    assert rv.status_code == 200, rv.get_data(as_text=True)
    return rv.json["receipt"]


def tampered(token: str, **claims: Any) -> str:
    """``token`` with its payload changed and its signature kept."""
    payload, rest = token.split(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + rest


def current_build(client: FlaskClient, site: str = "default") -> str:
    """The ``banner_build`` of the bundle the service serves right now."""
    rv = client.get(f"/v1/sites/{site}/banner.js")
    assert rv.status_code == 200
    first = rv.data.split(b"\n", 1)[0]
    assert first.startswith(BANNER_CONFIG_PREFIX)
    return str(json.loads(first[len(BANNER_CONFIG_PREFIX) : -1])["banner_build"])


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def raw_rows(app: Flask, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` as stored, every column (no model in between)."""
    with app.app_context():
        rows = [
            dict(r._mapping) for r in db.session.execute(text(f"SELECT * FROM {table}"))
        ]
        db.session.remove()
    return rows


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_token(app: Flask, name: str, role: str, sites: list[str] | None) -> str:
    """Create a staff token the way ``flask consent token create`` does."""
    from consent_server.staff import create_token

    with app.app_context():
        _, token = create_token(name, role, sites)
        db.session.remove()
    return token


@pytest.fixture(name="recorder")
def fixture_recorder(app: Flask) -> dict[str, str]:
    """Headers of a recorder integration of the default site."""
    return bearer(make_token(app, "crm-sync", "recorder", ["default"]))


def unique_ipv4() -> str:
    """A client address no other test run uses (limits may live in Redis)."""
    n = uuid.uuid4().int
    return f"10.{n % 251 + 1}.{(n >> 8) % 251 + 1}.{(n >> 16) % 251 + 1}"


def unique_ipv6_prefix() -> str:
    """The first four groups of a /64 of its own, e.g. ``2001:db8:1a2b:3c4d``."""
    run = uuid.uuid4().hex
    return f"2001:db8:{run[:4]}:{run[4:8]}"


@pytest.fixture(name="keep_logging")
def fixture_keep_logging() -> Iterator[None]:
    """migrations/env.py runs logging.fileConfig, which disables every other logger."""
    with logging_kept():
        yield
