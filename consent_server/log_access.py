"""Who may read a receipt's inclusion proof: its subject, or staff.

The proof comes with the leaf and its salt, which open the leaf's salted hashes
of the subject's personal fields; so it goes to a visitor presenting a consent
token of that receipt's subject and site (``X-Consent-Token``), or to staff with
a bearer token (a recorder for its own sites only).
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from sqlalchemy import select

from .admin.auth import bearer_token, count_failure, too_many_failures
from .config import secret_keys
from .errors import Forbidden, NotFound, Problem, Unauthorized
from .extensions import db
from .models import Receipt
from .signing import TokenInvalid, read_token
from .staff import READING_ROLES, authenticate

TOKEN_HEADER = "X-Consent-Token"


class TooManyFailures(Problem):
    status = 429
    type = "rate-limited"
    title = "Too Many Requests"


def _receipt(receipt_id: str) -> Any:
    row = db.session.execute(
        select(Receipt.id, Receipt.site, Receipt.subject).where(
            Receipt.id == receipt_id
        )
    ).first()
    if row is None:
        raise NotFound("No receipt with this id.")
    return row


def authorize_proof(receipt_id: str) -> None:
    """Let the request read this receipt's proof, or raise the problem why not.

    :raises Unauthorized: neither a consent token nor a staff token was sent, or
        the staff token is not valid.
    :raises NotFound: no such receipt, or (for a visitor) not one of the
        token's subject: a visitor learns nothing about other receipts.
    :raises Forbidden: a recorder asking about another site's receipt.
    """
    g.staff = None
    staff_token = bearer_token()
    if staff_token is not None:
        if too_many_failures():
            raise TooManyFailures("Too many failed staff authentications; wait.")
        staff = authenticate(staff_token)
        if staff is None:
            count_failure()
            raise Unauthorized("The staff token is not valid or has been revoked.")
        g.staff = staff  # the request is audited (api/log.py)
        row = _receipt(receipt_id)
        if staff.role not in READING_ROLES and not staff.may_record(row.site):
            raise Forbidden("A recorder reads the receipts of its own sites only.")
        return
    token = request.headers.get(TOKEN_HEADER)
    if not token:
        raise Unauthorized(
            f"Send a consent token of the receipt's subject in '{TOKEN_HEADER}', "
            "or a staff token: 'Authorization: Bearer <token>'."
        )
    try:
        claims = read_token(secret_keys(), token)
    except TokenInvalid as exc:
        if exc.claims is None:  # an expired consent still proves the subject
            raise Unauthorized(f"The token in '{TOKEN_HEADER}' is not valid.") from None
        claims = exc.claims
    row = db.session.execute(
        select(Receipt.site, Receipt.subject).where(Receipt.id == receipt_id)
    ).first()
    if row is None or row.site != claims.site or row.subject != claims.subject:
        raise NotFound("No receipt with this id for this token's subject and site.")
