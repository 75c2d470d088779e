"""What visitors were shown, kept by hash: banner builds and policy texts (issue #9).

Staff fetch the exact bytes with GET /v1/admin/banner-builds/<hash> and
/v1/admin/policies/<sha256>; a decision names only a build the service served.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent_server import ConfigError, create_app
from consent_server.archives import wait_for_archiving
from consent_server.extensions import db
from consent_server.models import BannerBuild, PolicyText
from tests.api.helpers import Record, assert_problem, built_scripts, other_app
from tests.api.site_files import shop_site, write_sites

STATIC = Path(__file__).resolve().parents[2] / "static"
POLICY = "# Privacy policy\n\nWe keep consent receipts in the EU for three years.\n"


def served_build(client: FlaskClient) -> str:
    first_line = client.get("/v1/sites/default/banner.js").data.split(b"\n", 1)[0]
    config = json.loads(first_line.removeprefix(b"self.__consentSite=")[:-1])
    return str(config["banner_build"])


def eventually(app: Flask, model: Any, key: str) -> Any:
    """The row the background archive writes, once it is there (5 s at most)."""
    deadline = time.monotonic() + 5
    while True:
        with app.app_context():
            row = db.session.get(model, key)
            if row is not None:
                db.session.expunge(row)
            db.session.remove()
        if row is not None or time.monotonic() > deadline:
            return row
        time.sleep(0.05)


def test_a_served_build_is_archived_byte_for_byte(
    client: FlaskClient, app: Flask, auditor: dict[str, str]
) -> None:
    build = served_build(client)
    bundle = built_scripts()  # banner.js, then prefs.js
    assert build == hashlib.sha256(bundle).hexdigest()

    row = eventually(app, BannerBuild, build)

    assert row is not None and row.content.encode() == bundle
    rv = client.get(f"/v1/admin/banner-builds/{build}", headers=auditor)
    assert rv.status_code == 200
    assert rv.mimetype == "text/javascript"
    assert rv.data == bundle


def test_an_unknown_build_is_a_404_problem(
    client: FlaskClient, auditor: dict[str, str]
) -> None:
    for build in ("0" * 64, "not-a-hash"):
        rv = client.get(f"/v1/admin/banner-builds/{build}", headers=auditor)
        assert_problem(rv, 404, "not-found")


def test_builds_are_for_staff_only(client: FlaskClient) -> None:
    rv = client.get(f"/v1/admin/banner-builds/{served_build(client)}")
    assert_problem(rv, 401, "unauthorized")


def test_a_decision_on_an_unknown_build_is_a_422_problem(record: Record) -> None:
    rv = record(banner_build="ab" * 32, method="custom", layer="preferences")
    body = assert_problem(rv, 422, "validation-error")
    assert "banner_build" in body["errors"]


def test_an_older_build_stays_known_after_a_deploy(
    app_config: dict[str, Any],
    tmp_path: Path,
    client: FlaskClient,
    record: Record,
    auditor: dict[str, str],
) -> None:
    old = served_build(client)
    assert record(banner_build=old, layer="preferences").status_code == 201

    # The next deploy serves another bundle from another static folder.
    static = tmp_path / "static"
    shutil.copytree(STATIC, static)
    with (static / "banner.js").open("a", encoding="utf-8") as bundle:
        bundle.write("\n// next release\n")
    deployed = create_app(app_config)
    deployed.static_folder = str(static)
    deployed_client = deployed.test_client()
    new = served_build(deployed_client)
    notice = deployed_client.get("/v1/sites/default/notice").json["notice"]

    assert new != old
    for build in (old, new):
        rv = deployed_client.post(
            "/v1/sites/default/consents",
            json={
                "notice": notice,
                "choices": {"persistent": False, "third_party": False},
                "banner_build": build,
                "layer": "preferences",
            },
        )
        assert rv.status_code == 201, rv.json
    rv = deployed_client.get(f"/v1/admin/banner-builds/{old}", headers=auditor)
    assert rv.data == built_scripts()
    wait_for_archiving(deployed)
    with deployed.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def shop_with_policy(app_config: dict[str, Any], tmp_path: Path) -> Path:
    (tmp_path / "policy.md").write_text(POLICY, encoding="utf-8")
    site = shop_site(policy_file="policy.md")
    path = write_sites(tmp_path / "sites.toml", {"shop": site})
    app_config["CONSENT_SITES_FILE"] = str(path)
    return path


def test_the_notice_pins_the_policy_text(
    shop_with_policy: Path, client: FlaskClient
) -> None:
    notice = client.get("/v1/sites/shop/notice").json
    assert notice["policy_sha256"] == hashlib.sha256(POLICY.encode()).hexdigest()

    rv = client.get("/v1/sites/shop/policy")

    assert rv.status_code == 200
    assert rv.mimetype == "text/markdown"
    assert rv.get_data(as_text=True) == POLICY
    assert rv.headers["ETag"] == f'"{notice["policy_sha256"]}"'
    again = client.get(
        "/v1/sites/shop/policy", headers={"If-None-Match": rv.headers["ETag"]}
    )
    assert again.status_code == 304


def test_every_policy_text_served_stays_available_to_staff(
    shop_with_policy: Path,
    app_config: dict[str, Any],
    client: FlaskClient,
    app: Flask,
    auditor: dict[str, str],
) -> None:
    old = client.get("/v1/sites/shop/notice").json
    decided = client.post(
        "/v1/sites/shop/consents",
        json={"notice": old["notice"], "choices": {"analytics": False}},
    )
    assert decided.status_code == 201
    with app.app_context():  # stored with the decision, not only in the background
        assert db.session.get(PolicyText, old["policy_sha256"]) is not None
        db.session.remove()

    (shop_with_policy.parent / "policy.md").write_text(POLICY + "Changed.\n")
    with other_app(app_config, shop_with_policy) as changed:
        new = changed.test_client().get("/v1/sites/shop/notice").json
        assert changed.test_client().get("/v1/sites/shop/policy").status_code == 200
        assert eventually(changed, PolicyText, new["policy_sha256"]) is not None

    assert new["policy_sha256"] != old["policy_sha256"]
    assert new["notice"] != old["notice"]  # the notice hash pins the text too
    for notice, text in ((old, POLICY), (new, POLICY + "Changed.\n")):
        rv = client.get(
            f"/v1/admin/policies/{notice['policy_sha256']}", headers=auditor
        )
        assert rv.status_code == 200 and rv.mimetype == "text/markdown"
        assert rv.get_data(as_text=True) == text
    assert_problem(client.get(f"/v1/admin/policies/{'1' * 64}", headers=auditor), 404)


@pytest.fixture
def shop_without_policy(app_config: dict[str, Any], tmp_path: Path) -> Path:
    path = write_sites(tmp_path / "sites.toml", {"shop": shop_site()})
    app_config["CONSENT_SITES_FILE"] = str(path)
    return path


def test_a_site_without_a_policy_document_has_no_policy_route(
    shop_without_policy: Path, client: FlaskClient
) -> None:
    assert client.get("/v1/sites/shop/notice").json["policy_sha256"] is None
    assert_problem(client.get("/v1/sites/shop/policy"), 404, "not-found")


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "cannot be read"), (b"\xff\xfe not utf-8", "UTF-8")],
    ids=["missing", "not-utf8"],
)
def test_an_unreadable_policy_file_stops_start_up(
    app_config: dict[str, Any], tmp_path: Path, content: bytes | None, problem: str
) -> None:
    if content is not None:
        (tmp_path / "policy.txt").write_bytes(content)
    path = write_sites(
        tmp_path / "sites.toml", {"shop": shop_site(policy_file="policy.txt")}
    )
    with pytest.raises(ConfigError, match="policy_file") as raised:
        create_app({**app_config, "CONSENT_SITES_FILE": str(path)})
    assert "shop" in str(raised.value) and problem in str(raised.value)


def test_archived_rows_are_one_per_hash(
    client: FlaskClient, app: Flask, record: Record
) -> None:
    build = served_build(client)
    for _ in range(3):
        client.get("/v1/sites/default/banner.js")
        assert record(banner_build=build, layer="preferences").status_code == 201
    eventually(app, BannerBuild, build)
    with app.app_context():
        assert db.session.scalars(select(BannerBuild.hash)).all() == [build]
        db.session.remove()
