"""The banner script with one notice inlined: one request renders it.

The notice is the one ``Accept-Language`` picks (so the response varies on it); a
page whose ``lang`` picks another fetches that one from the notice endpoint.
"""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from ..archives import archive_served, build_row
from ..banner_bundle import MAP_NAME, BuiltFile, banner_bundle
from ..blueprint import Blueprint
from ..notice_delivery import accepted_language
from ..sites import get_site

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
    @blp.response(
        200,
        content_type="text/javascript",
        description="The banner script with the notice in the language "
        "`Accept-Language` picks (`Vary: Accept-Language`) and the list of the site's "
        "other languages",
    )
    @blp.alt_response(304, description="Not modified (matching If-None-Match)")
    def get(self, site: str) -> Response:
        """The banner script for a site, with one notice inlined; ETag-cacheable.

        The inlined notice is in the first language of `Accept-Language` the site has
        (`de-AT` falls back to `de`), else in the site's default language.
        """
        site_obj = get_site(site)
        lang = accepted_language(site_obj, request.accept_languages)
        response = _cacheable(banner_bundle().script(site_obj, lang), "text/javascript")
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
