"""The banner script each site is served: the built bundle with the site inlined.

The banner is two scripts: banner.js, which every first visit loads, and prefs.js
(the preferences dialog, receipt view and download), which banner.js loads only when
a visitor opens the preferences. Both are code that collects decisions, so the build
(``banner_build`` in receipts, and what is archived under it) is the two files one
after the other: banner.js, then prefs.js.

One cache per app holds the files, the build's hash, the source maps (banner.js's
lined up with the served script), and each site's script per language (one notice
inlined: notice_delivery.py). All of it is rebuilt together when either file changes
(a rebuild in development shows at once); in production it is read once.
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
PREFS_NAME = "prefs.js"
PREFS_MAP_NAME = "prefs.js.map"
_EXTENSION_KEY = "consent_banner_bundle"


@dataclass(frozen=True)
class BuiltFile:
    """Bytes to serve and their validator."""

    body: bytes
    etag: str


@dataclass
class _Build:
    """Everything derived from one version of the two script files."""

    mtimes: tuple[float, float]
    bundle: bytes
    prefs: BuiltFile
    build: str  # SHA-256 of banner.js + prefs.js: the ``banner_build`` of receipts
    source_map: BuiltFile | None = None
    prefs_map: BuiltFile | None = None
    scripts: dict[tuple[str, str], BuiltFile] = field(default_factory=dict)


def site_script_config(site: Site, build: str, lang: str) -> dict[str, object]:
    """What the bundle reads from ``self.__consentSite``: one notice's first layer.

    ``languages`` names the others; the banner fetches the first layer of one of them
    (``part=first``, with ``notices_version`` as ``v``) when the page's ``lang`` picks
    it, and the whole
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


def _built(body: bytes) -> BuiltFile:
    return BuiltFile(body, hashlib.sha256(body).hexdigest()[:32])


def _shifted_map(raw: bytes) -> BuiltFile:
    """The source map moved down one line, past the inlined config line.

    An empty first line (a leading ``;`` in ``mappings``) keeps the map lined up
    with the served script; its ``SourceMap`` header points here.
    """
    source_map = json.loads(raw)
    source_map["mappings"] = ";" + source_map.get("mappings", "")
    return _built(json.dumps(source_map, separators=(",", ":")).encode())


class BannerBundle:
    """The built banner in one static folder, and what is served from it."""

    def __init__(self, static_dir: Path) -> None:
        self.path = static_dir / BUNDLE_NAME
        self.prefs_path = static_dir / PREFS_NAME
        self._current: _Build | None = None
        self._lock = threading.Lock()

    def _build(self) -> _Build:
        try:
            mtimes = (os.stat(self.path).st_mtime, os.stat(self.prefs_path).st_mtime)
        except OSError as exc:
            raise NotFound(
                "The banner bundle is not built: run `npm run build`."
            ) from exc
        current = self._current
        if current is None or current.mtimes != mtimes:
            with self._lock:
                current = self._current
                if current is None or current.mtimes != mtimes:
                    data = self.path.read_bytes()
                    prefs = self.prefs_path.read_bytes()
                    build = hashlib.sha256(data + prefs).hexdigest()
                    current = _Build(mtimes, data, _built(prefs), build)
                    self._current = current
        return current

    @property
    def build(self) -> str:
        """The SHA-256 of the bundle being served."""
        return self._build().build

    @property
    def content(self) -> str:
        """The build being served as text: banner.js then prefs.js (UTF-8 JavaScript).

        Its SHA-256 is ``build``: the archive keeps every byte a receipt's build names.
        """
        current = self._build()
        return (current.bundle + current.prefs.body).decode("utf-8")

    def prefs(self) -> BuiltFile:
        """prefs.js, the preferences dialog banner.js loads when they first open."""
        return self._build().prefs

    def script(self, site: Site, lang: str) -> BuiltFile:
        """The script a site's pages load with ``lang``'s notice (built once each)."""
        current = self._build()
        built = current.scripts.get((site.id, lang))
        if built is None:
            built = _built(_inline_config(site, current.build, lang) + current.bundle)
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

    def prefs_map(self) -> BuiltFile:
        """prefs.js's source map (served as built: nothing is inlined into prefs.js)."""
        current = self._build()
        if current.prefs_map is None:
            try:
                raw = self.prefs_path.with_name(PREFS_MAP_NAME).read_bytes()
            except OSError as exc:
                raise NotFound(
                    "The prefs.js source map is not built: run `npm run build`."
                ) from exc
            current.prefs_map = _built(raw)
        return current.prefs_map


def banner_bundle() -> BannerBundle:
    """The current app's bundle (made on first use, from its static folder)."""
    bundle = current_app.extensions.get(_EXTENSION_KEY)
    if bundle is None:
        static = Path(current_app.static_folder or "static")
        bundle = current_app.extensions.setdefault(_EXTENSION_KEY, BannerBundle(static))
    return bundle  # type: ignore[no-any-return]
