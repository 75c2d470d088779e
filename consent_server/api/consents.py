"""Recording and looking up visitors' decisions."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..context import gpc_signal, page_origin, reduce_user_agent, truncate_ip
from ..errors import NotFound, ValidationFailed, require_json
from ..extensions import limiter
from ..receipts import RequestContext, current_receipt, is_valid, record_decision
from ..schemas import (
    SUBJECT_RE,
    ConsentCreatedSchema,
    ConsentCreateSchema,
    ConsentLookupSchema,
    ConsentQueryArgsSchema,
)
from ..sites import get_site

blp = Blueprint(
    "consents",
    __name__,
    url_prefix="/v1/sites/<site>/consents",
    description="Record and look up consent decisions (public)",
)
blp.before_request(require_json)

_IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _record_limit() -> str:
    limit: str = current_app.config["CONSENT_RATELIMIT_RECORD"]
    return limit


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY_RE.match(key):
        raise ValidationFailed(
            "The Idempotency-Key header must be 1-128 letters, digits or ._:-",
            {"Idempotency-Key": ["Invalid header value."]},
        )
    return key


def _request_context() -> RequestContext:
    return RequestContext(
        origin=page_origin(request.headers.get("Origin"), request.referrer),
        user_agent=reduce_user_agent(request.user_agent.string),
        ip_prefix=truncate_ip(request.remote_addr),
        gpc_header=gpc_signal(request.headers.get("Sec-GPC")),
    )


@blp.route("")
class ConsentsView(MethodView):
    decorators = [limiter.limit(_record_limit, methods=["POST"])]

    @blp.arguments(ConsentCreateSchema())
    @blp.response(201, ConsentCreatedSchema())
    @blp.doc(
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "pattern": _IDEMPOTENCY_KEY_RE.pattern},
                "description": "Retries with the same key return the same receipt.",
            }
        ]
    )
    def post(self, data: dict[str, Any], site: str) -> dict[str, Any]:
        """Record a decision and return its receipt and signed token.

        `choices` names every optional category of the notice; required ones may be
        left out and are always granted. A retry with the same `id` or
        `Idempotency-Key` returns the receipt of the first try.
        """
        site_obj = get_site(site)
        receipt = record_decision(
            site_obj, data, _request_context(), _idempotency_key()
        )
        return {"receipt": receipt, "token": receipt.token}


@blp.route("/<subject>")
class ConsentView(MethodView):
    @blp.arguments(ConsentQueryArgsSchema(), location="query")
    @blp.response(200, ConsentLookupSchema())
    def get(self, args: dict[str, Any], site: str, subject: str) -> dict[str, Any]:
        """The subject's current decision; `?category=` adds whether it is granted."""
        site_obj = get_site(site)
        if not re.match(SUBJECT_RE, subject):
            raise ValidationFailed(
                "The subject id is not valid.",
                {"subject": ["Must be a UUID or an id of 1 to 128 safe characters."]},
            )
        category = args.get("category")
        if category is not None and category not in site_obj.category_ids:
            raise ValidationFailed(
                "Unknown category.",
                {"category": [f"This site has {site_obj.category_ids}."]},
            )
        receipt = current_receipt(site_obj.id, subject)
        if receipt is None:
            raise NotFound(f"No decision is recorded for this subject on {site!r}.")
        valid = is_valid(site_obj, receipt)
        answer: dict[str, Any] = {
            "receipt": receipt,
            "choices": receipt.choices,
            "valid": valid,
        }
        if category is not None:
            answer["granted"] = valid and bool(receipt.choices.get(category))
        return answer
