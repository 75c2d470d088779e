"""Signing key settings: format, rotation, retired keys, development and production."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from consent_server import ConfigError, create_app
from consent_server.signing_keys import (
    SigningKeyError,
    current_signing_keys,
    load_signing_keys,
    new_key_entry,
    parse_retired_keys,
    parse_signing_keys,
)

SEED = "AQ" * 21 + "A"
SECRET = "a-secret-key-0123456789abcdef-XYZ"
RETIRED = {
    "kty": "OKP",
    "crv": "Ed25519",
    "kid": "2025",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    "signed_from": "2025-01-01T00:00:00Z",
    "signed_until": "2025-12-31T23:59:59Z",
}


@pytest.fixture
def tmp_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point create_app's instance folder into tmp_path, away from the repository."""
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    for name in ("CONSENT_ENV", "CONSENT_SIGNING_KEYS", "CONSENT_RETIRED_SIGNING_KEYS"):
        monkeypatch.delenv(name, raising=False)
    return instance


def _config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CONSENT_SECRET_KEYS": [SECRET],
    }
    config.update(overrides)
    return config


def test_keys_are_read_newest_first() -> None:
    keys = parse_signing_keys(f" new:{SEED} , old:{'Ag' * 21}A ,")
    assert [k.kid for k in keys] == ["new", "old"]
    assert keys[0].public_x != keys[1].public_x


def test_a_new_entry_is_a_valid_key() -> None:
    [key] = parse_signing_keys(new_key_entry("fresh"))
    assert key.kid == "fresh"
    assert parse_signing_keys(new_key_entry())[0].kid != "fresh"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (SEED, "kid:seed"),
        (f"bad kid:{SEED}", "kid:seed"),
        ("k:short", "32 bytes"),
        ("k:" + "A" * 44, "32 bytes"),
        ("k:%%%%", "32 bytes"),
        (f"k:{SEED},k2:nope", "entry 2"),
    ],
)
def test_a_bad_key_entry_is_a_clear_error(value: str, message: str) -> None:
    with pytest.raises(SigningKeyError, match=message) as info:
        parse_signing_keys(value)
    assert SEED not in str(info.value)


def test_retired_keys_are_published_with_the_period_they_signed() -> None:
    keys = load_signing_keys(
        f"now:{SEED}", json.dumps([RETIRED]), "production", "/nonexistent"
    )
    published = keys.jwks()["keys"]
    assert [k["kid"] for k in published] == ["now", "2025"]
    assert published[1] == {
        **RETIRED,
        "use": "sig",
        "alg": "EdDSA",
        "signed_until": "2025-12-31T23:59:59Z",
    }
    assert "signed_from" not in published[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x": "short"}, "'x'"),
        ({"kid": None}, "'kid'"),
        ({"crv": "P-256"}, "Ed25519"),
        ({"d": SEED}, "private"),
        ({"signed_until": "yesterday"}, "signed_until"),
        ({"signed_from": "2025-01-01T00:00:00"}, "time zone"),
        ({"signed_until": "2024-01-01T00:00:00Z"}, "before"),
    ],
)
def test_a_bad_retired_key_is_a_clear_error(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(SigningKeyError, match=message):
        parse_retired_keys(json.dumps([{**RETIRED, **change}]))


@pytest.mark.parametrize("value", ["{", '{"kid": "x"}', "[1]"])
def test_retired_keys_must_be_a_json_list_of_keys(value: str) -> None:
    with pytest.raises(SigningKeyError, match="CONSENT_RETIRED_SIGNING_KEYS"):
        parse_retired_keys(value)


def test_a_kid_used_twice_is_refused() -> None:
    with pytest.raises(SigningKeyError, match="2025"):
        load_signing_keys(f"2025:{SEED}", [RETIRED], "development", "/nonexistent")


def test_production_without_signing_keys_does_not_start(
    tmp_path: Path, tmp_instance: Path
) -> None:
    with pytest.raises(ConfigError, match="CONSENT_SIGNING_KEYS"):
        create_app(_config(tmp_path, CONSENT_ENV="production"))
    assert not (tmp_instance / "dev-signing-key").exists()


def test_production_with_signing_keys_starts(
    tmp_path: Path, tmp_instance: Path
) -> None:
    app = create_app(
        _config(tmp_path, CONSENT_ENV="production", CONSENT_SIGNING_KEYS=f"k1:{SEED}")
    )
    with app.app_context():
        assert current_signing_keys().signing_key.kid == "k1"


def test_a_bad_signing_key_setting_stops_start_up(
    tmp_path: Path, tmp_instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSENT_SIGNING_KEYS", "k1:not-a-seed")
    with pytest.raises(ConfigError, match="CONSENT_SIGNING_KEYS entry 1"):
        create_app(_config(tmp_path))


def test_retired_keys_come_from_the_environment(
    tmp_path: Path, tmp_instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSENT_SIGNING_KEYS", f"k1:{SEED}")
    monkeypatch.setenv("CONSENT_RETIRED_SIGNING_KEYS", json.dumps([RETIRED]))
    app = create_app(_config(tmp_path))
    with app.app_context():
        assert [k.kid for k in current_signing_keys().retired] == ["2025"]


def test_development_without_signing_keys_generates_one_loudly(
    tmp_path: Path,
    tmp_instance: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another test's logging.fileConfig (Alembic's env.py) may have disabled it.
    monkeypatch.setattr(logging.getLogger("consent_server"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="consent_server"):
        app = create_app(_config(tmp_path))
    key_file = tmp_instance / "dev-signing-key"
    assert (key_file.stat().st_mode & 0o777) == 0o600
    [from_file] = parse_signing_keys(key_file.read_text(encoding="utf-8"))
    with app.app_context():
        assert current_signing_keys().signing_key.public_x == from_file.public_x
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("DEVELOPMENT signing key" in w for w in warnings)

    again = create_app(_config(tmp_path))
    with again.app_context():
        assert current_signing_keys().signing_key.public_x == from_file.public_x
