"""Production refuses to start while a controller is a placeholder, a site names no
policy or a third party names no country (issue #11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from consent_server import create_app
from consent_server.config import ConfigError
from tests.api.site_files import shop_site, write_sites
from tests.conftest import TEST_SIGNING_KEYS

STRONG_KEY = "Q2x7-kR9v_Lm3ZpT8cWb0yHnA5sEd1Ug"
REAL = {
    "name": "Shop Ltd",
    "contact": "Data protection officer, dpo@shop-ltd.eu",
    "address": "Hauptstraße 1, 10115 Berlin, Germany",
    "email": "privacy@shop-ltd.eu",
}
POLICY = "https://shop-ltd.eu/privacy"


def real_site(**overrides: Any) -> dict[str, Any]:
    """A site production accepts: its own controller and a policy."""
    return shop_site(**{"controller": REAL, "policy_url": POLICY, **overrides})


@pytest.fixture
def tmp_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point create_app's instance folder into tmp_path, away from the repository."""
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    for name in (
        "CONSENT_ENV",
        "CONSENT_SECRET_KEYS",
        "CONSENT_SIGNING_KEYS",
        "CONSENT_SITES_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    return instance


def _production(tmp_path: Path, sites: dict[str, dict[str, Any]] | None) -> Any:
    config: dict[str, Any] = {
        "TESTING": True,
        "CONSENT_ENV": "production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CONSENT_SECRET_KEYS": [STRONG_KEY],
        "CONSENT_SIGNING_KEYS": list(TEST_SIGNING_KEYS),
    }
    if sites is not None:
        config["CONSENT_SITES_FILE"] = str(write_sites(tmp_path / "sites.toml", sites))
    return create_app(config)


def test_production_starts_with_the_built_in_site(
    tmp_path: Path, tmp_instance: Path
) -> None:
    app = _production(tmp_path, None)
    site = app.extensions["consent_sites"]["default"]
    assert site.config["controller"]["name"] == "IMAGINE by Trooper.AI"


def test_production_starts_with_a_real_controller(
    tmp_path: Path, tmp_instance: Path
) -> None:
    assert _production(tmp_path, {"shop": real_site()})


@pytest.mark.parametrize(
    ("controller", "field"),
    [
        pytest.param({**REAL, "name": "Example Controller"}, "name", id="name"),
        pytest.param({**REAL, "name": "example shop"}, "name", id="name-lower"),
        pytest.param({**REAL, "name": "Your Company Ltd"}, "name", id="your-company"),
        pytest.param({**REAL, "name": "Company Name"}, "name", id="company-name"),
        pytest.param({**REAL, "name": "TODO"}, "name", id="todo"),
        pytest.param({**REAL, "email": "privacy@example.com"}, "email", id="dot-com"),
        pytest.param({**REAL, "email": "dpo@mail.example.org"}, "email", id="dot-org"),
        pytest.param({**REAL, "email": "privacy@shop.example"}, "email", id="tld"),
        pytest.param({**REAL, "contact": "dpo@example.net"}, "contact", id="contact"),
        pytest.param({**REAL, "contact": None}, "contact", id="no-contact"),
        pytest.param({**REAL, "contact": "  "}, "contact", id="blank-contact"),
        pytest.param(
            {**REAL, "address": "Example Street 1, 10115 Berlin"},
            "address",
            id="address",
        ),
    ],
)
def test_production_refuses_a_placeholder_controller(
    tmp_path: Path, tmp_instance: Path, controller: dict[str, Any], field: str
) -> None:
    sites = {
        "shop": real_site(),
        "blog": real_site(controller=controller),
    }
    with pytest.raises(ConfigError, match=rf"site 'blog': controller\.{field} "):
        _production(tmp_path, sites)


def test_production_refuses_a_site_without_a_policy(
    tmp_path: Path, tmp_instance: Path
) -> None:
    sites = {"shop": real_site(), "blog": real_site(policy_url=None)}
    with pytest.raises(ConfigError, match=r"site 'blog': names no privacy policy"):
        _production(tmp_path, sites)


def test_production_takes_a_policy_file_for_the_policy(
    tmp_path: Path, tmp_instance: Path
) -> None:
    (tmp_path / "privacy.md").write_text("# Privacy\n\nWhat we keep.\n")
    app = _production(
        tmp_path, {"shop": real_site(policy_url=None, policy_file="privacy.md")}
    )
    notice = app.extensions["consent_sites"]["shop"].notice("en")
    assert notice["links"]["policy"] == "/v1/sites/shop/policy"


def _with_third_party(party: dict[str, Any]) -> dict[str, Any]:
    site = real_site()
    site["categories"][1]["third_parties"] = [party]
    return site


def test_production_refuses_a_third_party_without_a_country(
    tmp_path: Path, tmp_instance: Path
) -> None:
    site = _with_third_party({"name": "Tracker Inc.", "url": "https://t.example/p"})
    with pytest.raises(
        ConfigError, match=r"site 'shop': third party 'Tracker Inc.' of 'analytics'"
    ):
        _production(tmp_path, {"shop": site})
    party = {"name": "Tracker Inc.", "url": "https://t.example/p", "country": "US"}
    assert _production(tmp_path, {"shop": _with_third_party(party)})


def test_development_lets_placeholders_through(
    tmp_path: Path, tmp_instance: Path
) -> None:
    placeholder = {"name": "Example Controller", "email": "privacy@example.com"}
    path = write_sites(tmp_path / "s.toml", {"shop": shop_site(controller=placeholder)})
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CONSENT_SECRET_KEYS": [STRONG_KEY],
            "CONSENT_SITES_FILE": str(path),
        }
    )
    assert "shop" in app.extensions["consent_sites"]
