"""Automatic sealing by a thread of each app process (issue #12)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_server import create_app
from consent_server.config import ConfigError
from consent_server.log_sealer import EXTENSION, stop_log_sealer
from tests.api.helpers import Record


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "CONSENT_LOG_SEAL_INTERVAL": 0.2}


def test_decisions_are_sealed_within_the_interval(
    app: Flask, client: FlaskClient, record: Record
) -> None:
    try:
        assert record().status_code == 201
        assert record().status_code == 201
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rv = client.get("/v1/log/head")
            if rv.status_code == 200 and rv.json["tree_size"] == 2:
                break
            time.sleep(0.1)
        assert rv.status_code == 200 and rv.json["tree_size"] == 2
    finally:
        stop_log_sealer(app)


def test_the_first_request_starts_the_sealer_and_later_ones_skip_the_hook(
    app: Flask, client: FlaskClient
) -> None:
    hooks = list(app.before_request_funcs[None])
    try:
        client.get("/healthz")
        running = app.extensions[EXTENSION]
        assert running[1].is_alive()
        after_first = list(app.before_request_funcs[None])
        assert len(after_first) == len(hooks) - 1  # the start hook removed itself
        client.get("/healthz")
        assert app.extensions[EXTENSION] is running  # no second thread
    finally:
        stop_log_sealer(app)


def test_tests_seal_only_when_they_ask(tmp_path: Any) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "CONSENT_SECRET_KEYS": ["a-test-key-0123456789abcdef"],
        }
    )
    app.test_client().get("/healthz")
    assert EXTENSION not in app.extensions


def test_a_negative_interval_is_refused(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="CONSENT_LOG_SEAL_INTERVAL"):
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "CONSENT_SECRET_KEYS": ["a-test-key-0123456789abcdef"],
                "CONSENT_LOG_SEAL_INTERVAL": -1,
            }
        )


@pytest.mark.parametrize("every", ["0", "-5", "soon"])
def test_the_sealing_command_refuses_a_bad_interval(app: Flask, every: str) -> None:
    result = app.test_cli_runner().invoke(
        args=["consent", "log", "seal", "--every", every]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--every'" in result.output
