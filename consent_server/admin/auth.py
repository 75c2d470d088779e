"""Staff authentication and roles: bearer tokens on the API, one role check for both.

The API authenticates each request by its bearer token, the UI by its session
(``ui.session``); both leave the staff member in ``g.staff`` for ``require_role``.
"""

from __future__ import annotations

from flask import Response, g, request

from ..errors import Forbidden, problem_response
from ..staff import Staff, authenticate

SECURITY_SCHEME = "staffToken"
SECURITY: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if there is one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate_request() -> Response | None:
    """``before_request`` of the staff API: a valid token or a 401 problem."""
    g.staff = None
    token = bearer_token()
    staff = authenticate(token)
    if staff is None:
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
