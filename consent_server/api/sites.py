"""Site notices: what the banner shows, as JSON."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from ..archives import archive_served, policy_row
from ..blueprint import Blueprint
from ..errors import NotFound
from ..notice_delivery import IMMUTABLE, notices_version
from ..schemas import NoticeQueryArgsSchema, NoticeSchema
from ..sites import get_site

blp = Blueprint(
    "sites", __name__, url_prefix="/v1/sites", description="Site notices (public)"
)


@blp.route("/<site>/notice")
class NoticeView(MethodView):
    @blp.arguments(NoticeQueryArgsSchema(), location="query")
    @blp.response(200, NoticeSchema())
    @blp.alt_response(304, description="Not modified (matching If-None-Match)")
    def get(self, args: dict[str, Any], site: str) -> Response:
        """The site's notice: categories, texts and policy version, with its hash.

        `?lang=` picks the language (`de-AT` falls back to `de`, unknown ones to the
        site's default). The banner fetches the notice of a page's `lang` here when
        banner.js inlined another one, with `?v=` its `notices_version`: that answer
        never changes, so it is cached for good and a returning visit asks nothing.
        ETag-cacheable.
        """
        site_obj = get_site(site)
        notice = NoticeSchema().dump(site_obj.notice(args.get("lang")))
        body = current_app.json.dumps(notice).encode()
        response = Response(body, mimetype="application/json")
        response.set_etag(hashlib.sha256(body).hexdigest()[:32])
        current = args.get("v") == notices_version(site_obj)
        response.headers["Cache-Control"] = (
            IMMUTABLE if current else "public, max-age=300"
        )
        # Fetched by the banner on other origins' pages (CORS allows the site's own).
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        response.make_conditional(request)
        return response


@blp.route("/<site>/policy")
class PolicyView(MethodView):
    @blp.response(
        200,
        content_type="text/plain",
        description="The policy document (text/plain, text/markdown or text/html, as "
        "its file name says); its SHA-256 is `policy_sha256` in the notice",
    )
    @blp.alt_response(304, description="Not modified (matching If-None-Match)")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, site: str) -> Response:
        """The site's current policy text, pinned by its SHA-256 in every notice."""
        site_obj = get_site(site)
        policy = site_obj.policy
        if policy is None:
            raise NotFound(f"The site {site!r} names no policy document.")
        archive_served("policy", policy_row(site_obj))
        response = Response(policy.text, mimetype=policy.media_type)
        response.set_etag(policy.sha256)
        response.headers["Cache-Control"] = "public, max-age=300"
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        response.make_conditional(request)
        return response
