"""Translations: every official EU language has every text the English files have.

Issue #11 item 5: the banner's UI strings (``banner_texts/<lang>.json``) and the
default site's texts (``default_site_texts/<lang>.json``) exist in the 24 official
EU languages, each with exactly the English keys (nested ones included), no empty
value, no value left in English by mistake, and the same placeholders and
addresses as the English text. Run one half with ``-k "de or fr"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

EU_LANGUAGES = (
    "bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv".split()
)
TRANSLATED = tuple(lang for lang in EU_LANGUAGES if lang != "en")
FOLDERS = ("banner_texts", "default_site_texts")


def _ids(lang: str) -> str:
    """Test ids one can pick a language by: ``-k "lang_de or lang_fr"``."""
    return f"lang_{lang}"


# Values that may read exactly as in English, because that is the right word in
# the language, not a text someone forgot to translate. Keep this list short:
# each entry is (folder, key) -> languages, with the reason.
SAME_AS_ENGLISH: dict[tuple[str, str], frozenset[str]] = {
    # "Cookie(s)" is the word most EU languages use for the thing itself (their
    # data protection authorities' pages say it too); Italian's plural is "cookie".
    ("banner_texts", "cookies"): frozenset("da de el es fr mt nl pt".split()),
    ("banner_texts", "kindCookie"): frozenset("da de el es fr it mt nl pt ro".split()),
    # Words spelt the same in both languages.
    ("banner_texts", "cookieName"): frozenset({"de"}),  # "Name"
    ("banner_texts", "date"): frozenset({"fr"}),  # "Date"
    ("banner_texts", "contact"): frozenset({"fr"}),  # "Contact"
    ("banner_texts", "service"): frozenset({"fr"}),  # "Service"
    ("banner_texts", "services"): frozenset({"fr"}),  # "Services"
    ("banner_texts", "kind"): frozenset({"da", "fr"}),  # "Type"
    ("banner_texts", "optional"): frozenset({"de"}),  # "Optional"
}

# What must survive translation untouched: {placeholders}, printf fields,
# addresses and e-mail addresses.
_KEPT = re.compile(
    r"\{[^{}]*\}|%\(\w+\)[sd]|%[sd]|https?://[^\s)»”]+|[\w.+-]+@[\w-]+\.[\w.-]+"
)


def _read(folder: str, lang: str) -> dict[str, Any] | None:
    path = resources.files("consent_server") / folder / f"{lang}.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{folder}/{lang}.json is not a JSON object"
    return data


def _flat(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf as (dotted key, value): nested objects are walked."""
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _english(folder: str) -> dict[str, str]:
    data = _read(folder, "en")
    if data is None:
        pytest.skip(f"no {folder}/en.json yet")
    return dict(_flat(data))


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("lang", TRANSLATED, ids=_ids)
def test_every_language_has_exactly_the_english_keys(folder: str, lang: str) -> None:
    english = _english(folder)
    data = _read(folder, lang)
    assert data is not None, f"{folder}/{lang}.json is missing"
    own = dict(_flat(data))
    assert sorted(set(english) - set(own)) == [], f"{folder}/{lang}.json lacks keys"
    assert sorted(set(own) - set(english)) == [], f"{folder}/{lang}.json has extra keys"


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("lang", EU_LANGUAGES, ids=_ids)
def test_every_value_is_a_trimmed_non_empty_string(folder: str, lang: str) -> None:
    _english(folder)
    data = _read(folder, lang)
    assert data is not None, f"{folder}/{lang}.json is missing"
    bad = [
        key
        for key, value in _flat(data)
        if not isinstance(value, str)
        or not value.strip()
        or value != value.strip()
        or "  " in value
    ]
    assert bad == [], f"{folder}/{lang}.json: empty, untrimmed or not text"


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("lang", TRANSLATED, ids=_ids)
def test_no_value_is_left_in_english(folder: str, lang: str) -> None:
    english = _english(folder)
    data = _read(folder, lang)
    assert data is not None, f"{folder}/{lang}.json is missing"
    left = [
        key
        for key, value in _flat(data)
        if key in english
        and value == english[key]
        and lang not in SAME_AS_ENGLISH.get((folder, key), frozenset())
    ]
    assert left == [], f"{folder}/{lang}.json still reads as English"


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("lang", TRANSLATED, ids=_ids)
def test_placeholders_and_addresses_survive(folder: str, lang: str) -> None:
    english = _english(folder)
    data = _read(folder, lang)
    assert data is not None, f"{folder}/{lang}.json is missing"
    changed = [
        key
        for key, value in _flat(data)
        if key in english
        and sorted(_KEPT.findall(str(value))) != sorted(_KEPT.findall(english[key]))
    ]
    assert changed == [], f"{folder}/{lang}.json changed placeholders or addresses"


def test_same_as_english_list_names_only_values_that_are_the_same() -> None:
    """An entry the translations no longer need is removed, so the list stays short."""
    stale = []
    for (folder, key), langs in SAME_AS_ENGLISH.items():
        english = _read(folder, "en") or {}
        for lang in sorted(langs):
            data = _read(folder, lang)
            if data is None:
                continue  # a missing file fails the tests above
            own = dict(_flat(data))
            if lang not in EU_LANGUAGES or (
                key in own and own[key] != dict(_flat(english)).get(key)
            ):
                stale.append(f"{folder}/{lang}.json {key}")
    assert stale == []


@pytest.mark.parametrize("folder", FOLDERS)
def test_french_puts_a_narrow_space_before_high_punctuation(folder: str) -> None:
    """French typography: a (narrow) no-break space before : ; ? ! and inside « »."""
    _english(folder)
    data = _read(folder, "fr")
    assert data is not None
    bad = [
        key
        for key, value in _flat(data)
        if re.search(r"(?:^|[^\u00a0\u202f])[:;?!»]|«[^\u00a0\u202f]", str(value))
        and not re.search(r"https?://", str(value))
    ]
    assert bad == [], "fr: missing no-break space before : ; ? ! or inside « »"
