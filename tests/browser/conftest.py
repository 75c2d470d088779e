"""Browser tests: a threaded live server of the real app and a system Chromium.

Chromium comes from the OS (``apt-get install chromium``), never from a download;
CONSENT_TEST_CHROMIUM names another executable. Every test gets a fresh browser
context (pytest-playwright's ``page``), so no cookie leaks between tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, send_from_directory
from werkzeug.serving import BaseWSGIServer, make_server

from consent_server import create_app
from consent_server.extensions import db

from ..conftest import TEST_KEYS, TEST_SIGNING_KEYS
from ..support import CHROMIUM, CHROMIUM_FLAGS

PAGES_DIR = Path(__file__).parent / "pages"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "no_reload: the live server's default site has reload_on_withdraw off",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@dataclass
class LiveServer:
    url: str
    app: Flask
    server: BaseWSGIServer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def add_test_pages(app: Flask) -> None:
    """Serve tests/browser/pages/ under /test-pages/ (fixture pages, never in prod)."""

    def page(filename: str) -> Any:
        response = send_from_directory(PAGES_DIR, filename, max_age=0)
        if filename.endswith(".html"):
            # Strict CSP on every fixture page: the banner must not need more.
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; frame-ancestors 'self'"
            )
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    app.add_url_rule("/test-pages/<path:filename>", "test_pages", page)


def start_server(app: Flask) -> LiveServer:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", app, server)


@pytest.fixture
def live_config(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """create_app overrides for the live server; tests may extend them.

    Marked ``no_reload``: a withdrawal does not reload the page, for tests about
    something else that a reload would cut short.
    """
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "CONSENT_SECRET_KEYS": list(TEST_KEYS),
        "CONSENT_SIGNING_KEYS": list(TEST_SIGNING_KEYS),
        "CONSENT_RATELIMIT_ENABLED": False,
    }
    if request.node.get_closest_marker("no_reload"):
        site = write_site_file(tmp_path / "no-reload.json", reload_on_withdraw=False)
        config["CONSENT_SITES_FILE"] = str(site)
    return config


@pytest.fixture
def make_live_server(
    tmp_path: Path,
) -> Iterator[Callable[[dict[str, Any]], LiveServer]]:
    started: list[LiveServer] = []

    def _make(config: dict[str, Any]) -> LiveServer:
        app = create_app(config)
        add_test_pages(app)
        with app.app_context():
            db.create_all()
        live = start_server(app)
        started.append(live)
        return live

    yield _make
    for live in started:
        live.stop()
        with live.app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(
    make_live_server: Callable[[dict[str, Any]], LiveServer],
    live_config: dict[str, Any],
) -> LiveServer:
    return make_live_server(live_config)


# --- Banner tests: site files, receipts and request records ---------------------------

BANNER_BUTTONS = ("Accept all", "Reject all", "Preferences")
# The default site's services, in its third_party category: decisions cover both levels.
SERVICES_ON = {"analytics": True, "video": True}
SERVICES_OFF = {"analytics": False, "video": False}


def write_site_file(path: Path, **overrides: Any) -> Path:
    """A JSON site file: the built-in ``default`` site with ``overrides``."""
    import copy
    import json

    from consent_server.default_site import DEFAULT_SITE

    site = copy.deepcopy(DEFAULT_SITE)
    site.update(copy.deepcopy(overrides))
    path.write_text(json.dumps({"sites": {"default": site}}), encoding="utf-8")
    return path


@pytest.fixture
def receipts(live_server: LiveServer) -> Callable[[], list[Any]]:
    """Receipts stored by the live server, oldest first."""
    from consent_server.models import Receipt

    def _receipts() -> list[Any]:
        with live_server.app.app_context():
            query = db.select(Receipt).order_by(Receipt.created_at)
            rows = db.session.scalars(query).all()
            db.session.expunge_all()
            return list(rows)

    return _receipts


@pytest.fixture
def requests_log(page: Any) -> list[Any]:
    """Every request the page makes, in order (playwright Request objects)."""
    log: list[Any] = []

    def record(request: Any) -> None:
        log.append(request)

    page.on("request", record)
    return log


CONSENTS_POST = "**/v1/sites/*/consents"
CONFIRMED = "() => window.consent.get()?.pending === false"


def is_consent_post(response: Any) -> bool:
    return bool(
        response.request.method == "POST"
        and response.url.split("?")[0].endswith("/consents")
    )


def decide_and_confirm(page: Any, button: Any) -> Any:
    """Click a decision button; wait for the server's 201 and the confirmed record."""
    with page.expect_response(is_consent_post) as info:
        button.click()
    assert info.value.status == 201
    page.wait_for_function(CONFIRMED)
    return info.value


def ran(page: Any, flag: str) -> Any:
    """How often a gated fixture script ran (window.<flag>), None when never."""
    return page.evaluate(f"window.{flag} ?? null")
