"""Retries reveal nothing (issue #9, point 2): a retry gets the first receipt and
token back only with proof of the subject (its token, or the client's own secret
Idempotency-Key) and the same decision; any other reuse of a receipt id or key is
a 409 that does not depend on what is stored."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, Table

from consent_server import create_app
from consent_server.extensions import db
from consent_server.sites import all_sites
from tests.api.helpers import Record, assert_problem, count_rows, verify
from tests.api.proof_fixtures import (
    ALL,
    NONE,
    SOME,
    fixture_keep_logging,  # noqa: F401 - the fixture
    looked_up,
    raw_rows,
    sha256,
)
from tests.conftest import new_subject

# The revision before issue #9: receipts kept the Idempotency-Key as sent.
BEFORE_ISSUE_9 = "5c3e9a1f0b27"


def _key() -> str:
    """An Idempotency-Key as a client makes it: a random secret."""
    return f"k-{uuid.uuid4().hex}"


def _victim(record: Record, choices: dict[str, bool], **fields: Any) -> Any:
    """A visitor's first decision; returns the answer only its banner saw."""
    rv = record(choices=choices, **fields)
    assert rv.status_code == 201, rv.json
    return rv.json


def _copied_from_lookup(
    client: FlaskClient, subject: str, choices: dict[str, bool] | None = None
) -> dict[str, Any]:
    """A decision body made of what the public lookup shows about a subject."""
    seen = looked_up(client, subject)
    return {
        "id": seen["id"],
        "notice": seen["notice"],
        "choices": choices if choices is not None else seen["choices"],
        "method": seen["method"],
        "layer": seen["layer"],
        "language": seen["language"],
    }


def _post(client: FlaskClient, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return client.post("/v1/sites/default/consents", json=body, headers=headers)


def _hands_out_nothing(rv: Any, victim: Any) -> None:
    """Neither the victim's receipt nor its token nor its subject is in the answer."""
    text = rv.get_data(as_text=True)
    assert victim["token"] not in text
    assert victim["receipt"]["subject"] not in text
    assert "receipt" not in rv.get_json(force=True)


@pytest.mark.parametrize("same", [True, False], ids=["same-choices", "other-choices"])
def test_a_known_receipt_id_without_proof_is_a_409_that_hands_out_nothing(
    record: Record, client: FlaskClient, app: Flask, same: bool
) -> None:
    """The replay of the issue: a receipt id from the lookup, no subject."""
    victim = _victim(record, SOME, subject=new_subject(), layer="preferences")
    body = _copied_from_lookup(client, victim["receipt"]["subject"])
    if not same:
        body["choices"] = ALL
    before = count_rows(app)

    rv = _post(client, body)

    assert_problem(rv, 409, "reused-key")
    _hands_out_nothing(rv, victim)
    assert count_rows(app) == before


def test_a_known_receipt_id_answers_the_same_whatever_the_victim_chose(
    record: Record, client: FlaskClient
) -> None:
    """409 or 201 used to tell the attacker whether a guess of the choices was
    right."""
    answers = []
    for victim_chose in (SOME, ALL):
        victim = _victim(record, victim_chose, subject=new_subject())
        body = _copied_from_lookup(client, victim["receipt"]["subject"], SOME)
        answers.append(_post(client, body))

    matching, other = (assert_problem(rv, 409, "reused-key") for rv in answers)
    assert matching == other


@pytest.mark.parametrize("same", [True, False], ids=["same-choices", "other-choices"])
def test_a_known_receipt_and_subject_id_without_a_token_prove_nothing(
    record: Record, client: FlaskClient, app: Flask, same: bool
) -> None:
    """Subject id, receipt id and choices are all public: together still no proof."""
    victim = _victim(record, SOME, subject=new_subject())
    subject = victim["receipt"]["subject"]
    body = {**_copied_from_lookup(client, subject), "subject": subject}
    if not same:
        body["choices"] = NONE
    before = count_rows(app)

    rv = _post(client, body)

    assert_problem(rv, 403, "subject-proof-required")
    _hands_out_nothing(rv, victim)
    assert count_rows(app) == before
    assert looked_up(client, subject)["id"] == victim["receipt"]["id"]


def test_a_token_of_another_subject_does_not_prove_a_retry(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    victim = _victim(record, SOME, subject=new_subject())
    own = _victim(record, ALL, subject=new_subject())
    body = {
        **_copied_from_lookup(client, victim["receipt"]["subject"]),
        "token": own["token"],
    }
    before = count_rows(app)

    rv = _post(client, body)

    assert_problem(rv, 409, "reused-key")
    _hands_out_nothing(rv, victim)
    assert count_rows(app) == before


def _another_subject(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "subject": new_subject()}


def _another_decision(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "choices": ALL, "method": "accept_all"}


def _both(body: dict[str, Any]) -> dict[str, Any]:
    return _another_decision(_another_subject(body))


def test_a_guessed_key_reused_for_another_subject_or_decision_is_the_same_409(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    key = _key()
    victim = _victim(
        record, SOME, headers={"Idempotency-Key": key}, layer="preferences"
    )
    with_id = _copied_from_lookup(client, victim["receipt"]["subject"])
    body = {k: v for k, v in with_id.items() if k != "id"}
    before = count_rows(app)

    changes = (_another_subject, _another_decision, _both)
    answers = [_post(client, change(body), key) for change in changes]
    # The same answer as to a reused receipt id: a key is not told apart from one.
    answers.append(_post(client, _another_decision(with_id)))

    bodies = [assert_problem(rv, 409, "reused-key") for rv in answers]
    assert all(b == bodies[0] for b in bodies)
    for rv in answers:
        _hands_out_nothing(rv, victim)
    assert count_rows(app) == before


@pytest.mark.parametrize("named", [True, False], ids=["subject", "no-subject"])
def test_the_clients_own_key_and_decision_get_the_first_receipt(
    record: Record, client: FlaskClient, app: Flask, named: bool
) -> None:
    """The first answer was lost; the banner sends the same request again.

    Without a subject the client does not even know the one the server made.
    """
    key = _key()
    fields: dict[str, Any] = {"subject": new_subject()} if named else {}
    headers = {"Idempotency-Key": key}
    first = record(choices=SOME, headers=headers, layer="preferences", **fields)
    assert first.status_code == 201

    again = record(choices=SOME, headers=headers, layer="preferences", **fields)

    assert again.status_code == 201, again.json
    assert again.mimetype == "application/json"
    assert again.json == first.json
    assert verify(client, again.json["token"])["valid"] is True
    assert count_rows(app)[0] == 1


@pytest.mark.parametrize(
    "change",
    [{"choices": ALL}, {"method": "api"}, {"layer": "first"}],
    ids=["choices", "method", "layer"],
)
@pytest.mark.parametrize(
    "named",
    [pytest.param(True, id="subject"), False],
    ids=["subject", "no-subject"],
)
def test_the_same_key_with_another_decision_is_a_409(
    record: Record, app: Flask, change: dict[str, Any], named: bool
) -> None:
    """The banner names the random UUID it made; a server-made one it cannot."""
    headers = {"Idempotency-Key": _key()}
    fields: dict[str, Any] = {"choices": SOME, "layer": "preferences"}
    if named:
        fields["subject"] = new_subject()
    first = record(headers=headers, **fields)
    assert first.status_code == 201

    rv = record(headers=headers, **{**fields, **change})

    assert_problem(rv, 409, "reused-key")
    assert first.json["token"] not in rv.get_data(as_text=True)
    assert count_rows(app)[0] == 1


def test_a_retry_proven_by_a_token_of_the_subject_gets_the_first_receipt(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    """A later decision, retried by a banner that holds the subject's token."""
    subject = new_subject()
    first = _victim(record, SOME, subject=subject)
    decision = {
        "subject": subject,
        "token": first["token"],
        "id": str(uuid.uuid4()),
        "choices": ALL,
        "method": "accept_all",
        "layer": "first",
    }
    second = record(**decision)
    assert second.status_code == 201

    again = record(**decision)

    assert again.status_code == 201, again.json
    assert again.mimetype == "application/json"
    assert again.json == second.json
    assert again.json["receipt"]["previous"] == first["receipt"]["id"]
    assert count_rows(app)[0] == 2
    assert looked_up(client, subject)["id"] == decision["id"]


def test_a_token_of_the_subject_with_another_decision_under_the_id_is_a_409(
    record: Record, app: Flask
) -> None:
    subject = new_subject()
    first = _victim(record, SOME, subject=subject)
    decision = {"subject": subject, "token": first["token"], "id": str(uuid.uuid4())}
    assert record(choices=ALL, **decision).status_code == 201

    rv = record(choices=NONE, **decision)

    assert_problem(rv, 409, "reused-key")
    assert count_rows(app)[0] == 2


def test_the_stored_row_holds_the_keys_sha256_never_the_key(
    record: Record, app: Flask
) -> None:
    key = _key()
    rv = record(choices=SOME, headers={"Idempotency-Key": key})
    assert rv.status_code == 201
    assert key not in rv.get_data(as_text=True)

    (row,) = raw_rows(app, "receipts")

    assert row["idempotency_hash"] == sha256(key)
    assert all(key not in str(value) for value in row.values())


# --- receipt ids used as keys -------------------------------------------------------


def test_a_receipt_id_is_no_proof_even_as_the_idempotency_key(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    """DESIGN.md: the key is the client's own secret, "never a receipt id"."""
    receipt_id = str(uuid.uuid4())
    victim = record(
        choices=SOME, id=receipt_id, headers={"Idempotency-Key": receipt_id}
    )
    if victim.status_code == 422:
        return  # refusing such a key up front is a fix too: nothing to replay
    assert victim.status_code == 201
    body = _copied_from_lookup(client, victim.json["receipt"]["subject"])
    del body["id"]

    rv = _post(client, body, key=receipt_id)

    assert_problem(rv, 409, "reused-key")
    _hands_out_nothing(rv, victim.json)


@pytest.fixture
def before_issue_9(app_config: dict[str, Any], keep_logging: None) -> Iterator[Flask]:
    """An app whose database stands at the revision before issue #9."""
    app = create_app(app_config)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_ISSUE_9)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _store_as_before_issue_9(app: Flask, receipt_id: str, subject: str) -> None:
    """A receipt as the old server stored the old banner's decision: the banner
    sent its receipt id as the Idempotency-Key, and the key was kept as sent."""
    from datetime import UTC, datetime, timedelta

    with app.app_context():
        site = all_sites()["default"]
        notice = site.notices["en"]
        now = datetime.now(UTC).replace(tzinfo=None)
        metadata = MetaData()
        notices = Table("notices", metadata, autoload_with=db.engine)
        receipts = Table("receipts", metadata, autoload_with=db.engine)
        assert "idempotency_key" in receipts.c
        with db.engine.begin() as conn:
            conn.execute(
                notices.insert(),
                {
                    "hash": notice["notice"],
                    "site": "default",
                    "language": "en",
                    "policy_version": site.policy_version,
                    "content": notice,
                    "created_at": now,
                },
            )
            conn.execute(
                receipts.insert(),
                {
                    "id": receipt_id,
                    "site": "default",
                    "subject": subject,
                    "action": "grant",
                    "method": "custom",
                    "layer": "preferences",
                    "choices": {"session": True, **SOME},
                    "policy_version": site.policy_version,
                    "notice_hash": notice["notice"],
                    "language": "en",
                    "jurisdiction": "EU",
                    "gpc": False,
                    "created_at": now,
                    "expires_at": now + timedelta(days=365),
                    "idempotency_key": receipt_id,
                    "token": "a-token-only-the-visitor-holds",
                },
            )


def test_receipt_ids_kept_as_keys_before_the_upgrade_prove_nothing_after_it(
    before_issue_9: Flask,
) -> None:
    receipt_id, subject = str(uuid.uuid4()), new_subject()
    _store_as_before_issue_9(before_issue_9, receipt_id, subject)
    with before_issue_9.app_context():
        flask_migrate.upgrade()
    client = before_issue_9.test_client()
    body = _copied_from_lookup(client, subject)
    del body["id"]

    rv = _post(client, body, key=receipt_id)

    assert_problem(rv, 409, "reused-key")
    assert "a-token-only-the-visitor-holds" not in rv.get_data(as_text=True)
