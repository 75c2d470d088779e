"""GET /v1/sites/<site>/notice, CORS per site, security headers on every response."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from consent_server.default_site import default_site_texts
from consent_server.security import CORS_BLUEPRINTS, cors_resources
from consent_server.sites import notice_hash
from tests.api.helpers import assert_problem
from tests.api.site_files import (
    BLOG_ORIGIN,
    SHOP_ORIGIN,
    blog_site,
    shop_site,
    write_sites,
)

TITLES = {
    lang: texts.get(lang, texts["en"])["categories"]["session"]["title"]
    for texts in [default_site_texts()]
    for lang in ("en", "de", "fr", "nl")
}


@pytest.fixture
def sites_file(tmp_path: Path, app_config: dict[str, Any]) -> Path:
    """Two sites with their own origins; the default site has none."""
    path = write_sites(
        tmp_path / "sites.toml", {"shop": shop_site(), "blog": blog_site()}
    )
    app_config["CONSENT_SITES_FILE"] = str(path)
    return path


@pytest.fixture
def sites_client(sites_file: Path, client: FlaskClient) -> FlaskClient:
    """A client of an app built after ``sites_file`` is in its config."""
    return client


@pytest.mark.parametrize("lang", ["en", "de", "fr", "nl"])
def test_notice_is_served_in_each_language(client: FlaskClient, lang: str) -> None:
    rv = client.get(f"/v1/sites/default/notice?lang={lang}")
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    body = rv.json
    assert body["site"] == "default"
    assert body["language"] == lang
    assert body["policy_version"] == "2026-01"
    assert len(body["notice"]) == 64
    assert [c["id"] for c in body["categories"]] == [
        "session",
        "persistent",
        "third_party",
    ]
    assert [c["required"] for c in body["categories"]] == [True, False, False]
    assert body["categories"][0]["title"] == TITLES[lang]


def test_notice_hash_differs_per_language(client: FlaskClient) -> None:
    hashes = {
        client.get(f"/v1/sites/default/notice?lang={lang}").json["notice"]
        for lang in TITLES
    }
    assert len(hashes) == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?lang=de-AT", "de"),
        ("?lang=fr-CA", "fr"),
        ("?lang=pt-BR", "pt"),
        ("?lang=ja", "en"),
        ("", "en"),
    ],
)
def test_notice_language_falls_back(
    client: FlaskClient, query: str, expected: str
) -> None:
    rv = client.get(f"/v1/sites/default/notice{query}")
    assert rv.status_code == 200
    assert rv.json["language"] == expected


def test_notice_of_a_configured_site(sites_client: FlaskClient) -> None:
    rv = sites_client.get("/v1/sites/shop/notice?lang=de")
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert rv.json["site"] == "shop"
    assert [c["title"] for c in rv.json["categories"]] == ["Necessary", "Statistik"]
    assert rv.json["controller"]["name"] == "Shop Ltd"


def test_unknown_site_is_a_404_problem(client: FlaskClient) -> None:
    rv = client.get("/v1/sites/nope/notice")
    body = assert_problem(rv, 404, "unknown-site")
    assert "nope" in body["detail"]


@pytest.mark.parametrize("lang", ["english!", "1", "de_DE", "x" * 40])
def test_bad_lang_is_a_422_problem(client: FlaskClient, lang: str) -> None:
    rv = client.get("/v1/sites/default/notice", query_string={"lang": lang})
    body = assert_problem(rv, 422)
    assert "lang" in body["errors"]


@pytest.mark.parametrize(
    ("path", "origin"),
    [
        ("/v1/sites/shop/notice", SHOP_ORIGIN),
        ("/v1/sites/blog/notice", BLOG_ORIGIN),
        ("/v1/sites/shop/banner.js", SHOP_ORIGIN),
    ],
)
def test_cors_allows_a_sites_own_origin(
    sites_client: FlaskClient, path: str, origin: str
) -> None:
    rv = sites_client.get(path, headers={"Origin": origin})
    assert rv.status_code == 200
    assert rv.headers["Access-Control-Allow-Origin"] == origin
    assert "Access-Control-Allow-Credentials" not in rv.headers


@pytest.mark.parametrize(
    ("path", "origin"),
    [
        ("/v1/sites/shop/notice", "https://evil.example"),
        ("/v1/sites/shop/notice", BLOG_ORIGIN),
        ("/v1/sites/blog/notice", SHOP_ORIGIN),
        ("/v1/sites/shop/notice", "https://shop.example.com.evil.example"),
        ("/v1/sites/shop/notice", "http://shop.example.com"),
        ("/v1/sites/default/notice", SHOP_ORIGIN),
        ("/v1/receipts/verify", SHOP_ORIGIN),
    ],
    ids=[
        "stranger",
        "other-site",
        "other-site-reverse",
        "suffix",
        "http",
        "default",
        "verify",
    ],
)
def test_cors_refuses_other_origins(
    sites_client: FlaskClient, path: str, origin: str
) -> None:
    rv = sites_client.get(path, headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in rv.headers


def test_cors_preflight_for_recording_a_decision(sites_client: FlaskClient) -> None:
    rv = sites_client.options(
        "/v1/sites/shop/consents",
        headers={
            "Origin": SHOP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert rv.status_code == 200
    assert rv.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert "POST" in rv.headers["Access-Control-Allow-Methods"]
    allowed = rv.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed
    assert "idempotency-key" in allowed


def test_cors_preflight_from_another_sites_origin_is_not_allowed(
    sites_client: FlaskClient,
) -> None:
    rv = sites_client.options(
        "/v1/sites/shop/consents",
        headers={"Origin": BLOG_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in rv.headers


def test_cors_on_a_recorded_decision(sites_client: FlaskClient) -> None:
    notice = sites_client.get("/v1/sites/shop/notice").json["notice"]
    rv = sites_client.post(
        "/v1/sites/shop/consents",
        json={"notice": notice, "choices": {"analytics": False}},
        headers={"Origin": SHOP_ORIGIN},
    )
    assert rv.status_code == 201
    assert rv.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN


def test_cors_on_problems_from_a_sites_routes(sites_client: FlaskClient) -> None:
    """The banner reads a problem's body too: errors carry CORS headers."""
    missing = sites_client.get(
        f"/v1/sites/shop/consents/{'0' * 36}", headers={"Origin": SHOP_ORIGIN}
    )
    refused = sites_client.post(
        "/v1/sites/shop/consents", json={"choices": []}, headers={"Origin": SHOP_ORIGIN}
    )
    assert [missing.status_code, refused.status_code] == [404, 422]
    for rv in (missing, refused):
        assert rv.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN


def test_every_route_cors_can_match_is_in_a_cors_blueprint(
    sites_client: FlaskClient,
) -> None:
    """CORS runs only for ``CORS_BLUEPRINTS``: a route added elsewhere that a
    site's pattern matches would silently lose its CORS headers."""
    app = sites_client.application
    patterns = [re.compile(p) for p in cors_resources(app.extensions["consent_sites"])]
    assert patterns
    matched = set()
    for rule in app.url_map.iter_rules():
        example = re.sub(r"<(?:[^:>]+:)?site>", "shop", rule.rule)
        example = re.sub(r"<[^>]+>", "x", example)
        if any(p.match(example) for p in patterns):
            matched.add(rule.endpoint.split(".")[0])
    assert matched and matched <= set(CORS_BLUEPRINTS)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize(
    ("method", "path", "status", "mimetype"),
    [
        ("GET", "/v1/sites/default/notice", 200, "application/json"),
        ("GET", "/v1/sites/default/banner.js", 200, "text/javascript"),
        ("GET", "/v1/openapi.json", 200, "application/json"),
        ("GET", "/healthz", 200, "application/json"),
        ("GET", "/v1/sites/nope/notice", 404, "application/problem+json"),
        ("GET", "/no/such/route", 404, "application/problem+json"),
        ("DELETE", "/v1/sites/default/notice", 405, "application/problem+json"),
        ("POST", "/v1/receipts/verify", 415, "application/problem+json"),
    ],
)
def test_security_headers_on_every_response(
    client: FlaskClient, method: str, path: str, status: int, mimetype: str
) -> None:
    rv = client.open(path, method=method)
    assert rv.status_code == status
    assert rv.mimetype == mimetype
    for name, value in SECURITY_HEADERS.items():
        assert rv.headers.get(name) == value, name
    assert "default-src 'none'" in rv.headers["Content-Security-Policy"]
    assert rv.headers.get_all("X-Content-Type-Options") == ["nosniff"]


def test_banner_is_cacheable_with_an_etag(client: FlaskClient) -> None:
    rv = client.get("/v1/sites/default/banner.js")
    assert rv.status_code == 200
    assert rv.mimetype == "text/javascript"
    assert rv.headers["ETag"]
    assert rv.data.startswith(b"self.__consentSite=")
    again = client.get(
        "/v1/sites/default/banner.js", headers={"If-None-Match": rv.headers["ETag"]}
    )
    assert again.status_code == 304


def test_notice_serves_the_issue_11_fields_and_its_hash_covers_them(
    client: FlaskClient,
) -> None:
    body = client.get("/v1/sites/default/notice?lang=fr").json
    assert body["links"] == {
        "policy": "/v1/sites/default/policy",
        "declaration": "/v1/sites/default/cookies",
    }
    assert body["countries"] == {"DE": "Allemagne", "FR": "France", "NL": "Pays-Bas"}
    assert body["kept"] == {"consent": "6\u00a0mois", "refusal": "6\u00a0mois"}
    assert body["reload_on_withdraw"] is True
    services = body["categories"][2]["services"]
    assert [(s["id"], s["eu"]) for s in services] == [
        ("analytics", True),
        ("video", True),
    ]
    own = {c["name"] for c in body["categories"][0]["cookies"]}
    assert {"consent", "consent_q", "consent:token:default"} <= own
    # Nothing the hash covers is dropped on the way out.
    assert notice_hash(body) == body["notice"]
