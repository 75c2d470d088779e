"""The banner script with one notice's first layer inlined: one request renders it.

The notice is the one ``?lang=`` names, else the one ``Accept-Language`` picks (so the
response varies on it); a page whose ``lang`` picks another fetches that one's first
layer from the notice endpoint, and the preferences the whole notice
(notice_delivery.py) and prefs.js, the script of the preferences dialog
(banner_bundle.py).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView

from ..archives import archive_served, build_row
from ..banner_bundle import MAP_NAME, PREFS_MAP_NAME, BuiltFile, banner_bundle
from ..blueprint import Blueprint
from ..errors import NotFound
from ..notice_delivery import IMMUTABLE, accepted_language
from ..notice_schemas import BannerQueryArgsSchema, PrefsQueryArgsSchema
from ..sites import get_site, match_language

blp = Blueprint(
    "banner", __name__, url_prefix="/v1/sites", description="The banner script (public)"
)

CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"


def _cacheable(built: BuiltFile, mimetype: str) -> Response:
    """A public, ETag-validated answer (304 on a matching If-None-Match)."""
    response = Response(built.body, mimetype=mimetype)
    response.set_etag(built.etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    # Loaded as a classic script (and its map) by other origins' pages.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.make_conditional(request)
    return response


@blp.route("/<site>/banner.js")
class BannerView(MethodView):
    @blp.arguments(BannerQueryArgsSchema(), location="query")
    @blp.response(
        200,
        content_type="text/javascript",
        description="The banner script with the first layer of one notice inlined "
        "(`?lang=`, else the language `Accept-Language` picks, with "
        "`Vary: Accept-Language`) and the list of the site's languages",
    )
    @blp.alt_response(304, description="Not modified (matching If-None-Match)")
    def get(self, args: dict[str, Any], site: str) -> Response:
        """The banner script for a site, with one notice inlined; ETag-cacheable.

        The inlined notice is in the language `?lang=` names (a page in one language
        can name it), else in the first language of `Accept-Language` the site has
        (`de-AT` falls back to `de`), else in the site's default language.
        """
        site_obj = get_site(site)
        named = match_language(args.get("lang"), site_obj.config["languages"])
        lang = named or accepted_language(site_obj, request.accept_languages)
        response = _cacheable(banner_bundle().script(site_obj, lang), "text/javascript")
        if not named:
            response.vary.add("Accept-Language")
        # Keep every build the service serves (once per process, in the background).
        archive_served("build", build_row())
        # For devtools, instead of a sourceMappingURL comment in every download.
        response.headers["SourceMap"] = MAP_NAME
        return response


@blp.route("/<site>/banner.js.map")
class BannerMapView(MethodView):
    @blp.response(
        200,
        content_type="application/json",
        description="Source map of the banner script, shifted one line for the config",
    )
    @blp.alt_response(304, description="Not modified (matching If-None-Match)")
    def get(self, site: str) -> Response:
        """The banner's source map, lined up with the served script; ETag-cacheable."""
        get_site(site)  # 404 for an unknown site, like the script itself
        return _cacheable(banner_bundle().source_map(), "application/json")


@blp.route("/<site>/prefs.js")
class BannerPrefsView(MethodView):
    @blp.arguments(PrefsQueryArgsSchema(), location="query")
    @blp.response(
        200,
        content_type="text/javascript",
        description="The preferences dialog's script, loaded by banner.js from its own "
        "origin when a visitor first opens the preferences",
    )
    @blp.alt_response(304, description="Not modified (matching If-None-Match)")
    @blp.alt_response(404, description="Unknown site, or `b` is not the current build")
    def get(self, args: dict[str, Any], site: str) -> Response:
        """The banner's second script, the preferences dialog; ETag-cacheable.

        The same for every site and language (its words come from the notice). It is
        part of the banner build, which receipts name as `banner_build`: banner.js asks
        for the one of its own build (`?b=`), so a banner.js cached from before a
        deploy never runs with another build's dialog, and a decision is never
        credited to a build whose code did not collect it.
        """
        get_site(site)  # 404 for an unknown site, like banner.js
        bundle = banner_bundle()
        build = args.get("b") or None
        if build is not None and build != bundle.build:
            raise NotFound(
                "prefs.js of this banner build is no longer served: reload the page."
            )
        response = _cacheable(bundle.prefs(), "text/javascript")
        if build is not None:  # this URL's answer never changes
            response.headers["Cache-Control"] = IMMUTABLE
        archive_served("build", build_row())
        response.headers["SourceMap"] = PREFS_MAP_NAME
        return response


@blp.route("/<site>/prefs.js.map")
class BannerPrefsMapView(MethodView):
    @blp.response(
        200, content_type="application/json", description="Source map of prefs.js"
    )
    @blp.alt_response(304, description="Not modified (matching If-None-Match)")
    def get(self, site: str) -> Response:
        """The source map of prefs.js; ETag-cacheable."""
        get_site(site)
        return _cacheable(banner_bundle().prefs_map(), "application/json")
