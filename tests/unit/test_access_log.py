"""Gunicorn's access lines (gunicorn.conf.py): a client's network, never its
address, and no subject id from a path (issue #10)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from consent_server.access_log import AccessLogger, redact_path


def _atoms(remote_addr: str, path: str, query: str = "") -> dict[str, object]:
    environ = {
        "REMOTE_ADDR": remote_addr,
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}" if query else path,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_X_FORWARDED_FOR": "198.51.100.9",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=12)
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", "198.51.100.9")])
    atoms: dict[str, object] = AccessLogger(Config()).atoms(
        response, request, environ, timedelta(milliseconds=3)
    )
    return atoms


@pytest.mark.parametrize(
    ("address", "logged"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"),
        ("::ffff:203.0.113.77", "203.0.113.0/24"),
        ("unix-socket", "-"),
    ],
)
def test_an_access_line_has_the_clients_network_not_its_address(
    address: str, logged: str
) -> None:
    atoms = _atoms(address, "/healthz")

    assert atoms["h"] == logged
    assert "{x-forwarded-for}i" not in atoms
    assert "{http_x_forwarded_for}e" not in atoms


def test_an_access_line_has_no_subject_id() -> None:
    subject = "7d0c1f8e-5b7a-4c39-9a56-0d6f3e2b1a90"
    atoms = _atoms("203.0.113.77", f"/v1/sites/shop/consents/{subject}", "x=1")

    assert atoms["U"] == "/v1/sites/shop/consents/-"
    assert subject not in str(atoms["r"])


@pytest.mark.parametrize(
    ("path", "redacted"),
    [
        ("/v1/admin/subjects/victim-42", "/v1/admin/subjects/-"),
        ("/v1/sites/shop/consents", "/v1/sites/shop/consents"),
        ("/admin/subjects/erase", "/admin/subjects/erase"),
        ("/v1/sites/shop/banner.js", "/v1/sites/shop/banner.js"),
    ],
)
def test_only_the_subject_of_a_path_is_left_out(path: str, redacted: str) -> None:
    assert redact_path(path) == redacted
