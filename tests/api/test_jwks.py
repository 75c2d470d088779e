"""GET /.well-known/jwks.json: the public keys anyone checks our JWS with."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from consent_server import create_app
from consent_server.signing_keys import parse_signing_keys

RETIRED = {
    "kty": "OKP",
    "crv": "Ed25519",
    "kid": "2025",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    "signed_from": "2025-01-01T00:00:00Z",
    "signed_until": "2025-12-31T23:59:59Z",
}


def test_the_jwks_lists_the_public_keys_newest_first(client: FlaskClient) -> None:
    rv = client.get("/.well-known/jwks.json")
    assert rv.status_code == 200
    assert rv.mimetype == "application/jwk-set+json"
    keys = rv.json["keys"]
    assert [k["kid"] for k in keys] == ["test-newest", "test-older"]
    for key in keys:
        assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}
        assert (key["kty"], key["crv"], key["use"], key["alg"]) == (
            "OKP",
            "Ed25519",
            "sig",
            "EdDSA",
        )
    # PyJWT reads it as a key set: nothing private, nothing unusual.
    assert len(jwt.PyJWKSet.from_dict(rv.json).keys) == 2


def test_the_jwks_is_cacheable(client: FlaskClient) -> None:
    rv = client.get("/.well-known/jwks.json")
    assert "public" in rv.headers["Cache-Control"]
    assert "max-age=3600" in rv.headers["Cache-Control"]


def test_retired_keys_stay_published(app_config: dict[str, Any]) -> None:
    retired_app = create_app(
        {**app_config, "CONSENT_RETIRED_SIGNING_KEYS": json.dumps([RETIRED])}
    )
    rv = retired_app.test_client().get("/.well-known/jwks.json")
    assert rv.status_code == 200
    retired = rv.json["keys"][-1]
    assert retired["kid"] == "2025"
    assert retired["signed_from"] == "2025-01-01T00:00:00Z"
    assert retired["signed_until"] == "2025-12-31T23:59:59Z"
    assert "d" not in retired


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_jwks_is_read_only(client: FlaskClient, method: str) -> None:
    rv = getattr(client, method)("/.well-known/jwks.json")
    assert rv.status_code == 405
    assert rv.mimetype == "application/problem+json"


def test_the_jwks_is_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/v1/openapi.json").json
    operation = spec["paths"]["/.well-known/jwks.json"]["get"]
    content = operation["responses"]["200"]["content"]
    assert "application/jwk-set+json" in content
    schema = spec["components"]["schemas"]["JWK"]
    assert {"kty", "crv", "x", "kid", "signed_until"} <= set(schema["properties"])


def test_the_cli_makes_a_key_the_settings_accept(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["consent", "new-signing-key", "--kid", "2027-01"])
    assert result.exit_code == 0, result.output
    [key] = parse_signing_keys(result.output.strip())
    assert key.kid == "2027-01"


def test_the_cli_names_the_keys_but_never_shows_them(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["consent", "keys"])
    assert result.exit_code == 0, result.output
    assert "test-newest, test-older" in result.output
    assert "AQAQ" not in result.output
