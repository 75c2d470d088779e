"""Staff authentication and roles: bearer tokens on the API, one role check for both.

The API authenticates each request by its bearer token, the UI by its session
(``ui.session``); both leave the staff member in ``g.staff`` for ``require_role``.
"""

from __future__ import annotations

import logging

from flask import Response, current_app, g, request
from limits import RateLimitItem, parse

from ..errors import Forbidden, problem_response
from ..extensions import limiter
from ..staff import Staff, authenticate

log = logging.getLogger(__name__)

SECURITY_SCHEME = "staffToken"
SECURITY: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if there is one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _failures() -> tuple[RateLimitItem, str, str] | None:
    """The failed-sign-in limit of this client, or None when limits are off."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    from ..api.limits import client_key

    return (
        parse(current_app.config["CONSENT_RATELIMIT_STAFF_AUTH"]),
        "staff-auth",
        client_key(),
    )


def too_many_failures() -> bool:
    """Whether this client used up its failed staff authentications (issue #10).

    A client guessing tokens is stopped before the guess is checked; the limit
    also keeps it from filling the audit log. An unreachable limit storage never
    locks staff out (it is logged).
    """
    failures = _failures()
    if failures is None:
        return False
    item, scope, client = failures
    try:
        return not limiter.limiter.test(item, scope, client)
    except Exception as exc:  # the storage, not the request, failed
        log.warning("rate limit storage unavailable for staff sign-in: %s", exc)
        return False


def count_failure() -> None:
    """Count one failed staff authentication of this client."""
    failures = _failures()
    if failures is None:
        return
    item, scope, client = failures
    try:
        limiter.limiter.hit(item, scope, client)
    except Exception as exc:
        log.warning("rate limit storage unavailable for staff sign-in: %s", exc)


def too_many_failures_response() -> Response:
    return problem_response(
        429,
        "Too Many Requests",
        "Too many failed staff authentications from this client; try again later.",
        "rate-limited",
        headers={"Retry-After": "60", "Cache-Control": "no-store"},
    )


def authenticate_request() -> Response | None:
    """``before_request`` of the staff API: a valid token or a 401 problem."""
    g.staff = None
    if too_many_failures():
        return too_many_failures_response()
    token = bearer_token()
    staff = authenticate(token)
    if staff is None:
        count_failure()
        challenge = 'Bearer realm="consent-admin"'
        if token is not None:
            challenge += ', error="invalid_token"'
        detail = (
            "The staff token is not valid or has been revoked."
            if token is not None
            else "Send a staff token: 'Authorization: Bearer <token>'."
        )
        return problem_response(
            401,
            "Unauthorized",
            detail,
            "unauthorized",
            headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
        )
    g.staff = staff
    return None


def current_staff() -> Staff:
    """The signed-in staff member of this request (API or UI)."""
    staff: Staff = g.staff
    return staff


def require_role(role: str, action: str) -> Staff:
    """The current staff member, when their role covers ``role``.

    :param action: what the request does, for the refusal: "erase subjects".
    :raises Forbidden: the role is too weak.
    """
    staff = current_staff()
    if not staff.may(role):
        raise Forbidden(
            f"Your role ({staff.role}) may not {action}; it needs the {role} role."
        )
    return staff
