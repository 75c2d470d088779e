"""The client address behind reverse proxies (CONSENT_PROXY_COUNT)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import (
    Record,
)

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)


def test_x_forwarded_for_is_ignored_without_a_proxy_count(record: Record) -> None:
    rv = record(headers={"X-Forwarded-For": "198.51.100.23"})
    assert rv.status_code == 201
    assert rv.json["receipt"]["ip_prefix"] == "127.0.0.0/24"


@pytest.fixture
def behind_one_proxy(app_config: dict[str, Any]) -> None:
    app_config["CONSENT_PROXY_COUNT"] = 1


@pytest.mark.parametrize(
    ("forwarded", "prefix"),
    [
        ("198.51.100.23", "198.51.100.0/24"),
        ("203.0.113.9, 198.51.100.23", "198.51.100.0/24"),
    ],
    ids=["one-hop", "spoofed-first-hop"],
)
def test_x_forwarded_for_is_honoured_behind_a_configured_proxy(
    behind_one_proxy: None, record: Record, forwarded: str, prefix: str
) -> None:
    rv = record(headers={"X-Forwarded-For": forwarded})
    assert rv.status_code == 201
    assert rv.json["receipt"]["ip_prefix"] == prefix
