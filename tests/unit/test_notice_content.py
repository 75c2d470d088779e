"""What a notice says (issue #11): links, countries, durations, own storage."""

from __future__ import annotations

from typing import Any

import pytest

from consent_server.config import load_sites
from consent_server.default_site import EU_LANGUAGES
from consent_server.locale_names import country_names, format_days, is_eea
from consent_server.sites import Site, build_sites
from tests.api.site_files import shop_site


@pytest.fixture(scope="module")
def site() -> Site:
    return build_sites(load_sites(None))["default"]


def _all_cookies(notice: dict[str, Any]) -> list[dict[str, Any]]:
    cookies = [k for c in notice["categories"] for k in c["cookies"]]
    services = [s for c in notice["categories"] for s in c["services"]]
    return cookies + [k for s in services for k in s["cookies"]]


@pytest.mark.parametrize(
    ("days", "lang", "words"),
    [
        (180, "en", "6 months"),
        (180, "de", "6 Monate"),
        (395, "fr", "13\u00a0mois"),
        (365, "pl", "1 rok"),
        (730, "en", "2 years"),
        (1, "it", "1 giorno"),
        (45, "en", "45 days"),
        (30, "nl", "1 maand"),
        (180, "mt", "6 xhur"),
        (395, "mt", "13-il xahar"),
    ],
)
def test_days_are_said_in_the_readers_language(
    days: int, lang: str, words: str
) -> None:
    assert format_days(days, lang) == words


def test_every_eu_language_has_country_names_and_durations() -> None:
    for lang in EU_LANGUAGES:
        names = country_names({"FR", "NL", "DE"}, lang)
        assert set(names) == {"FR", "NL", "DE"}
        assert all(name and name not in {"FR", "NL", "DE"} for name in names.values())
        # CLDR's long unit names: more than a number and an abbreviation.
        assert len(format_days(180, lang)) > len("6 m"), lang


def test_no_eu_language_names_a_storage_country_in_english() -> None:
    # CLDR's Maltese keeps "Netherlands" (issue #11): the notice overrides it.
    for lang in set(EU_LANGUAGES) - {"en"}:
        assert "Netherlands" not in country_names({"NL"}, lang)["NL"], lang
    assert country_names({"NL"}, "mt") == {"NL": "il-Pajjiżi l-Baxxi"}


def test_eea_membership() -> None:
    assert is_eea("DE") and is_eea("no") and is_eea("IS")
    assert not is_eea("US") and not is_eea("GB") and not is_eea("CH")


def test_links_point_at_the_policy_and_the_declaration(site: Site) -> None:
    assert site.notice("en")["links"] == {
        "policy": "/v1/sites/default/policy",
        "declaration": "/v1/sites/default/cookies",
    }
    configured = Site(
        "shop",
        load_sites(None)["default"] | {"policy_url": "https://shop.example.com/p"},
    )
    assert configured.notice("en")["links"]["policy"] == "https://shop.example.com/p"


def test_a_site_without_a_policy_has_no_policy_link() -> None:
    # A link to the policy route would be a 404 there; production refuses such a site.
    bare = Site("shop", load_sites(None)["default"] | {"policy_document": None})
    assert bare.notice("en")["links"] == {"declaration": "/v1/sites/shop/cookies"}


def test_third_parties_show_their_country_and_whether_it_is_in_the_eea() -> None:
    config = load_sites(None)["default"]
    categories = [dict(c) for c in config["categories"]]
    categories[1] = categories[1] | {
        "third_parties": [
            {"name": "Tracker Inc.", "url": "https://t.example/p", "country": "US"},
            {"name": "Mesure SAS", "url": None, "country": "FR"},
            {"name": "Unnamed place", "url": None, "country": None},
        ]
    }
    notice = Site("shop", config | {"categories": categories}).notice("de")
    parties = notice["categories"][1]["third_parties"]
    assert [(p["name"], p["country"], p["eu"]) for p in parties] == [
        ("Tracker Inc.", "US", False),
        ("Mesure SAS", "FR", True),
        ("Unnamed place", None, None),
    ]
    assert notice["countries"]["US"] == "Vereinigte Staaten"


def test_countries_name_every_country_the_notice_mentions(site: Site) -> None:
    notice = site.notice("de")
    assert notice["countries"] == {
        "DE": "Deutschland",
        "FR": "Frankreich",
        "NL": "Niederlande",
    }
    mentioned = set(notice["storage_countries"])
    mentioned |= {k["country"] for k in _all_cookies(notice) if k["country"]}
    mentioned |= {s["country"] for c in notice["categories"] for s in c["services"]}
    assert set(notice["countries"]) == mentioned


def test_kept_says_the_validities_in_words(site: Site) -> None:
    assert site.notice("en")["kept"] == {"consent": "6 months", "refusal": "6 months"}
    assert site.notice("sv")["kept"]["consent"] == "6 månader"
    assert site.notice("en")["validity_days"] == 180


def test_the_banners_own_storage_is_in_the_required_category(site: Site) -> None:
    notice = site.notice("en")
    required = [c for c in notice["categories"] if c["required"]]
    own = {(k["name"], k["kind"]): k for k in required[0]["cookies"]}
    assert set(own) >= {
        ("consent", "cookie"),
        ("consent_q", "cookie"),
        ("consent:queue:default", "local_storage"),
        ("consent:receipt:default", "local_storage"),
        ("consent:token:default", "local_storage"),
    }
    assert own[("consent", "cookie")]["duration"] == "6 months"
    assert own[("consent", "cookie")]["purpose"] == notice["texts"]["ownCookiePurpose"]
    assert (
        own[("consent:token:default", "local_storage")]["purpose"]
        == (notice["texts"]["ownTokenPurpose"])
    )
    assert all(k["provider"] == "This site" for k in own.values())
    optional_names = {
        k["name"]
        for c in notice["categories"]
        if not c["required"]
        for k in c["cookies"]
    }
    assert "consent" not in optional_names


def test_own_storage_follows_the_sites_cookie_name() -> None:
    config = load_sites(None)["default"] | {
        "cookie": {"name": "shop_consent", "domain": None}
    }
    names = {
        k["name"] for k in Site("shop", config).notice("en")["categories"][0]["cookies"]
    }
    assert {"shop_consent", "shop_consent_q", "consent:queue:shop"} <= names


def test_cookie_durations_are_rendered_per_language(site: Site) -> None:
    by_name = {k["name"] or k["pattern"]: k for k in _all_cookies(site.notice("fr"))}
    assert by_name["session"]["duration"] == site.notice("fr")["texts"]["untilClose"]
    assert by_name["v1st"]["duration"] == "13\u00a0mois"
    assert by_name["prefs"]["duration"] == "6\u00a0mois"
    assert by_name["^_pk_id\\."]["duration"] == "13\u00a0mois"


def test_free_text_durations_stay_as_given() -> None:
    config = load_sites(None)["default"]
    config["categories"][1]["cookies"] = [
        {
            **config["categories"][1]["cookies"][0],
            "max_age_days": None,
            "duration": "Until you sign out",
        }
    ]
    cookie = Site("x", config).notice("de")["categories"][1]["cookies"][0]
    assert cookie["duration"] == "Until you sign out"


def test_services_say_whether_data_stay_in_the_eu(site: Site) -> None:
    services = site.notice("en")["categories"][2]["services"]
    assert [(s["id"], s["country"], s["eu"]) for s in services] == [
        ("analytics", "DE", True),
        ("video", "FR", True),
    ]
    config = load_sites(None)["default"]
    config["categories"][2]["services"][1]["country"] = "US"
    moved = Site("x", config).notice("en")
    assert moved["categories"][2]["services"][1]["eu"] is False
    assert "US" in moved["countries"]


def test_reload_on_withdraw_is_in_the_notice() -> None:
    sites = build_sites(
        {"shop": load_sites(None)["default"] | {"reload_on_withdraw": False}}
    )
    assert sites["shop"].notice("en")["reload_on_withdraw"] is False


def test_a_site_file_cookie_may_not_state_two_lifetimes() -> None:
    from consent_server.config import ConfigError, validate_site

    site = shop_site()
    site["categories"][1]["cookies"] = [
        {"name": "x", "max_age_days": 30, "duration": "1 month"}
    ]
    with pytest.raises(ConfigError, match="max_age_days"):
        validate_site("shop", site, "test")


def test_a_site_needs_a_required_category_for_the_banners_own_storage() -> None:
    from consent_server.config import ConfigError, validate_site

    site = shop_site()
    site["categories"][0]["required"] = False
    with pytest.raises(ConfigError, match="must be required"):
        validate_site("shop", site, "test")
