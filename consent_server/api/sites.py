"""Site notices: what the banner shows, as JSON."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, current_app, render_template, request
from flask.views import MethodView

from ..archives import archive_served, policy_row
from ..blueprint import Blueprint
from ..declaration import declaration, declaration_language
from ..declaration_schema import DeclarationSchema
from ..errors import NotFound
from ..notice_delivery import IMMUTABLE, banner_notice, notices_version
from ..notice_schemas import NoticeQueryArgsSchema, NoticeSchema
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
        With `?part=first` the answer is the notice's first layer alone, the object
        banner.js would inline for that language: what the banner shows before the
        preferences (which fetch the whole notice when they open). ETag-cacheable.
        """
        site_obj = get_site(site)
        whole = site_obj.notice(args.get("lang"))
        notice = (
            banner_notice(whole)
            if args.get("part") == "first"
            else NoticeSchema().dump(whole)
        )
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


# One URL, two shapes and many languages: caches must key on both headers.
VARY = "Accept, Accept-Language"


# The declaration loads the site's banner (for its preferences button) and its own
# stylesheet; it may be framed by the site's own origins.
def _declaration_csp(origins: list[str]) -> str:
    ancestors = " ".join(["'self'", *origins])
    return (
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


@blp.route("/<site>/cookies")
class CookieDeclarationView(MethodView):
    @blp.arguments(NoticeQueryArgsSchema(), location="query")
    @blp.response(200, DeclarationSchema())
    @blp.doc(
        responses={
            "200": {
                "description": "The declaration: JSON on `Accept: application/json`, "
                "else an HTML page",
                "content": {
                    "application/json": {"schema": DeclarationSchema},
                    "text/html": {"schema": {"type": "string"}},
                },
            }
        }
    )
    @blp.alt_response(404, response="NOT_FOUND")
    def get(
        self, args: dict[str, Any], site: str
    ) -> Response | tuple[dict[str, Any], int, dict[str, str]]:
        """The site's cookie declaration: every cookie and storage key, by category.

        HTML (a page to link to or embed, with a button that opens the banner's
        preferences), or JSON with `Accept: application/json`. The language is
        `?lang=`, else the best of `Accept-Language`, else the site's default.
        """
        site_obj = get_site(site)
        lang = declaration_language(
            site_obj, args.get("lang"), (tag for tag, _ in request.accept_languages)
        )
        content = declaration(site_obj, lang)
        wants = request.accept_mimetypes.best_match(
            ["text/html", "application/json"], default="text/html"
        )
        if wants == "application/json":
            return content, 200, {"Vary": VARY}
        notice = site_obj.notice(lang)
        page = render_template(
            "declaration/cookies.html",
            d=content,
            t=notice["texts"],
            kinds=_kind_names(notice["texts"]),
            names=lambda codes: ", ".join(
                content["countries"].get(c, c) for c in codes
            ),
        )
        response = Response(page, mimetype="text/html")
        response.headers["Content-Security-Policy"] = _declaration_csp(
            site_obj.config["allowed_origins"]
        )
        # Browsers that know frame-ancestors ignore this; older ones stay safe.
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Vary"] = VARY
        return response


def _kind_names(texts: dict[str, str]) -> dict[str, str]:
    return {
        "cookie": texts["kindCookie"],
        "local_storage": texts["kindLocalStorage"],
        "session_storage": texts["kindSessionStorage"],
    }
