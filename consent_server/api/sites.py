"""Site notices: what the banner shows, as JSON."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

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
