"""Staff authentication: bearer tokens on the API, roles, and their problems."""

from __future__ import annotations

from flask import Response, g, request

from ..errors import Problem, problem_response
from ..staff import Staff, authenticate

SECURITY_SCHEME = "staffToken"
SECURITY: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]


class Forbidden(Problem):
    status = 403
    type = "forbidden"
    title = "Forbidden"


def bearer_token() -> str | None:
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
    staff: Staff = g.staff
    return staff


def require_role(role: str) -> Staff:
    """The current staff member, or a 403 problem when the role is too weak."""
    staff = current_staff()
    if not staff.may(role):
        raise Forbidden(f"This needs the {role!r} role; the token has {staff.role!r}.")
    return staff
