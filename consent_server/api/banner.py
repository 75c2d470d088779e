"""The banner script with the site's notices inlined: one request renders it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import NotFound
from ..sites import Site, get_site

blp = Blueprint(
    "banner", __name__, url_prefix="/v1/sites", description="The banner script (public)"
)

BUNDLE_NAME = "banner.js"
MAP_NAME = "banner.js.map"
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"


@dataclass(frozen=True)
class BuiltBanner:
    body: bytes
    etag: str


def bundle_path() -> Path:
    return Path(current_app.static_folder or "static") / BUNDLE_NAME


def _bundle() -> tuple[bytes, str]:
    """The built bundle and its SHA-256 (``banner_build`` in receipts).

    Cached per file modification time, so a rebuild in development shows at once.
    """
    path = bundle_path()
    try:
        stat = path.stat()
    except OSError as exc:
        raise NotFound("The banner bundle is not built: run `npm run build`.") from exc
    cache: dict[str, tuple[float, bytes, str]] = current_app.extensions.setdefault(
        "consent_bundle", {}
    )
    cached = cache.get("bundle")
    if cached is None or cached[0] != stat.st_mtime:
        data = path.read_bytes()
        cached = (stat.st_mtime, data, hashlib.sha256(data).hexdigest())
        cache["bundle"] = cached
    return cached[1], cached[2]


def _source_map() -> tuple[bytes, str]:
    """The bundle's source map shifted down one line, with its ETag.

    The served script starts with one extra line (``self.__consentSite=...;``), so an
    empty first line (a leading ``;`` in ``mappings``) keeps the map lined up with it.
    The script's ``SourceMap: banner.js.map`` header resolves to the route below.
    """
    path = bundle_path().with_name(MAP_NAME)
    try:
        stat = path.stat()
    except OSError as exc:
        raise NotFound(
            "The banner source map is not built: run `npm run build`."
        ) from exc
    cache: dict[str, tuple[float, bytes, str]] = current_app.extensions.setdefault(
        "consent_bundle", {}
    )
    cached = cache.get("map")
    if cached is None or cached[0] != stat.st_mtime:
        source_map = json.loads(path.read_bytes())
        source_map["mappings"] = ";" + source_map.get("mappings", "")
        data = json.dumps(source_map, separators=(",", ":")).encode()
        cached = (stat.st_mtime, data, hashlib.sha256(data).hexdigest()[:32])
        cache["map"] = cached
    return cached[1], cached[2]


def site_script_config(site: Site, build: str) -> dict[str, object]:
    """What the bundle reads from ``self.__consentSite``."""
    return {
        "site": site.id,
        "banner_build": build,
        "default_language": site.config["default_language"],
        "languages": site.config["languages"],
        "floating_button": site.config["floating_button"],
        "notices": site.notices,
    }


def build_banner(site: Site) -> BuiltBanner:
    """The served script, built once per site and bundle (it is on every page view)."""
    bundle, build = _bundle()
    cache: dict[tuple[str, str], BuiltBanner] = current_app.extensions.setdefault(
        "consent_banners", {}
    )
    key = (site.id, build)
    if key not in cache:
        cache[key] = _build_banner(site, bundle, build)
    return cache[key]


def _build_banner(site: Site, bundle: bytes, build: str) -> BuiltBanner:
    config = json.dumps(site_script_config(site, build), separators=(",", ":"))
    # Safe inside any script context: no "</script>", no JS line separators.
    config = (
        config.replace("<", "\\u003c")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    body = f"self.__consentSite={config};\n".encode() + bundle
    return BuiltBanner(body, hashlib.sha256(body).hexdigest()[:32])


def _cacheable(body: bytes, etag: str, mimetype: str) -> Response:
    """A public, ETag-validated answer (304 on a matching If-None-Match)."""
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
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
        description="The banner script with this site's notices inlined",
    )
    @blp.alt_response(304, description="Not modified (matching If-None-Match)")
    def get(self, site: str) -> Response:
        """The banner script for a site, with its notice inlined; ETag-cacheable."""
        built = build_banner(get_site(site))
        response = _cacheable(built.body, built.etag, "text/javascript")
        # For devtools, instead of a sourceMappingURL comment in every download.
        response.headers["SourceMap"] = "banner.js.map"
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
        body, etag = _source_map()
        return _cacheable(body, etag, "application/json")
