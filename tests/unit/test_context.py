"""Minimized request context: truncated IP, browser family, page origin, GPC."""

from __future__ import annotations

import pytest

from consent_server.context import (
    gpc_signal,
    page_origin,
    reduce_user_agent,
    truncate_ip,
)

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("10.1.2.3", "10.1.2.0/24"),
        (" 198.51.100.255 ", "198.51.100.0/24"),
        ("2001:db8:1234:5678:9abc:def0:1234:5678", "2001:db8:1234::/48"),
        ("2001:db8::1", "2001:db8::/48"),
        ("::ffff:203.0.113.77", "203.0.113.0/24"),
    ],
    ids=[
        "ipv4",
        "ipv4-private",
        "ipv4-spaces",
        "ipv6",
        "ipv6-short",
        "ipv4-mapped-ipv6",
    ],
)
def test_truncate_ip_keeps_only_the_network(address: str, expected: str) -> None:
    assert truncate_ip(address) == expected


@pytest.mark.parametrize(
    "address",
    [None, "", "garbage", "300.1.2.3", "1.2.3", "2001:db8::g", "203.0.113.77/24"],
)
def test_truncate_ip_drops_what_is_not_an_address(address: str | None) -> None:
    assert truncate_ip(address) is None


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (CHROME, "Chrome 126"),
        (FIREFOX, "Firefox 128"),
        (SAFARI, "Safari 17"),
        (SAFARI_IOS, "Safari 17"),
        (EDGE, "Edge 126"),
    ],
    ids=["chrome", "firefox", "safari", "safari-ios", "edge"],
)
def test_reduce_user_agent_keeps_family_and_major_version(
    user_agent: str, expected: str
) -> None:
    assert reduce_user_agent(user_agent) == expected


@pytest.mark.parametrize("user_agent", ["garbage", "curl/8.5.0", "x" * 5000])
def test_reduce_user_agent_calls_unknown_agents_other(user_agent: str) -> None:
    assert reduce_user_agent(user_agent) == "Other"


@pytest.mark.parametrize("user_agent", [None, ""])
def test_reduce_user_agent_of_nothing_is_none(user_agent: str | None) -> None:
    assert reduce_user_agent(user_agent) is None


@pytest.mark.parametrize(
    ("origin", "referer", "expected"),
    [
        ("https://shop.example.com", None, "https://shop.example.com"),
        (None, "https://shop.example.com/cart?id=42#pay", "https://shop.example.com"),
        (None, "http://localhost:8080/a/b?c=d", "http://localhost:8080"),
        ("null", "https://shop.example.com/x", "https://shop.example.com"),
        ("https://a.example", "https://b.example/path", "https://a.example"),
    ],
    ids=["origin", "referer-path-query", "port", "null-origin", "origin-first"],
)
def test_page_origin_strips_path_and_query(
    origin: str | None, referer: str | None, expected: str
) -> None:
    assert page_origin(origin, referer) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example.com/x",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,hi",
        "not a url",
        "https://",
        "https://example.com:99999/",
    ],
)
def test_page_origin_rejects_what_is_not_an_http_page(url: str) -> None:
    assert page_origin(url, None) is None
    assert page_origin(None, url) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1", True),
        ("0", False),
        (" 1", False),
        ("1 ", False),
        ("true", False),
        ("11", False),
        ("", False),
        (None, False),
    ],
)
def test_gpc_signal_is_only_exactly_one(header: str | None, expected: bool) -> None:
    assert gpc_signal(header) is expected
