"""A lookup that tells only the decision (issue #9, point 3): no network context,
build or token to anyone who knows a subject id, and lookups and verifications
rate-limited per client, each with a limit of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import assert_problem
from tests.api.proof_fixtures import (
    ALL,
    DECISION_FIELDS,
    SOME,
    current_build,
    lookup,
    notice_hash,
    unique_ipv4,
    unique_ipv6_prefix,
)
from tests.conftest import new_subject

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)
ORIGIN = "https://shop.example"


def _decide(
    client: FlaskClient, subject: str, choices: dict[str, bool], **fields: Any
) -> Any:
    """A decision from a browser: origin, user agent and address are observed."""
    rv = client.post(
        "/v1/sites/default/consents",
        json={
            "subject": subject,
            "notice": notice_hash(client),
            "choices": choices,
            **fields,
        },
        headers={"Origin": ORIGIN, "User-Agent": CHROME_UA},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    assert rv.status_code == 201, rv.json
    return rv.json


@pytest.fixture
def decided(client: FlaskClient) -> dict[str, Any]:
    """A decision with everything a receipt can hold."""
    rv = _decide(
        client,
        new_subject(),
        ALL,
        banner_build=current_build(client),
        method="accept_all",
        layer="first",
        language="de",
    )
    receipt = rv["receipt"]
    # What the lookup must keep to itself is really stored.
    assert receipt["ip_prefix"] == "203.0.113.0/24"
    assert receipt["user_agent"] == "Chrome 126"
    assert receipt["origin"] == ORIGIN
    assert receipt["banner_build"] is not None
    return rv


def test_the_lookup_answers_the_decision_fields_and_no_more(
    client: FlaskClient, decided: dict[str, Any]
) -> None:
    recorded = decided["receipt"]

    rv = lookup(client, recorded["subject"])

    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert set(rv.json) == {"receipt", "choices", "valid"}
    assert set(rv.json["receipt"]) == DECISION_FIELDS
    assert rv.json["receipt"] == {f: recorded[f] for f in DECISION_FIELDS}
    assert rv.json["choices"] == {"session": True, **ALL}
    assert rv.json["valid"] is True


def test_the_lookup_with_a_category_adds_granted_only(
    client: FlaskClient, decided: dict[str, Any]
) -> None:
    rv = lookup(client, decided["receipt"]["subject"], category="third_party")

    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert set(rv.json) == {"receipt", "choices", "valid", "granted"}
    assert set(rv.json["receipt"]) == DECISION_FIELDS
    assert rv.json["granted"] is True


@pytest.mark.parametrize(
    "query", [{}, {"category": "persistent"}], ids=["plain", "category"]
)
def test_the_lookup_never_shows_ip_browser_origin_build_or_token(
    client: FlaskClient, decided: dict[str, Any], query: dict[str, str]
) -> None:
    recorded = decided["receipt"]

    rv = lookup(client, recorded["subject"], **query)

    assert rv.status_code == 200
    text = rv.get_data(as_text=True)
    for secret in (
        "203.0.113",
        "Chrome",
        "shop.example",
        recorded["banner_build"],
        decided["token"],
        decided["token"].split(".")[-1],  # its signature
    ):
        assert secret not in text
    for field in ("ip_prefix", "user_agent", "origin", "banner_build", "token"):
        assert field not in text


# --- rate limits ----------------------------------------------------------------------


def _redis_available() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["memory", "redis"])
def limited(request: pytest.FixtureRequest, app_config: dict[str, Any]) -> str:
    """Limits on, and small: each route's own number, so a mix-up shows."""
    if request.param == "redis":
        if not _redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        app_config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
    app_config["CONSENT_RATELIMIT_ENABLED"] = True
    app_config["CONSENT_RATELIMIT_RECORD"] = "1 per minute"
    app_config["CONSENT_RATELIMIT_LOOKUP"] = "2 per minute"
    app_config["CONSENT_RATELIMIT_VERIFY"] = "3 per minute"
    return str(request.param)


Call = Callable[[FlaskClient, str], Any]


def _lookup_from(client: FlaskClient, address: str) -> Any:
    return client.get(
        f"/v1/sites/default/consents/{new_subject()}",
        environ_base={"REMOTE_ADDR": address},
    )


def _verify_from(client: FlaskClient, address: str) -> Any:
    return client.post(
        "/v1/receipts/verify",
        json={"token": "not.a.token"},
        environ_base={"REMOTE_ADDR": address},
    )


def _record_from(client: FlaskClient, address: str) -> Any:
    return client.post(
        "/v1/sites/default/consents",
        json={"notice": notice_hash(client), "choices": SOME},
        environ_base={"REMOTE_ADDR": address},
    )


ROUTES: dict[str, tuple[Call, int, int]] = {
    # route: (call, limit, status while within it)
    "lookup": (_lookup_from, 2, 404),
    "verify": (_verify_from, 3, 200),
    "record": (_record_from, 1, 201),
}


def _spend(client: FlaskClient, route: str, address: str) -> None:
    """Use up the client's budget on ``route``; the next call is over it."""
    call, limit, status = ROUTES[route]
    for _ in range(limit):
        assert call(client, address).status_code == status


@pytest.mark.parametrize("route", ["lookup", "verify"])
def test_lookups_and_verifications_are_limited_per_client(
    limited: str, app: Flask, route: str
) -> None:
    """Answers about unknown subjects count too: enumerating ids costs the same."""
    client = app.test_client()
    call, limit, status = ROUTES[route]
    address, neighbour = unique_ipv4(), unique_ipv4()
    _spend(client, route, address)

    rv = call(client, address)

    problem = assert_problem(rv, 429, "rate-limited")
    assert f"{limit} per 1 minute" in problem["detail"]
    assert int(rv.headers["Retry-After"]) > 0
    assert call(client, neighbour).status_code == status


@pytest.mark.parametrize("spent", list(ROUTES))
def test_each_route_has_a_budget_of_its_own(
    limited: str, app: Flask, spent: str
) -> None:
    client = app.test_client()
    address = unique_ipv4()
    _spend(client, spent, address)
    assert ROUTES[spent][0](client, address).status_code == 429

    for route, (call, _limit, status) in ROUTES.items():
        if route != spent:
            assert call(client, address).status_code == status, route


@pytest.mark.parametrize("route", ["lookup", "verify"])
def test_ipv6_clients_are_limited_per_64(limited: str, app: Flask, route: str) -> None:
    """One host holds a whole /64: its addresses share one budget."""
    client = app.test_client()
    call, limit, status = ROUTES[route]
    prefix = unique_ipv6_prefix()
    # The next /64 of the same /48: another host, maybe the same household.
    head, last = prefix.rsplit(":", 1)
    other = f"{head}:{(int(last, 16) + 1) % 0x10000:x}"
    for n in range(limit):
        assert call(client, f"{prefix}::{n + 1}").status_code == status

    assert_problem(call(client, f"{prefix}:ffff:ffff:ffff:ffff"), 429, "rate-limited")
    assert_problem(call(client, f"{prefix}::1"), 429, "rate-limited")
    assert call(client, f"{other}::1").status_code == status
