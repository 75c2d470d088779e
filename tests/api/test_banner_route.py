"""GET /v1/sites/<site>/banner.js and its source map: bodies, ETag/304, caching."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from consent_server.default_site import DEFAULT_SITE, EU_LANGUAGES
from tests.api.helpers import other_app

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_banner_js_has_site_config_then_the_built_bundle(
    app: Flask,
) -> None:
    rv = app.test_client().get("/v1/sites/default/banner.js")
    assert rv.status_code == 200
    assert rv.mimetype == "text/javascript"
    first, rest = rv.data.split(b"\n", 1)
    assert first.startswith(b"self.__consentSite=") and first.endswith(b";")
    config = json.loads(first[len(b"self.__consentSite=") : -1])
    assert config["site"] == "default"
    assert set(config["notices"]) == set(EU_LANGUAGES)
    assert rest == (STATIC / "banner.js").read_bytes()
    assert b"sourceMappingURL" not in rest
    # Devtools find the map through the header (relative to the script's URL).
    assert rv.headers["SourceMap"] == "banner.js.map"


def test_banner_js_is_etag_cacheable(app: Flask) -> None:
    client = app.test_client()
    rv = client.get("/v1/sites/default/banner.js")
    etag = rv.headers["ETag"]
    assert etag and "public" in rv.headers["Cache-Control"]
    again = client.get("/v1/sites/default/banner.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    stale = client.get(
        "/v1/sites/default/banner.js", headers={"If-None-Match": '"other"'}
    )
    assert stale.status_code == 200 and stale.data == rv.data


def test_banner_etag_changes_with_the_site_config(
    client: FlaskClient, app_config: dict[str, Any], tmp_path: Path
) -> None:
    site = {**copy.deepcopy(DEFAULT_SITE), "policy_version": "2026-02"}
    site_file = tmp_path / "sites.json"
    site_file.write_text(json.dumps({"sites": {"default": site}}), encoding="utf-8")
    before = client.get("/v1/sites/default/banner.js")
    with other_app(app_config, site_file) as edited:
        after = edited.test_client().get("/v1/sites/default/banner.js")
        after_304 = edited.test_client().get(
            "/v1/sites/default/banner.js",
            headers={"If-None-Match": before.headers["ETag"]},
        )
    assert before.headers["ETag"] != after.headers["ETag"]
    assert after_304.status_code == 200


def test_unknown_site_banner_is_a_problem(app: Flask) -> None:
    client = app.test_client()
    for path in ("/v1/sites/nope/banner.js", "/v1/sites/nope/banner.js.map"):
        rv = client.get(path)
        assert rv.status_code == 404
        assert rv.mimetype == "application/problem+json"


def _get_map(app: Flask) -> Any:
    return app.test_client().get("/v1/sites/default/banner.js.map")


def test_source_map_is_served_where_the_bundle_points(app: Flask) -> None:
    rv = _get_map(app)
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    served = rv.json
    built = json.loads((STATIC / "banner.js.map").read_text(encoding="utf-8"))
    # One empty line first: the inlined config line has no mappings.
    assert served["mappings"] == ";" + built["mappings"]
    assert {k: v for k, v in served.items() if k != "mappings"} == {
        k: v for k, v in built.items() if k != "mappings"
    }
    assert any(s.endswith("src/index.js") for s in served["sources"])
    assert served["sourcesContent"] and len(served["sourcesContent"]) == len(
        served["sources"]
    )


def test_source_map_lines_up_with_the_served_script(app: Flask) -> None:
    client = app.test_client()
    script = client.get("/v1/sites/default/banner.js").data.decode().split("\n")
    groups = _get_map(app).json["mappings"].split(";")
    # Line 0 (config) has no mappings; line 1 is the minified bundle, which is all
    # mapped.
    assert groups[0] == "" and groups[1]
    assert script[1].startswith("(()=>{") or script[1].startswith('"use strict"')
    assert len(groups) <= len(script)
    # The last mapped column on line 1 lies within that line.
    column, last = 0, 0
    for segment in groups[1].split(","):
        column += _vlq(segment)[0]
        last = max(last, column)
    assert 0 < last < len(script[1])


def test_source_map_is_etag_cacheable(app: Flask) -> None:
    client = app.test_client()
    rv = _get_map(app)
    assert rv.headers["ETag"] and "public" in rv.headers["Cache-Control"]
    again = client.get(
        "/v1/sites/default/banner.js.map", headers={"If-None-Match": rv.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _vlq(segment: str) -> list[int]:
    """Decode one base64 VLQ source-map segment."""
    values, shift, value = [], 0, 0
    for char in segment:
        digit = _B64.index(char)
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift, value = 0, 0
    return values
