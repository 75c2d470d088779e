"""A site whose policy moves on: version 1, then version 2 on the same database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import other_app
from tests.api.site_files import shop_site, write_sites


@pytest.fixture
def shop_v1(app_config: dict[str, Any], tmp_path: Path) -> Path:
    path = write_sites(tmp_path / "v1.toml", {"shop": shop_site(policy_version="1")})
    app_config["CONSENT_SITES_FILE"] = str(path)
    return path


@pytest.fixture
def shop_v2(
    app_config: dict[str, Any], tmp_path: Path, shop_v1: Path
) -> Iterator[Flask]:
    """The same site and database after the policy moved on to version 2."""
    path = write_sites(tmp_path / "v2.toml", {"shop": shop_site(policy_version="2")})
    with other_app(app_config, path) as app:
        yield app


def record_on_shop(client: FlaskClient, subject: str) -> Any:
    notice = client.get("/v1/sites/shop/notice").json["notice"]
    rv = client.post(
        "/v1/sites/shop/consents",
        json={"subject": subject, "notice": notice, "choices": {"analytics": True}},
    )
    assert rv.status_code == 201
    return rv
