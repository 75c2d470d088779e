"""Site notices: what the banner shows, as JSON."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView

from ..archives import archive_served, policy_row
from ..blueprint import Blueprint
from ..errors import NotFound
from ..schemas import NoticeQueryArgsSchema, NoticeSchema
from ..sites import get_site

blp = Blueprint(
    "sites", __name__, url_prefix="/v1/sites", description="Site notices (public)"
)


@blp.route("/<site>/notice")
class NoticeView(MethodView):
    @blp.arguments(NoticeQueryArgsSchema(), location="query")
    @blp.response(200, NoticeSchema())
    def get(self, args: dict[str, Any], site: str) -> dict[str, Any]:
        """The site's notice: categories, texts and policy version, with its hash.

        `?lang=` picks the language (`de-AT` falls back to `de`, unknown ones to the
        site's default).
        """
        return get_site(site).notice(args.get("lang"))


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
