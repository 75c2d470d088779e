"""Recording and looking up visitors' decisions."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..context import gpc_signal, page_origin, reduce_user_agent, truncate_ip
from ..errors import require_json
from ..extensions import limiter
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
from ..sites import get_site

blp = Blueprint(
    "consents",
    __name__,
    url_prefix="/v1/sites/<site>/consents",
    description="Record and look up consent decisions (public)",
)
blp.before_request(require_json)


def _record_limit() -> str:
    limit: str = current_app.config["CONSENT_RATELIMIT_RECORD"]
    return limit


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
    @blp.arguments(ConsentHeadersSchema(), location="headers")
    @blp.response(201, ConsentCreatedSchema())
    def post(
        self, data: dict[str, Any], headers: dict[str, Any], site: str
    ) -> dict[str, Any]:
        """Record a decision and return its receipt and signed token.

        `choices` names every optional category of the notice; required ones may be
        left out and are always granted. A retry with the same `id` or
        `Idempotency-Key` returns the receipt of the first try.
        """
        receipt = record_decision(
            get_site(site), data, _request_context(), headers.get("idempotency_key")
        )
        return {"receipt": receipt, "token": receipt.token}


@blp.route("/<subject>")
class ConsentView(MethodView):
    @blp.arguments(SubjectPathSchema(), location="path")
    @blp.arguments(ConsentQueryArgsSchema(), location="query")
    @blp.response(200, ConsentLookupSchema())
    def get(
        self, path: dict[str, str], args: dict[str, Any], site: str, subject: str
    ) -> dict[str, Any]:
        """The subject's current decision; `?category=` adds whether it is granted."""
        return lookup_decision(get_site(site), path["subject"], args.get("category"))
