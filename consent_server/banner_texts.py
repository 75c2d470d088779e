"""The words the banner shows, per language: part of every notice, so hashed.

One JSON file per language in ``banner_texts/``, every key of ``en.json``. The
banner bundle holds no user-visible text of its own: what a visitor read is in the
stored notice of their receipt (issue #9). A site's ``texts`` override any key
for the language they are written in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

BASE_LANGUAGE = "en"


@cache
def _load(lang: str) -> MappingProxyType[str, str] | None:
    try:
        raw = (
            resources.files(__package__) / "banner_texts" / f"{lang}.json"
        ).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    data: dict[str, Any] = json.loads(raw)
    return MappingProxyType({str(k): str(v) for k, v in data.items()})


def text_keys() -> tuple[str, ...]:
    """Every key a notice's ``texts`` has."""
    base = _load(BASE_LANGUAGE)
    assert base is not None, "banner_texts/en.json is part of the package"
    return tuple(base)


def banner_texts(lang: str) -> dict[str, str]:
    """Every banner text in ``lang`` (``de-AT`` reads ``de``), English where the
    language has no translation of a key."""
    base = _load(BASE_LANGUAGE)
    assert base is not None, "banner_texts/en.json is part of the package"
    own: Mapping[str, str] = (
        _load(lang.lower()) or _load(lang.lower().split("-")[0]) or {}
    )
    return {key: own.get(key) or text for key, text in base.items()}
