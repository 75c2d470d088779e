"""Recording and looking up visitors' decisions."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request

from .. import audit
from ..admin.auth import bearer_token, count_failure, too_many_failures
from ..blueprint import Blueprint, parse
from ..context import gpc_signal, page_origin, reduce_user_agent, truncate_ip
from ..errors import Forbidden, Problem, Unauthorized, require_json
from ..extensions import db, limiter
from ..lookup import lookup_decision
from ..receipts import RequestContext, record_decision
from ..schemas import (
    ConsentCreatedSchema,
    ConsentCreateSchema,
    ConsentHeadersSchema,
    ConsentLookupSchema,
    ConsentQueryArgsSchema,
    SubjectPathSchema,
)
from ..sites import Site, get_site
from ..staff import Staff, authenticate
from ..vocabulary import SUBJECT_RE
from .limits import client_key, lookup_limit, record_limit

blp = Blueprint(
    "consents",
    __name__,
    url_prefix="/v1/sites/<site>/consents",
    description="Record and look up consent decisions (public)",
)
blp.before_request(require_json)


@blp.after_request
def _audit_recorders(response: Response) -> Response:
    """A recorder integration is staff: its requests go to the audit log."""
    if g.get("staff") is not None:
        return audit.record_request(response, "api")
    return response


class TooManyFailures(Problem):
    status = 429
    type = "rate-limited"
    title = "Too Many Requests"


def _request_context() -> RequestContext:
    return RequestContext(
        origin=page_origin(request.headers.get("Origin"), request.referrer),
        user_agent=reduce_user_agent(request.user_agent.string),
        ip_prefix=truncate_ip(request.remote_addr),
        gpc_header=gpc_signal(request.headers.get("Sec-GPC")),
    )


def _recorder(site: Site) -> Staff | None:
    """The recorder integration behind an ``Authorization: Bearer`` header, if any.

    :raises Unauthorized: the token is not valid.
    :raises Forbidden: it is not a recorder of this site.
    """
    token = bearer_token()
    if token is None:
        return None
    if too_many_failures():
        raise TooManyFailures("Too many failed staff authentications; try later.")
    staff = authenticate(token)
    db.session.commit()  # end the read, before recording switches to autocommit
    if staff is None:
        count_failure()
        raise Unauthorized(
            "The staff token is not valid or has been revoked.",
            headers={
                "WWW-Authenticate": 'Bearer realm="consent", error="invalid_token"'
            },
        )
    g.staff = staff
    if not staff.may_record(site.id):
        raise Forbidden(f"This token may not record decisions for {site.id!r}.")
    return staff


DECISION = ConsentCreateSchema()
DECISION_HEADERS = ConsentHeadersSchema()
RECORDED = ConsentCreatedSchema()


@blp.route("", methods=["POST"])
@blp.documents(
    body=DECISION,
    headers=DECISION_HEADERS,
    answer=(201, RECORDED),
    errors=(403, 409, 413, 429, 503),
)
@limiter.limit(record_limit, key_func=client_key)
def record(site: str) -> tuple[dict[str, Any], int]:
    """Record a decision and return its receipt, signed token and JWS.

    `choices` names every optional category of the notice; required ones may be
    left out and are always granted. A subject's first decision needs no proof
    (omit `subject`, or send a random UUID); every later one carries a token of
    the subject in `token` (403 without). Other subject ids come only from a
    recorder integration (`Authorization: Bearer`, role `recorder`, method
    `api`). A retry with the same `Idempotency-Key` (a random secret of the
    client) and decision returns the first receipt; any other reuse of a key or
    receipt id is a 409.
    """
    data = parse(DECISION)
    key = parse(DECISION_HEADERS, "headers").get("idempotency_key")
    site_obj = get_site(site)
    receipt = record_decision(
        site_obj, data, _request_context(), key, _recorder(site_obj)
    )
    answer = {"receipt": receipt, "token": receipt.token, "jws": receipt.jws}
    return RECORDED.dump(answer), 201


SUBJECT_PATH = SubjectPathSchema()
LOOKUP_QUERY = ConsentQueryArgsSchema()
LOOKUP_ANSWER = ConsentLookupSchema()


@blp.route(
    "/<subject>",
    parameters=[
        {
            "in": "path",
            "name": "subject",
            "required": True,
            "schema": {"type": "string", "pattern": SUBJECT_RE},
        }
    ],
)
@blp.documents(query=LOOKUP_QUERY, answer=(200, LOOKUP_ANSWER), errors=(429, 503))
@limiter.limit(lookup_limit, key_func=client_key)
def lookup(site: str, subject: str) -> dict[str, Any]:
    """The subject's current decision; `?category=` adds whether it is granted.

    Only the decision: never the network context, banner build or token.
    """
    parse(SUBJECT_PATH, "path")
    category = parse(LOOKUP_QUERY, "query").get("category")
    answer: dict[str, Any] = LOOKUP_ANSWER.dump(
        lookup_decision(get_site(site), subject, category)
    )
    return answer
