"""GET /v1/sites/<site>/notice?part=first: a notice's first layer alone (issue #11).

A page whose ``lang`` picks another language than the one banner.js inlined fetches
that language's first layer here, the very object banner.js would have inlined for
it; the preferences still fetch the whole notice.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_server.notice_delivery import IMMUTABLE

PREFIX = b"self.__consentSite="


def _inlined(client: FlaskClient, lang: str) -> dict[str, Any]:
    """The config banner.js inlines for a page naming ``lang``."""
    body = client.get(f"/v1/sites/default/banner.js?lang={lang}").data
    first = body.split(b"\n", 1)[0]
    assert first.startswith(PREFIX) and first.endswith(b";")
    config: dict[str, Any] = json.loads(first[len(PREFIX) : -1])
    return config


@pytest.mark.parametrize("lang", ["de", "fr", "pl"])
def test_the_first_layer_is_what_banner_js_inlines_for_that_language(
    app: Flask, lang: str
) -> None:
    client = app.test_client()
    config = _inlined(client, lang)
    url = f"/v1/sites/default/notice?lang={lang}&v={config['notices_version']}"
    first = client.get(url + "&part=first")
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert first.json == config["notices"][lang]
    whole = client.get(url).json
    # Its hash is the whole notice's, which a receipt names; the whole one is larger.
    assert first.json["notice"] == whole["notice"]
    assert first.json["language"] == whole["language"] == lang
    assert len(first.data) < len(client.get(url).data) / 2
    assert "rightsTitle" in whole["texts"] and "rightsTitle" not in first.json["texts"]


def test_a_regional_tag_gets_its_languages_first_layer(app: Flask) -> None:
    client = app.test_client()
    rv = client.get("/v1/sites/default/notice?lang=de-AT&part=first")
    assert rv.json == _inlined(client, "de")["notices"]["de"]


def test_the_first_layer_is_cached_for_good_with_its_own_etag(app: Flask) -> None:
    client = app.test_client()
    version = _inlined(client, "fr")["notices_version"]
    url = f"/v1/sites/default/notice?lang=fr&v={version}&part=first"
    rv = client.get(url)
    assert rv.headers["Cache-Control"] == IMMUTABLE
    assert rv.headers["ETag"] == f'"{hashlib.sha256(rv.data).hexdigest()[:32]}"'
    whole = client.get(url.removesuffix("&part=first"))
    assert whole.headers["ETag"] != rv.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": rv.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == IMMUTABLE
    # The whole notice's ETag does not validate the first layer, nor the other way.
    crossed = client.get(url, headers={"If-None-Match": whole.headers["ETag"]})
    assert crossed.status_code == 200 and crossed.data == rv.data
    # Without the current version the answer may change: a short lifetime.
    short = client.get("/v1/sites/default/notice?lang=fr&part=first")
    assert short.json == rv.json and "immutable" not in short.headers["Cache-Control"]


@pytest.mark.parametrize("part", ["whole", "", "FIRST", "first,whole", "<x>"])
def test_any_other_part_is_a_422_problem(app: Flask, part: str) -> None:
    rv = app.test_client().get(
        "/v1/sites/default/notice", query_string={"lang": "de", "part": part}
    )
    assert rv.status_code == 422
    assert rv.mimetype == "application/problem+json"
    assert "part" in rv.json["errors"]


def test_the_openapi_document_names_the_part_argument(app: Flask) -> None:
    spec = app.test_client().get("/v1/openapi.json").json
    (path,) = [p for p in spec["paths"] if p.endswith("/{site}/notice")]
    params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
    assert params["part"]["in"] == "query"
    assert params["part"]["schema"]["enum"] == ["first"]
