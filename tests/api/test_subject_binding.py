"""Subject binding (issue #9, point 1): a later decision about a subject carries a
token the service signed for that subject and site, and only recorder integrations
name subject ids that are not random UUIDs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import Record, assert_problem, count_rows, signed, verify
from tests.api.proof_fixtures import (
    ALL,
    NONE,
    SHOP,
    SOME,
    fixture_shop_file,  # noqa: F401 - the fixture
    looked_up,
    lookup,
    post_decision,
    tampered,
)
from tests.conftest import TEST_KEYS, new_subject

pytestmark = pytest.mark.usefixtures("shop_file")

OTHER_KEYS = ["an-attackers-own-key-0123456789"]


def _first(record: Record, subject: str, choices: dict[str, bool]) -> Any:
    """The subject's first decision: the answer its banner got."""
    rv = record(subject=subject, choices=choices)
    assert rv.status_code == 201, rv.json
    return rv.json


def test_a_later_decision_without_a_token_is_a_403_and_stores_nothing(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    """The attack of the issue: accept_all for someone else's subject id."""
    victim = new_subject()
    first = _first(record, victim, NONE)
    before = count_rows(app)

    rv = record(subject=victim, choices=ALL, method="accept_all", layer="first")

    body = assert_problem(rv, 403, "subject-proof-required")
    assert "token" in body["detail"]
    assert "receipt" not in body and "errors" not in body
    assert count_rows(app) == before
    answer = lookup(client, victim, category="third_party")
    assert answer.status_code == 200
    assert answer.json["receipt"]["id"] == first["receipt"]["id"]
    assert answer.json["receipt"]["action"] == "refuse"
    assert answer.json["granted"] is False


def test_the_subjects_own_token_lets_it_decide_again(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    subject = new_subject()
    first = _first(record, subject, SOME)

    rv = record(subject=subject, token=first["token"], choices=ALL, method="accept_all")

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    receipt = rv.json["receipt"]
    assert receipt["subject"] == subject
    assert receipt["previous"] == first["receipt"]["id"]
    assert receipt["action"] == "update"
    assert receipt["choices"] == {"session": True, **ALL}
    assert verify(client, rv.json["token"])["receipt"]["subject"] == subject
    assert looked_up(client, subject)["id"] == receipt["id"]
    assert count_rows(app)[0] == 2


def test_any_earlier_token_of_the_subject_proves_it(
    record: Record, client: FlaskClient
) -> None:
    subject = new_subject()
    first = _first(record, subject, SOME)
    second = record(subject=subject, token=first["token"], choices=ALL)
    assert second.status_code == 201

    rv = record(subject=subject, token=first["token"], choices=NONE)

    assert rv.status_code == 201, rv.json
    assert rv.json["receipt"]["previous"] == second.json["receipt"]["id"]
    assert rv.json["receipt"]["action"] == "withdraw"
    assert looked_up(client, subject)["id"] == rv.json["receipt"]["id"]


def test_an_expired_token_of_the_subject_still_proves_it(
    record: Record, client: FlaskClient
) -> None:
    """A visitor whose consent ran out decides again with the token it still has."""
    subject = new_subject()
    first = _first(record, subject, SOME)
    expired = signed(
        TEST_KEYS,
        receipt_id=first["receipt"]["id"],
        subject=subject,
        expires_at=datetime.now(UTC) - timedelta(days=3),
    )
    assert verify(client, expired)["reason"] == "expired"

    rv = record(subject=subject, token=expired, choices=ALL, method="accept_all")

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["subject"] == subject
    assert rv.json["receipt"]["previous"] == first["receipt"]["id"]
    assert rv.json["receipt"]["action"] == "update"


def _of_another_subject(client: FlaskClient, record: Record, victim: str) -> str:
    return str(record(subject=new_subject(), choices=ALL).json["token"])


def _of_another_site(client: FlaskClient, record: Record, victim: str) -> str:
    """A genuine token of the victim's id, signed for another site."""
    rv = post_decision(
        client, SHOP, {"analytics": True, "preferences": True}, subject=victim
    )
    assert rv.status_code == 201, rv.json
    assert rv.json["receipt"]["site"] == SHOP
    return str(rv.json["token"])


def _forged(client: FlaskClient, record: Record, victim: str) -> str:
    return signed(OTHER_KEYS, subject=victim)


def _tampered(client: FlaskClient, record: Record, victim: str) -> str:
    """The attacker's own genuine token, its payload made to name the victim."""
    own = record(subject=new_subject(), choices=ALL).json["token"]
    return tampered(own, u=victim)


def _garbage(client: FlaskClient, record: Record, victim: str) -> str:
    return "not-a-token"


TOKENS: dict[str, Callable[[FlaskClient, Record, str], str]] = {
    "another-subject": _of_another_subject,
    "another-site": _of_another_site,
    "forged": _forged,
    "tampered": _tampered,
    "garbage": _garbage,
}


@pytest.mark.parametrize("kind", list(TOKENS))
def test_a_token_that_does_not_prove_the_subject_is_a_403(
    record: Record, client: FlaskClient, app: Flask, kind: str
) -> None:
    victim = new_subject()
    first = _first(record, victim, NONE)
    token = TOKENS[kind](client, record, victim)
    before = count_rows(app)

    rv = record(subject=victim, token=token, choices=ALL, method="accept_all")

    body = assert_problem(rv, 403, "subject-proof-required")
    assert "receipt" not in body
    assert count_rows(app) == before
    assert looked_up(client, victim)["id"] == first["receipt"]["id"]


def test_without_a_subject_the_token_names_it(
    record: Record, client: FlaskClient
) -> None:
    subject = new_subject()
    first = _first(record, subject, SOME)

    rv = record(token=first["token"], choices=NONE, method="reject_all")

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["subject"] == subject
    assert rv.json["receipt"]["previous"] == first["receipt"]["id"]
    assert rv.json["receipt"]["action"] == "withdraw"
    assert looked_up(client, subject)["id"] == rv.json["receipt"]["id"]


@pytest.mark.parametrize("kind", ["forged", "tampered", "garbage"])
def test_without_a_subject_a_token_the_service_did_not_sign_is_a_403(
    record: Record, client: FlaskClient, app: Flask, kind: str
) -> None:
    victim = new_subject()
    first = _first(record, victim, NONE)
    token = TOKENS[kind](client, record, victim)
    before = count_rows(app)

    rv = record(token=token, choices=ALL, method="accept_all")

    assert_problem(rv, 403, "subject-proof-required")
    assert count_rows(app) == before
    assert looked_up(client, victim)["id"] == first["receipt"]["id"]


@pytest.mark.parametrize(
    "subject", ["visitor-0001", "alice@example.com", "crm:4711"], ids=str
)
@pytest.mark.parametrize("decided", [True, False], ids=["decided", "new"])
def test_an_anonymous_caller_may_not_name_a_subject_that_is_not_a_uuid(
    record: Record,
    client: FlaskClient,
    app: Flask,
    make_receipt: Callable[..., str],
    subject: str,
    decided: bool,
) -> None:
    """Such ids come from integrations only; a banner makes random UUIDs."""
    earlier = (
        make_receipt(subject=subject, choices={"session": True, **NONE})
        if decided
        else None
    )
    before = count_rows(app)

    rv = record(subject=subject, choices=ALL, method="accept_all", layer="first")

    body = assert_problem(rv, 403, "forbidden")
    assert "recorder" in body["detail"]
    assert count_rows(app) == before
    answer = lookup(client, subject, category="third_party")
    if earlier is None:
        assert answer.status_code == 404
    else:
        assert answer.json["receipt"]["id"] == earlier
        assert answer.json["granted"] is False


def test_refusing_a_non_uuid_subject_tells_nothing_about_its_receipts(
    record: Record, make_receipt: Callable[..., str]
) -> None:
    make_receipt(subject="visitor-0001")

    decided = record(subject="visitor-0001", choices=ALL, method="accept_all")
    unknown = record(subject="visitor-0002", choices=ALL, method="accept_all")

    assert decided.status_code == unknown.status_code == 403
    assert decided.get_json(force=True) == unknown.get_json(force=True)


def test_the_403_is_the_same_whatever_the_victim_chose(record: Record) -> None:
    """Whether the forged body matches the stored choices or not, nothing shows."""
    attack = {"choices": ALL, "method": "accept_all", "layer": "first"}
    answers = []
    for choices in (NONE, SOME, ALL):
        victim = new_subject()
        _first(record, victim, choices)
        answers.append(record(subject=victim, **attack))

    bodies = [assert_problem(rv, 403, "subject-proof-required") for rv in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert {tuple(sorted(rv.headers.keys())) for rv in answers} == {
        tuple(sorted(answers[0].headers.keys()))
    }
