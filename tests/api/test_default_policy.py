"""The built-in site's policy page: our summary, pinned like a file (issue #11)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from consent_server.default_site import default_site
from tests.api.helpers import other_app
from tests.api.site_files import shop_site, write_sites

POLICY = "/v1/sites/default/policy"
# The policy the summary is written from (outside the repository).
SOURCE_POLICY = Path("/work/shared/privacy-policy.txt")


def test_the_default_site_serves_its_policy_summary(client: FlaskClient) -> None:
    notice = client.get("/v1/sites/default/notice").json
    rv = client.get(POLICY)
    assert rv.status_code == 200
    assert rv.mimetype == "text/html"
    assert hashlib.sha256(rv.data).hexdigest() == notice["policy_sha256"]
    assert rv.headers["ETag"] == f'"{notice["policy_sha256"]}"'
    assert notice["links"]["policy"] == POLICY
    text = rv.get_data(as_text=True)
    for fact in ("IMAGINE by Trooper.AI", "info@trooper.ai", "France", "Germany"):
        assert fact in text
    # A static page: nothing runs, nothing is fetched.
    assert "<script" not in text
    assert "default-src 'none'" in rv.headers["Content-Security-Policy"]


def test_the_summary_is_not_the_policys_own_sentences(client: FlaskClient) -> None:
    if not SOURCE_POLICY.exists():
        pytest.skip("the policy text is not on this machine")
    policy = SOURCE_POLICY
    ours = client.get(POLICY).get_data(as_text=True)
    # No run of eight words in a row is taken from the policy.
    words = policy.read_text(encoding="utf-8").split()
    runs = {" ".join(words[i : i + 8]) for i in range(len(words) - 8)}
    flat = " ".join(ours.split())
    assert not [run for run in runs if run in flat]


def test_a_replaced_default_site_does_not_serve_our_summary(
    app_config: dict[str, Any], tmp_path: Path, client: FlaskClient
) -> None:
    path = write_sites(tmp_path / "sites.toml", {"default": shop_site()})
    with other_app(app_config, path) as replaced:
        rv = replaced.test_client().get(POLICY)
        assert rv.status_code == 404


def test_a_policy_file_replaces_the_summary(
    app_config: dict[str, Any], tmp_path: Path, client: FlaskClient
) -> None:
    (tmp_path / "policy.md").write_text("# Our policy\n", encoding="utf-8")
    site = json.loads(json.dumps(default_site())) | {"policy_file": "policy.md"}
    path = tmp_path / "sites.json"
    path.write_text(json.dumps({"sites": {"default": site}}), encoding="utf-8")
    with other_app(app_config, path) as configured:
        rv = configured.test_client().get(POLICY)
        assert rv.status_code == 200 and rv.mimetype == "text/markdown"
        assert rv.get_data(as_text=True) == "# Our policy\n"
