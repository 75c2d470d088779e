"""The banner script each site is served: the built bundle with the site inlined.

One cache per app holds the bundle, its hash (``banner_build`` in receipts), the
source map lined up with the served script, and each site's script per language
(one notice inlined: notice_delivery.py). All of it is rebuilt together when the
bundle file changes (a rebuild in development shows at once); in production it is
read once.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from .errors import NotFound
from .notice_delivery import banner_notice, notices_version
from .sites import Site

BUNDLE_NAME = "banner.js"
MAP_NAME = "banner.js.map"
_EXTENSION_KEY = "consent_banner_bundle"


@dataclass(frozen=True)
class BuiltFile:
    """Bytes to serve and their validator."""

    body: bytes
    etag: str


@dataclass
class _Build:
    """Everything derived from one version of the bundle file."""

    mtime: float
    bundle: bytes
    build: str  # SHA-256 of the bundle: the ``banner_build`` of receipts
    source_map: BuiltFile | None = None
    scripts: dict[tuple[str, str], BuiltFile] = field(default_factory=dict)


def site_script_config(site: Site, build: str, lang: str) -> dict[str, object]:
    """What the bundle reads from ``self.__consentSite``: one notice's first layer.

    ``languages`` names the others; the banner fetches one of them whole (with
    ``notices_version`` as ``v``) when the page's ``lang`` picks it, and the whole
    notice of the language shown when the preferences first open.
    """
    return {
        "site": site.id,
        "banner_build": build,
        "default_language": site.config["default_language"],
        "languages": site.config["languages"],
        "notices_version": notices_version(site),
        "floating_button": site.config["floating_button"],
        "notices": {lang: banner_notice(site.notices[lang])},
    }


def _inline_config(site: Site, build: str, lang: str) -> bytes:
    """The first line of a site's script: its config as a JS assignment."""
    config = json.dumps(
        site_script_config(site, build, lang),
        separators=(",", ":"),
        ensure_ascii=False,  # UTF-8 is shorter than \u escapes for el, bg, ...
    )
    # Safe inside any script context: no "</script>", no JS line separators.
    config = (
        config.replace("<", "\\u003c")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return f"self.__consentSite={config};\n".encode()


def _shifted_map(raw: bytes) -> BuiltFile:
    """The source map moved down one line, past the inlined config line.

    An empty first line (a leading ``;`` in ``mappings``) keeps the map lined up
    with the served script; its ``SourceMap`` header points here.
    """
    source_map = json.loads(raw)
    source_map["mappings"] = ";" + source_map.get("mappings", "")
    data = json.dumps(source_map, separators=(",", ":")).encode()
    return BuiltFile(data, hashlib.sha256(data).hexdigest()[:32])


class BannerBundle:
    """The built banner in one static folder, and what is served from it."""

    def __init__(self, static_dir: Path) -> None:
        self.path = static_dir / BUNDLE_NAME
        self._current: _Build | None = None
        self._lock = threading.Lock()

    def _build(self) -> _Build:
        try:
            mtime = os.stat(self.path).st_mtime
        except OSError as exc:
            raise NotFound(
                "The banner bundle is not built: run `npm run build`."
            ) from exc
        current = self._current
        if current is None or current.mtime != mtime:
            with self._lock:
                current = self._current
                if current is None or current.mtime != mtime:
                    data = self.path.read_bytes()
                    current = _Build(mtime, data, hashlib.sha256(data).hexdigest())
                    self._current = current
        return current

    @property
    def build(self) -> str:
        """The SHA-256 of the bundle being served."""
        return self._build().build

    @property
    def content(self) -> str:
        """The bundle being served, as text (it is UTF-8 JavaScript)."""
        return self._build().bundle.decode("utf-8")

    def script(self, site: Site, lang: str) -> BuiltFile:
        """The script a site's pages load with ``lang``'s notice (built once each)."""
        current = self._build()
        built = current.scripts.get((site.id, lang))
        if built is None:
            body = _inline_config(site, current.build, lang) + current.bundle
            built = BuiltFile(body, hashlib.sha256(body).hexdigest()[:32])
            current.scripts[(site.id, lang)] = built
        return built

    def source_map(self) -> BuiltFile:
        """The bundle's source map, lined up with the served scripts."""
        current = self._build()
        if current.source_map is None:
            try:
                raw = self.path.with_name(MAP_NAME).read_bytes()
            except OSError as exc:
                raise NotFound(
                    "The banner source map is not built: run `npm run build`."
                ) from exc
            current.source_map = _shifted_map(raw)
        return current.source_map


def banner_bundle() -> BannerBundle:
    """The current app's bundle (made on first use, from its static folder)."""
    bundle = current_app.extensions.get(_EXTENSION_KEY)
    if bundle is None:
        static = Path(current_app.static_folder or "static")
        bundle = current_app.extensions.setdefault(_EXTENSION_KEY, BannerBundle(static))
    return bundle  # type: ignore[no-any-return]
