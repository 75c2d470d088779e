"""consent_server.gate on a small site backend: no network, no database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, render_template_string

from consent_server.gate import ConsentGate, consent_granted, consent_required
from tests.support import cookie_token

KEYS = ["gate-key-newest-0123456789abcdef", "gate-key-older-0123456789abcdef"]
POLICY = "2026-01"


def token(
    granted: bool = True,
    keys: list[str] | None = None,
    site: str = "default",
    policy_version: str = POLICY,
    expires_in: timedelta = timedelta(days=30),
) -> str:
    return cookie_token(
        keys or KEYS,
        third_party=granted,
        site=site,
        policy_version=policy_version,
        expires_in=expires_in,
    )


@pytest.fixture
def site_app() -> Flask:
    """A site's own backend using the gate."""
    app = Flask("site_backend")
    app.config["TESTING"] = True
    ConsentGate(app, secret_keys=KEYS, site="default", policy_version=POLICY)

    @app.get("/analytics")
    @consent_required("third_party")
    def analytics() -> str:
        return "tracking"

    @app.get("/page")
    def page() -> str:
        return render_template_string(
            '{% if consent_granted("third_party") %}<script src="/ga.js"></script>'
            "{% else %}no trackers{% endif %}"
        )

    return app


def get(app: Flask, path: str, cookie: str | None) -> Any:
    # A raw header, as a browser sends it (set_cookie warns about oversized values).
    headers = {"Cookie": f"consent={cookie}"} if cookie is not None else {}
    return app.test_client(use_cookies=False).get(path, headers=headers)


def test_view_without_a_cookie_is_forbidden(site_app: Flask) -> None:
    rv = get(site_app, "/analytics", None)
    assert rv.status_code == 403
    assert b"third_party" in rv.data


def test_view_with_a_denying_cookie_is_forbidden(site_app: Flask) -> None:
    assert get(site_app, "/analytics", token(granted=False)).status_code == 403


def test_view_with_a_granting_cookie_runs(site_app: Flask) -> None:
    rv = get(site_app, "/analytics", token(granted=True))
    assert rv.status_code == 200
    assert rv.text == "tracking"


def test_granting_cookie_signed_with_the_older_key_still_counts(
    site_app: Flask,
) -> None:
    assert get(site_app, "/analytics", token(keys=[KEYS[1]])).status_code == 200


def test_template_renders_gated_script_only_with_consent(site_app: Flask) -> None:
    assert (
        get(site_app, "/page", token(granted=True)).text
        == '<script src="/ga.js"></script>'
    )
    assert get(site_app, "/page", token(granted=False)).text == "no trackers"
    assert get(site_app, "/page", None).text == "no trackers"


def _tampered() -> str:
    head, signature = token(granted=False).rsplit(".", 1)
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(_tampered, id="tampered"),
        pytest.param(lambda: "garbage", id="garbage"),
        pytest.param(lambda: token()[:40], id="truncated"),
        pytest.param(
            lambda: token(keys=["someone-elses-key-0123456789"]), id="foreign-key"
        ),
        pytest.param(lambda: token(site="other-site"), id="foreign-site"),
        pytest.param(lambda: token(policy_version="2025-01"), id="outdated-policy"),
        pytest.param(lambda: token(expires_in=timedelta(seconds=-1)), id="expired"),
        pytest.param(lambda: "x" * 5000, id="oversized"),
    ],
)
def test_untrustworthy_cookie_counts_as_no_consent(
    site_app: Flask, cookie: Any
) -> None:
    value = cookie()
    assert get(site_app, "/analytics", value).status_code == 403
    assert get(site_app, "/page", value).text == "no trackers"


def _configured_app(keys: Any) -> Flask:
    app = Flask("configured")
    app.config["CONSENT_SECRET_KEYS"] = keys
    ConsentGate(app, policy_version=POLICY)

    @app.get("/analytics")
    @consent_required("third_party")
    def analytics() -> str:
        return "tracking"

    return app


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(KEYS, id="list"),
        pytest.param(",".join(KEYS), id="comma-separated"),
        pytest.param(f" {KEYS[0]} , {KEYS[1]} ,", id="spaces-and-blanks"),
    ],
)
def test_gate_takes_keys_from_the_app_config(keys: Any) -> None:
    app = _configured_app(keys)
    # Either key verifies: the string was split like CONSENT_SECRET_KEYS is.
    assert get(app, "/analytics", token(keys=[KEYS[0]])).status_code == 200
    assert get(app, "/analytics", token(keys=[KEYS[1]])).status_code == 200


def test_gate_without_keys_refuses_to_start() -> None:
    with pytest.raises(RuntimeError, match="secret_keys"):
        ConsentGate(Flask("keyless"), policy_version=POLICY)


def test_gate_needs_a_policy_version() -> None:
    with pytest.raises(TypeError, match="policy_version"):
        ConsentGate(secret_keys=KEYS, site="default")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="policy_version"):
        ConsentGate(secret_keys=KEYS, site="default", policy_version="")


def test_gate_without_init_app_says_so() -> None:
    app = Flask("forgotten")

    @app.get("/")
    def index() -> str:
        return str(consent_granted("third_party"))

    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError, match="init_app"):
        app.test_client().get("/")


def test_one_gate_serves_two_apps_with_their_own_keys() -> None:
    gate = ConsentGate(policy_version=POLICY)
    first, second = Flask("first"), Flask("second")
    first.config["CONSENT_SECRET_KEYS"] = [KEYS[0]]
    second.config["CONSENT_SECRET_KEYS"] = ["second-app-key-0123456789abcdef"]
    for app in (first, second):
        gate.init_app(app)
        app.add_url_rule("/", "index", lambda: str(consent_granted("third_party")))
    assert get(first, "/", token(keys=[KEYS[0]])).text == "True"
    assert get(second, "/", token(keys=[KEYS[0]])).text == "False"


def test_consent_granted_outside_a_request_is_false() -> None:
    assert consent_granted("third_party") is False
