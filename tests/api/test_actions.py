"""Actions and methods that say what happened (issue #9, points 5 and 7, 8): a first
refusal is ``refuse``, ``accept_all`` and ``reject_all`` must match the choices,
a decision names a banner build the service served, and only decisions of the page's
script (layer ``api``) say whether the browser saw a user gesture."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_server.archives import wait_for_archiving
from tests.api.helpers import Record, assert_problem, built_scripts, count_rows
from tests.api.proof_fixtures import (
    ALL,
    NONE,
    SHOP,
    SOME,
    bearer,
    current_build,
    fixture_shop_file,  # noqa: F401 - the fixture
    looked_up,
    make_token,
    notice_hash,
    post_decision,
    raw_rows,
    sha256,
)
from tests.conftest import new_subject

pytestmark = pytest.mark.usefixtures("shop_file")

STATIC = Path(__file__).resolve().parents[2] / "static"
ONLY_THIRD = {"persistent": False, "third_party": True}


# --- actions ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["reject_all", "custom"])
@pytest.mark.parametrize("named", [True, False], ids=["subject", "no-subject"])
def test_a_first_decision_that_grants_nothing_is_a_refusal(
    record: Record, client: FlaskClient, method: str, named: bool
) -> None:
    fields = {"subject": new_subject()} if named else {}

    rv = record(choices=NONE, method=method, layer="first", **fields)

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["action"] == "refuse"
    assert rv.json["receipt"]["choices"] == {"session": True, **NONE}
    assert looked_up(client, rv.json["receipt"]["subject"])["action"] == "refuse"


@pytest.mark.parametrize(
    "choices", [SOME, ONLY_THIRD, ALL], ids=["some", "third", "all"]
)
@pytest.mark.parametrize("named", [True, False], ids=["subject", "no-subject"])
def test_a_first_decision_that_grants_an_optional_category_is_a_grant(
    record: Record, choices: dict[str, bool], named: bool
) -> None:
    fields = {"subject": new_subject()} if named else {}

    rv = record(choices=choices, layer="preferences", **fields)

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["action"] == "grant"


@pytest.mark.parametrize(
    ("before", "after", "action"),
    [
        (NONE, SOME, "update"),
        (SOME, ALL, "update"),
        (ALL, ONLY_THIRD, "update"),
        (SOME, NONE, "withdraw"),
        (NONE, NONE, "update"),
    ],
    ids=["refused-then-granted", "more", "other", "withdrawn", "refused-again"],
)
def test_a_later_decision_is_an_update_or_a_withdrawal(
    record: Record,
    before: dict[str, bool],
    after: dict[str, bool],
    action: str,
) -> None:
    first = record(choices=before, subject=new_subject())
    assert first.status_code == 201

    rv = record(choices=after, token=first.json["token"], layer="preferences")

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["action"] == action
    assert rv.json["receipt"]["previous"] == first.json["receipt"]["id"]


def test_staff_find_refusals_by_their_action(
    record: Record, client: FlaskClient, auditor: dict[str, str]
) -> None:
    refusal = record(choices=NONE, method="reject_all")
    assert record(choices=SOME).status_code == 201

    rv = client.get("/v1/admin/receipts?action=refuse", headers=auditor)

    assert rv.status_code == 200, rv.json
    assert [r["id"] for r in rv.json["items"]] == [refusal.json["receipt"]["id"]]


# --- methods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "choices", [SOME, ONLY_THIRD, NONE], ids=["some", "third", "none"]
)
def test_accept_all_that_leaves_an_optional_category_off_is_a_422(
    record: Record, app: Flask, choices: dict[str, bool]
) -> None:
    rv = record(choices=choices, method="accept_all", layer="first")

    body = assert_problem(rv, 422, "validation-error")
    assert "method" in body["errors"]
    assert count_rows(app)[0] == 0


@pytest.mark.parametrize(
    "choices", [SOME, ONLY_THIRD, ALL], ids=["some", "third", "all"]
)
def test_reject_all_that_grants_an_optional_category_is_a_422(
    record: Record, app: Flask, choices: dict[str, bool]
) -> None:
    rv = record(choices=choices, method="reject_all", layer="first")

    body = assert_problem(rv, 422, "validation-error")
    assert "method" in body["errors"]
    assert count_rows(app)[0] == 0


GPC = {
    "header": ({"Sec-GPC": "1"}, {}),
    "body": (None, {"gpc": True}),
}


@pytest.mark.parametrize("signal", list(GPC))
def test_accept_all_under_gpc_leaves_the_gpc_categories_off(
    client: FlaskClient, signal: str
) -> None:
    """shop's GPC signal turns ``analytics`` off and leaves ``preferences``."""
    headers, fields = GPC[signal]

    rv = post_decision(
        client,
        SHOP,
        {"analytics": False, "preferences": True},
        headers=headers,
        method="accept_all",
        layer="first",
        **fields,
    )

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    receipt = rv.json["receipt"]
    assert receipt["gpc"] is True and receipt["method"] == "accept_all"
    assert receipt["choices"] == {
        "necessary": True,
        "analytics": False,
        "preferences": True,
    }


@pytest.mark.parametrize(
    ("signal", "choices"),
    [
        ("body", {"analytics": True, "preferences": True}),
        ("body", {"analytics": False, "preferences": False}),
        ("header", {"analytics": False, "preferences": False}),
        ("body", {"analytics": True, "preferences": False}),
        ("header", {"analytics": True, "preferences": False}),
    ],
    ids=[
        "body-gpc-category-on",
        "body-other-off",
        "header-other-off",
        "body-both-wrong",
        "header-both-wrong",
    ],
)
def test_accept_all_under_gpc_that_does_not_match_it_is_a_422(
    client: FlaskClient, app: Flask, signal: str, choices: dict[str, bool]
) -> None:
    headers, fields = GPC[signal]

    rv = post_decision(
        client, SHOP, choices, headers=headers, method="accept_all", **fields
    )

    body = assert_problem(rv, 422, "validation-error")
    assert "method" in body["errors"]
    assert count_rows(app)[0] == 0


def test_a_gpc_header_the_page_did_not_see_lets_accept_all_grant_everything(
    client: FlaskClient,
) -> None:
    """Only the request carried Sec-GPC; the page's "accept all" granted all."""
    rv = post_decision(
        client,
        SHOP,
        {"analytics": True, "preferences": True},
        headers={"Sec-GPC": "1"},
        method="accept_all",
        layer="first",
    )
    assert rv.status_code == 201, rv.json
    assert rv.json["receipt"]["gpc"] is True


def test_without_gpc_accept_all_grants_the_gpc_categories_too(
    client: FlaskClient, app: Flask
) -> None:
    rv = post_decision(
        client,
        SHOP,
        {"analytics": False, "preferences": True},
        headers={"Sec-GPC": "0"},
        method="accept_all",
    )

    body = assert_problem(rv, 422, "validation-error")
    assert "method" in body["errors"]
    assert count_rows(app)[0] == 0


# --- banner builds ------------------------------------------------------------------


def test_a_banner_build_the_service_never_served_is_a_422(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    """The issue stored whatever the client sent (``deadbeef...``)."""
    served = current_build(client)  # one build is served; this is not it

    rv = record(choices=SOME, banner_build="deadbeef" * 8, layer="first")

    body = assert_problem(rv, 422, "validation-error")
    assert "banner_build" in body["errors"]
    assert count_rows(app) == (0, 0)
    wait_for_archiving(app)
    assert {r["hash"] for r in raw_rows(app, "banner_builds")} <= {served}


def test_the_served_build_is_accepted_and_archived(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    build = current_build(client)
    bundle = built_scripts().decode("utf-8")  # banner.js, then prefs.js
    assert build == sha256(bundle)

    first = record(choices=SOME, banner_build=build, layer="first")
    again = record(choices=ALL, banner_build=build, method="accept_all", layer="first")

    assert first.status_code == again.status_code == 201, first.json
    assert first.mimetype == "application/json"
    assert first.json["receipt"]["banner_build"] == build
    rows = raw_rows(app, "banner_builds")
    assert [(r["hash"], r["content"]) for r in rows] == [(build, bundle)]


def _served_build(app: Flask, client: FlaskClient, static: Path) -> tuple[str, str]:
    """Serve a bundle from ``static``, then deploy another one there.

    Returns the hashes of the build served before the deploy and of the new one.
    """
    app.static_folder = str(static)
    static.mkdir()
    for name in ("banner.js", "prefs.js"):
        shutil.copy(STATIC / name, static / name)
    old = current_build(client)
    bundle = static / "banner.js"
    bundle.write_text(bundle.read_text(encoding="utf-8") + "\n// next release\n")
    later = os.stat(bundle).st_mtime + 10
    os.utime(bundle, (later, later))
    new = current_build(client)
    assert new != old
    return old, new


def _known_soon(app: Flask, build: str) -> bool:
    """Whether the service knows the build (it may archive what it serves in the
    background)."""
    from consent_server.archives import is_known_build

    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        with app.app_context():
            if is_known_build(build):
                return True
        time.sleep(0.05)
    return False


def test_a_build_served_before_a_deploy_is_still_accepted(
    record: Record, client: FlaskClient, app: Flask, tmp_path: Path
) -> None:
    """A banner's offline queue delivers a decision made before the deploy."""
    old, _ = _served_build(app, client, tmp_path / "static")
    _known_soon(app, old)

    rv = record(choices=SOME, banner_build=old, layer="first")

    assert rv.status_code == 201, rv.json
    assert rv.json["receipt"]["banner_build"] == old


def test_staff_fetch_a_served_build_by_its_hash(
    record: Record, client: FlaskClient, app: Flask, auditor: dict[str, str]
) -> None:
    build = current_build(client)
    assert record(choices=SOME, banner_build=build).status_code == 201

    rv = client.get(f"/v1/admin/banner-builds/{build}", headers=auditor)

    assert rv.status_code == 200
    assert rv.mimetype in {"text/javascript", "application/javascript"}
    assert sha256(rv.get_data(as_text=True)) == build
    assert rv.data == built_scripts()


# --- decisions of the page's script -------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "sent", "kept"),
    [
        ("api", False, False),
        ("api", True, True),
        ("api", None, None),
        ("first", True, None),
        ("preferences", False, None),
    ],
    ids=["api-no-gesture", "api-gesture", "api-unknown", "first", "preferences"],
)
def test_user_activation_is_kept_for_layer_api_only(
    record: Record, app: Flask, layer: str, sent: bool | None, kept: bool | None
) -> None:
    fields: dict[str, Any] = {} if sent is None else {"user_activation": sent}

    rv = record(choices=SOME, layer=layer, **fields)

    assert rv.status_code == 201, rv.json
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["user_activation"] is kept
    (row,) = raw_rows(app, "receipts")
    assert (
        None if row["user_activation"] is None else bool(row["user_activation"])
    ) is kept


def test_a_recorded_decision_has_no_build_and_no_user_activation(
    client: FlaskClient, app: Flask
) -> None:
    recorder = bearer(make_token(app, "crm", "recorder", ["default"]))

    rv = client.post(
        "/v1/sites/default/consents",
        json={
            "subject": "customer-17",
            "notice": notice_hash(client),
            "choices": SOME,
            "method": "api",
            "layer": "api",
        },
        headers=recorder,
    )

    assert rv.status_code == 201, rv.json
    assert rv.json["receipt"]["banner_build"] is None
    assert rv.json["receipt"]["user_activation"] is None
