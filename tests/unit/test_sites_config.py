"""Site files and deployment settings: validated at start-up, errors name the field."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from consent_server import create_app
from consent_server.config import ConfigError, dev_secret_key, from_env, load_sites
from consent_server.default_site import EU_LANGUAGES, default_site_texts
from tests.api.site_files import shop_site, to_toml, write_sites

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SITES = REPO / "examples" / "sites.toml"
KEY = "unit-test-key-0123456789abcdef"


def test_load_sites_without_a_file_is_the_default_site() -> None:
    sites = load_sites(None)
    assert list(sites) == ["default"]
    default = sites["default"]
    assert [(c["id"], c["required"]) for c in default["categories"]] == [
        ("session", True),
        ("persistent", False),
        ("third_party", False),
    ]
    assert default["languages"] == list(EU_LANGUAGES)
    assert len(default["languages"]) == 24
    assert default["gpc_categories"] == ["third_party"]
    assert default["controller"]["name"] == "IMAGINE by Trooper.AI"
    assert default["controller"]["email"] == "info@trooper.ai"
    assert default["storage_countries"] == ["FR", "NL", "DE"]
    assert default["validity_days"] == 180
    assert default["refusal_validity_days"] == 180
    assert default["reload_on_withdraw"] is True


def test_every_default_text_file_has_the_keys_of_english() -> None:
    texts = default_site_texts()
    assert "en" in texts

    def shape(data: dict[str, Any]) -> dict[str, Any]:
        return {k: shape(v) if isinstance(v, dict) else None for k, v in data.items()}

    for lang, data in texts.items():
        assert shape(data) == shape(texts["en"]), lang


def test_every_default_category_and_service_has_texts_in_each_file() -> None:
    default = load_sites(None)["default"]
    files = set(default_site_texts())
    assert set(default["texts"]) == files
    for category in default["categories"]:
        assert set(category["texts"]) == files, category["id"]
        for service in category["services"]:
            assert set(service["texts"]) == files, service["id"]


def test_default_site_names_no_us_analytics_or_advertising() -> None:
    default = load_sites(None)["default"]
    modes = {m for c in default["categories"] for m in c["consent_mode"]}
    services = [s for c in default["categories"] for s in c["services"]]
    modes |= {m for s in services for m in s["consent_mode"]}
    assert not modes & {"ad_storage", "ad_user_data", "ad_personalization"}
    assert services and all(s["country"] in {"FR", "DE"} for s in services)
    assert "google" not in json.dumps(default, default=str).lower()


def test_no_default_cookie_is_declared_for_more_than_13_months() -> None:
    default = load_sites(None)["default"]
    cookies = [k for c in default["categories"] for k in c["cookies"]]
    cookies += [
        k for c in default["categories"] for s in c["services"] for k in s["cookies"]
    ]
    assert cookies
    for cookie in cookies:
        assert cookie["duration"] is None, cookie
        assert cookie["session"] or cookie["max_age_days"] <= 395, cookie


def test_site_file_adds_sites_to_the_default(tmp_path: Path) -> None:
    path = write_sites(tmp_path / "sites.toml", {"shop": shop_site()})
    sites = load_sites(path)
    assert set(sites) == {"default", "shop"}
    assert sites["shop"]["languages"] == ["en", "de"]
    assert sites["shop"]["validity_days"] == 30


def test_site_file_may_replace_the_default_site(tmp_path: Path) -> None:
    path = write_sites(
        tmp_path / "sites.toml", {"default": shop_site(policy_version="9")}
    )
    assert load_sites(path)["default"]["policy_version"] == "9"


def test_example_site_file_loads() -> None:
    if not EXAMPLE_SITES.exists():
        pytest.skip("examples/sites.toml is not written yet")
    sites = load_sites(EXAMPLE_SITES)
    assert "default" in sites
    assert len(sites) >= 2


def _bad_category(**fields: Any) -> dict[str, Any]:
    return {
        "id": "extra",
        "texts": {"en": {"title": "T", "description": "D"}},
        **fields,
    }


def _shop_with_categories(*extra: dict[str, Any]) -> dict[str, Any]:
    return shop_site(categories=shop_site()["categories"] + list(extra))


BAD_SITES = [
    pytest.param("shop", shop_site(colour="red"), "colour", id="unknown-field"),
    pytest.param(
        "shop",
        {k: v for k, v in shop_site().items() if k != "controller"},
        "controller",
        id="missing-controller",
    ),
    pytest.param(
        "shop",
        _shop_with_categories(_bad_category(id="analytics")),
        "categories",
        id="duplicate-category-id",
    ),
    pytest.param(
        "shop",
        shop_site(gpc_categories=["necessary"]),
        "gpc_categories",
        id="gpc-required-category",
    ),
    pytest.param(
        "shop",
        shop_site(gpc_categories=["nope"]),
        "gpc_categories",
        id="gpc-unknown-category",
    ),
    pytest.param(
        "shop",
        shop_site(validity_days=30, refusal_validity_days=31),
        "refusal_validity_days",
        id="refusal-longer-than-validity",
    ),
    pytest.param("Bad Site!", shop_site(), "site id", id="bad-site-id"),
    pytest.param(
        "shop",
        _shop_with_categories(_bad_category(cookies=[{"pattern": "(["}])),
        "pattern",
        id="bad-cookie-regex",
    ),
    pytest.param(
        "shop", shop_site(validity_days="30"), "validity_days", id="string-number"
    ),
    pytest.param(
        "shop",
        shop_site(allowed_origins=["https://shop.example.com/path"]),
        "allowed_origins",
        id="origin-with-path",
    ),
    pytest.param(
        "shop",
        _shop_with_categories(_bad_category(required="yes")),
        "required",
        id="non-boolean-required",
    ),
]


@pytest.mark.parametrize(("site_id", "site", "field"), BAD_SITES)
def test_bad_site_file_names_file_site_and_field(
    tmp_path: Path, site_id: str, site: dict[str, Any], field: str
) -> None:
    path = write_sites(tmp_path / "sites.toml", {site_id: site})
    with pytest.raises(ConfigError) as info:
        load_sites(path)
    message = str(info.value)
    assert str(path) in message
    assert repr(site_id) in message
    assert field in message


def test_site_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text("[sites.shop\npolicy_version = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="TOML") as info:
        load_sites(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["", "title = 'no sites'\n", "sites = 3\n"],
    ids=["empty", "no-sites", "not-a-table"],
)
def test_site_file_without_sites_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[sites\.<id>\]"):
        load_sites(path)


def test_missing_site_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as info:
        load_sites(path)
    assert str(path) in str(info.value)


@pytest.fixture
def tmp_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point create_app's instance folder into tmp_path, away from the repository."""
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    for name in ("CONSENT_ENV", "CONSENT_SECRET_KEYS", "CONSENT_SITES_FILE"):
        monkeypatch.delenv(name, raising=False)
    return instance


def _config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CONSENT_SECRET_KEYS": [KEY],
    }
    config.update(overrides)
    return config


def test_create_app_with_a_bad_site_file_fails(
    tmp_path: Path, tmp_instance: Path
) -> None:
    path = write_sites(tmp_path / "sites.toml", {"shop": shop_site(colour="red")})
    with pytest.raises(ConfigError, match="colour"):
        create_app(_config(tmp_path, CONSENT_SITES_FILE=str(path)))


def test_create_app_reads_the_site_file_from_the_environment(
    tmp_path: Path, tmp_instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(to_toml({"shop": shop_site(colour="red")}), encoding="utf-8")
    monkeypatch.setenv("CONSENT_SITES_FILE", str(path))
    with pytest.raises(ConfigError, match="colour"):
        create_app(_config(tmp_path))


def test_production_without_secret_keys_fails(
    tmp_path: Path, tmp_instance: Path
) -> None:
    with pytest.raises(ConfigError, match="CONSENT_SECRET_KEYS"):
        create_app(_config(tmp_path, CONSENT_ENV="production", CONSENT_SECRET_KEYS=[]))
    assert not (tmp_instance / "dev-secret-key").exists()


def test_short_secret_key_is_refused(tmp_path: Path, tmp_instance: Path) -> None:
    with pytest.raises(ConfigError, match="16"):
        create_app(_config(tmp_path, CONSENT_SECRET_KEYS=[KEY, "short"]))


def test_development_without_keys_generates_one_in_the_instance_folder(
    tmp_path: Path,
    tmp_instance: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another test's logging.fileConfig (Alembic's env.py) may have disabled it.
    monkeypatch.setattr(logging.getLogger("consent_server"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="consent_server"):
        app = create_app(_config(tmp_path, CONSENT_SECRET_KEYS=[]))

    key_file = tmp_instance / "dev-secret-key"
    assert key_file.read_text(encoding="utf-8") == app.config["CONSENT_SECRET_KEYS"][0]
    assert len(app.config["CONSENT_SECRET_KEYS"][0]) >= 32
    assert (key_file.stat().st_mode & 0o777) == 0o600
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("DEVELOPMENT key" in r.getMessage() for r in warnings)


def test_generated_dev_key_is_reused(tmp_path: Path) -> None:
    first = dev_secret_key(str(tmp_path / "instance"))
    assert dev_secret_key(str(tmp_path / "instance")) == first


def test_secret_keys_from_a_comma_separated_string(
    tmp_path: Path, tmp_instance: Path
) -> None:
    other = "second-key-0123456789abcdef"
    app = create_app(_config(tmp_path, CONSENT_SECRET_KEYS=f" {KEY} , {other},"))
    assert app.config["CONSENT_SECRET_KEYS"] == [KEY, other]
    assert app.config["SECRET_KEY"] == KEY


def test_negative_proxy_count_is_refused(tmp_path: Path, tmp_instance: Path) -> None:
    with pytest.raises(ConfigError, match="CONSENT_PROXY_COUNT"):
        create_app(_config(tmp_path, CONSENT_PROXY_COUNT=-1))


def test_from_env_reads_the_consent_variables() -> None:
    config = from_env(
        {
            "CONSENT_ENV": "production",
            "CONSENT_DATABASE_URL": "postgresql+psycopg://db/consent",
            "CONSENT_SECRET_KEYS": "newest-key-0123456789, older-key-0123456789,",
            "CONSENT_SITES_FILE": "/etc/consent/sites.toml",
            "CONSENT_PROXY_COUNT": "2",
            "CONSENT_RATELIMIT_STORAGE_URL": "redis://cache:6379",
            "CONSENT_RATELIMIT_RECORD": "10 per minute",
            "CONSENT_RATELIMIT_ENABLED": "off",
            "HOME": "/root",
        }
    )
    assert config == {
        "CONSENT_ENV": "production",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/consent",
        "CONSENT_SECRET_KEYS": ["newest-key-0123456789", "older-key-0123456789"],
        "CONSENT_SITES_FILE": "/etc/consent/sites.toml",
        "CONSENT_PROXY_COUNT": 2,
        "RATELIMIT_STORAGE_URI": "redis://cache:6379",
        "CONSENT_RATELIMIT_RECORD": "10 per minute",
        "CONSENT_RATELIMIT_ENABLED": False,
    }


def test_from_env_skips_unset_and_empty_variables() -> None:
    assert from_env({"CONSENT_DATABASE_URL": "", "OTHER": "x"}) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("yes", True),
        ("0", False),
        ("False", False),
        ("no", False),
        (" OFF ", False),
    ],
)
def test_from_env_parses_the_rate_limit_switch(value: str, expected: bool) -> None:
    assert from_env({"CONSENT_RATELIMIT_ENABLED": value}) == {
        "CONSENT_RATELIMIT_ENABLED": expected
    }


def test_from_env_refuses_a_bad_number() -> None:
    with pytest.raises(ConfigError, match="CONSENT_PROXY_COUNT"):
        from_env({"CONSENT_PROXY_COUNT": "two"})


def test_environment_overrides_defaults_and_overrides_win(
    tmp_path: Path, tmp_instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSENT_RATELIMIT_RECORD", "7 per minute")
    monkeypatch.setenv("CONSENT_PROXY_COUNT", "1")
    app = create_app(_config(tmp_path, CONSENT_PROXY_COUNT=0))
    assert app.config["CONSENT_RATELIMIT_RECORD"] == "7 per minute"
    assert app.config["CONSENT_PROXY_COUNT"] == 0


@pytest.mark.parametrize("env", ["Production", "PRODUCTION", " production "])
def test_consent_env_is_read_case_insensitively(
    tmp_path: Path, tmp_instance: Path, env: str
) -> None:
    with pytest.raises(ConfigError, match="CONSENT_SECRET_KEYS"):
        create_app(_config(tmp_path, CONSENT_ENV=env, CONSENT_SECRET_KEYS=[]))


@pytest.mark.parametrize("env", ["prod", "staging", "", "live"])
def test_an_unknown_consent_env_stops_start_up(
    tmp_path: Path, tmp_instance: Path, env: str
) -> None:
    with pytest.raises(ConfigError, match="CONSENT_ENV"):
        create_app(_config(tmp_path, CONSENT_ENV=env))


@pytest.mark.parametrize(
    "key",
    ["a" * 40, "password1234567890", "abababababababababababab"],
    ids=["one-character", "a-word", "two-characters"],
)
def test_production_refuses_guessable_keys(
    tmp_path: Path, tmp_instance: Path, key: str
) -> None:
    strong = "Q2x7-kR9v_Lm3ZpT8cWb0yHnA5sEd1Ug"
    with pytest.raises(ConfigError, match=r"key\(s\) \[2\] look guessable"):
        create_app(
            _config(
                tmp_path, CONSENT_ENV="production", CONSENT_SECRET_KEYS=[strong, key]
            )
        )
    # Development lets a test key through.
    assert create_app(_config(tmp_path, CONSENT_SECRET_KEYS=[key]))


@pytest.mark.parametrize(
    "name", ["CONSENT_RATELIMIT_LOOKUP", "CONSENT_RATELIMIT_VERIFY"]
)
def test_a_bad_rate_limit_stops_start_up(
    tmp_path: Path, tmp_instance: Path, name: str
) -> None:
    with pytest.raises(ConfigError, match=name):
        create_app(_config(tmp_path, **{name: "lots per minute"}))
