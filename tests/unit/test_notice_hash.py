"""Notice hashes: SHA-256 of the canonical JSON; language fallback."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from consent_server.config import load_sites
from consent_server.default_site import EU_LANGUAGES
from consent_server.sites import Site, build_sites, canonical_json, pick_language


@pytest.fixture
def site() -> Site:
    return build_sites(load_sites(None))["default"]


def _without_hash(notice: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in notice.items() if k != "notice"}


def test_canonical_json_sorts_keys_without_spaces_in_utf8() -> None:
    assert (
        canonical_json({"b": 1, "a": ["ä", None]}) == '{"a":["ä",null],"b":1}'.encode()
    )


@pytest.mark.parametrize("lang", ["en", "de", "fr", "nl"])
def test_notice_hash_is_sha256_of_the_canonical_json(site: Site, lang: str) -> None:
    notice = site.notices[lang]
    body = json.dumps(
        _without_hash(notice), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert notice["notice"] == hashlib.sha256(body).hexdigest()


def test_notice_hash_is_stable_across_builds(site: Site) -> None:
    again = build_sites(load_sites(None))["default"]
    assert {k: n["notice"] for k, n in again.notices.items()} == {
        k: n["notice"] for k, n in site.notices.items()
    }


def test_every_language_has_its_own_hash(site: Site) -> None:
    hashes = [n["notice"] for n in site.notices.values()]
    assert len(set(hashes)) == len(hashes) == 24
    assert {site.by_hash[h] for h in hashes} == set(EU_LANGUAGES)


@pytest.mark.parametrize(
    "path",
    [
        ("categories", 2, "texts", "en", "description"),
        ("categories", 1, "texts", "en", "title"),
    ],
    ids=["description", "title"],
)
def test_notice_hash_changes_when_a_text_changes(
    site: Site, path: tuple[object, ...]
) -> None:
    config = copy.deepcopy(site.config)
    # German of its own, so that it does not fall back on the English being changed.
    for category in config["categories"]:
        category["texts"]["de"] = {"title": "Titel", "description": "Beschreibung"}
    before = Site("default", copy.deepcopy(config))
    target = config
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] += "!"  # type: ignore[index]

    changed = Site("default", config)

    assert changed.notices["en"]["notice"] != before.notices["en"]["notice"]
    assert changed.notices["de"]["notice"] == before.notices["de"]["notice"]


def test_notice_hash_changes_with_the_policy_version(site: Site) -> None:
    config = copy.deepcopy(site.config)
    config["policy_version"] = "2099-01"
    assert (
        Site("default", config).notices["en"]["notice"] != site.notices["en"]["notice"]
    )


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("DE-at", "de"),
        ("fr-CA", "fr"),
        ("nl", "nl"),
        ("xx", "en"),
        ("pt-BR", "pt"),
        ("ja", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_notice_language_falls_back(
    site: Site, requested: str | None, expected: str
) -> None:
    assert site.notice(requested)["language"] == expected


@pytest.mark.parametrize(
    ("requested", "expected"), [("pt-BR", "pt-BR"), ("pt-br", "pt-BR"), ("pt-PT", "pt")]
)
def test_pick_language_prefers_a_regional_match_in_the_sites_spelling(
    requested: str, expected: str
) -> None:
    assert pick_language(requested, ["pt", "pt-BR"], "pt") == expected
