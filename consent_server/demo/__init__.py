"""The demo at ``/``: a small fake site that shows the banner working."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

blp = Blueprint(
    "demo",
    __name__,
    static_folder="static",
    static_url_path="/demo/static",
    template_folder="templates",
)

# The demo page passes the strict policy the banner promises to work under.
DEMO_CSP = "default-src 'self'; frame-ancestors 'self'; base-uri 'none'"


def _page(template: str) -> Response:
    response = Response(render_template(template), mimetype="text/html")
    response.headers["Content-Security-Policy"] = DEMO_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@blp.get("/")
def index() -> Response:
    """The demo page: banner, a gated script, a gated iframe, live choices."""
    return _page("demo/index.html")


@blp.get("/demo/video")
def video() -> Response:
    """Stands in for an embedded third-party video player."""
    return _page("demo/video.html")
