"""GET /v1/sites/<site>/banner.js and its source map: bodies, ETag/304, caching.

banner.js inlines one notice, the one Accept-Language picks; the others are fetched
one at a time from the notice endpoint (issue #11: languages delivered per page).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from consent_server.default_site import DEFAULT_SITE, EU_LANGUAGES
from consent_server.notice_delivery import IMMUTABLE, PREFERENCES_TEXTS
from tests.api.helpers import other_app

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
PREFIX = b"self.__consentSite="


def _config(body: bytes) -> dict[str, Any]:
    first = body.split(b"\n", 1)[0]
    assert first.startswith(PREFIX) and first.endswith(b";")
    config: dict[str, Any] = json.loads(first[len(PREFIX) : -1])
    return config


def test_banner_js_has_site_config_then_the_built_bundle(
    app: Flask,
) -> None:
    rv = app.test_client().get("/v1/sites/default/banner.js")
    assert rv.status_code == 200
    assert rv.mimetype == "text/javascript"
    rest = rv.data.split(b"\n", 1)[1]
    config = _config(rv.data)
    assert config["site"] == "default"
    # One notice: the site's default language when the browser names none.
    default = DEFAULT_SITE["default_language"]
    assert list(config["notices"]) == [default]
    assert config["languages"] == DEFAULT_SITE["languages"] == list(EU_LANGUAGES)
    assert rest == (STATIC / "banner.js").read_bytes()
    assert b"sourceMappingURL" not in rest
    # Devtools find the map through the header (relative to the script's URL).
    assert rv.headers["SourceMap"] == "banner.js.map"


def test_banner_js_is_etag_cacheable(app: Flask) -> None:
    client = app.test_client()
    rv = client.get("/v1/sites/default/banner.js")
    etag = rv.headers["ETag"]
    assert etag and "public" in rv.headers["Cache-Control"]
    again = client.get("/v1/sites/default/banner.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    stale = client.get(
        "/v1/sites/default/banner.js", headers={"If-None-Match": '"other"'}
    )
    assert stale.status_code == 200 and stale.data == rv.data


def test_banner_etag_changes_with_the_site_config(
    client: FlaskClient, app_config: dict[str, Any], tmp_path: Path
) -> None:
    site = {**copy.deepcopy(DEFAULT_SITE), "policy_version": "2026-02"}
    site_file = tmp_path / "sites.json"
    site_file.write_text(json.dumps({"sites": {"default": site}}), encoding="utf-8")
    before = client.get("/v1/sites/default/banner.js")
    with other_app(app_config, site_file) as edited:
        after = edited.test_client().get("/v1/sites/default/banner.js")
        after_304 = edited.test_client().get(
            "/v1/sites/default/banner.js",
            headers={"If-None-Match": before.headers["ETag"]},
        )
    assert before.headers["ETag"] != after.headers["ETag"]
    assert after_304.status_code == 200


def test_unknown_site_banner_is_a_problem(app: Flask) -> None:
    client = app.test_client()
    for path in ("/v1/sites/nope/banner.js", "/v1/sites/nope/banner.js.map"):
        rv = client.get(path)
        assert rv.status_code == 404
        assert rv.mimetype == "application/problem+json"


def _get_map(app: Flask) -> Any:
    return app.test_client().get("/v1/sites/default/banner.js.map")


def test_source_map_is_served_where_the_bundle_points(app: Flask) -> None:
    rv = _get_map(app)
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    served = rv.json
    built = json.loads((STATIC / "banner.js.map").read_text(encoding="utf-8"))
    # One empty line first: the inlined config line has no mappings.
    assert served["mappings"] == ";" + built["mappings"]
    assert {k: v for k, v in served.items() if k != "mappings"} == {
        k: v for k, v in built.items() if k != "mappings"
    }
    assert any(s.endswith("src/index.js") for s in served["sources"])
    assert served["sourcesContent"] and len(served["sourcesContent"]) == len(
        served["sources"]
    )


def test_source_map_lines_up_with_the_served_script(app: Flask) -> None:
    client = app.test_client()
    script = client.get("/v1/sites/default/banner.js").data.decode().split("\n")
    groups = _get_map(app).json["mappings"].split(";")
    # Line 0 (config) has no mappings; line 1 is the minified bundle, which is all
    # mapped.
    assert groups[0] == "" and groups[1]
    assert script[1].startswith("(()=>{") or script[1].startswith('"use strict"')
    assert len(groups) <= len(script)
    # The last mapped column on line 1 lies within that line.
    column, last = 0, 0
    for segment in groups[1].split(","):
        column += _vlq(segment)[0]
        last = max(last, column)
    assert 0 < last < len(script[1])


def test_source_map_is_etag_cacheable(app: Flask) -> None:
    client = app.test_client()
    rv = _get_map(app)
    assert rv.headers["ETag"] and "public" in rv.headers["Cache-Control"]
    again = client.get(
        "/v1/sites/default/banner.js.map", headers={"If-None-Match": rv.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _vlq(segment: str) -> list[int]:
    """Decode one base64 VLQ source-map segment."""
    values, shift, value = [], 0, 0
    for char in segment:
        digit = _B64.index(char)
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift, value = 0, 0
    return values


def test_banner_js_inlines_the_notice_accept_language_picks(app: Flask) -> None:
    client = app.test_client()
    languages = DEFAULT_SITE["languages"]
    assert {"de", "fr"} <= set(languages)

    def inlined(accept: str) -> str:
        rv = client.get(
            "/v1/sites/default/banner.js", headers={"Accept-Language": accept}
        )
        assert rv.status_code == 200
        # Caches keep one copy per Accept-Language.
        assert "Accept-Language" in rv.headers["Vary"]
        (lang,) = _config(rv.data)["notices"]
        return str(lang)

    assert inlined("de-AT,de;q=0.9,en;q=0.8") == "de"
    # Each tag in order, exact or by its language, like the banner's pickLanguage.
    assert inlined("fr-CA, en;q=0.9") == "fr"
    assert inlined("ja, fr;q=0.5") == "fr"
    assert inlined("de;q=0, fr;q=0.1") == "fr"
    default = DEFAULT_SITE["default_language"]
    assert inlined("ja") == default
    assert inlined("*") == default
    assert inlined("not a language tag;;q=x") == default


def _strings(value: Any) -> set[str]:
    """Every string value in a JSON value."""
    if isinstance(value, dict):
        return {s for v in value.values() for s in _strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in _strings(v)}
    return {value} if isinstance(value, str) else set()


def _banner_keys() -> set[str]:
    """The texts the bundle requires of every notice (banner-js/src/i18n.js KEYS)."""
    source = (ROOT / "banner-js" / "src" / "i18n.js").read_text(encoding="utf-8")
    block = source.split("export const KEYS", 1)[1].split(".split(", 1)[0]
    keys = set(" ".join(re.findall(r"'([^']*)'", block)).split())
    assert {"title", "acceptAll"} <= keys
    return keys


def test_the_inlined_notice_is_the_first_layer_of_the_hashed_one(app: Flask) -> None:
    client = app.test_client()
    rv = client.get("/v1/sites/default/banner.js", headers={"Accept-Language": "de"})
    inlined = _config(rv.data)["notices"]["de"]
    whole = client.get("/v1/sites/default/notice?lang=de").json
    # The hash of the whole notice, which the decision names.
    assert inlined["notice"] == whole["notice"] and inlined["language"] == "de"
    # Nothing the hashed notice does not say, word for word.
    assert _strings(inlined) <= _strings(whole)
    assert {k: whole["texts"][k] for k in inlined["texts"]} == inlined["texts"]
    # The first layer's words, and every text the bundle requires of a notice.
    first_layer = {"title", "description", "purposes", "controller", "policyLink"}
    first_layer |= {"declarationLink", "acceptAll", "rejectAll", "preferences"}
    assert first_layer | _banner_keys() <= set(inlined["texts"])
    assert not PREFERENCES_TEXTS & _banner_keys()
    for key in ("controller", "links", "policy_version", "cookie", "gpc_categories"):
        assert inlined[key] == whole[key], key
    # What decisions, gating, withdrawal and Consent Mode need, at both levels.
    for mine, theirs in zip(inlined["categories"], whole["categories"], strict=True):
        assert mine["id"] == theirs["id"] and mine["title"] == theirs["title"]
        assert mine["required"] == theirs["required"]
        assert mine["consent_mode"] == theirs["consent_mode"]
        names = [(c.get("name"), c.get("pattern")) for c in theirs["cookies"]]
        assert [(c.get("name"), c.get("pattern")) for c in mine["cookies"]] == names
        assert [s["id"] for s in mine["services"]] == [
            s["id"] for s in theirs["services"]
        ]
    # The preferences' words come with the whole notice: the first layer is small.
    assert "rightsTitle" not in inlined["texts"] and "countries" not in inlined
    assert len(json.dumps(inlined)) < len(json.dumps(whole)) / 2


def test_a_page_can_name_its_language(app: Flask) -> None:
    client = app.test_client()
    french = {"Accept-Language": "fr"}
    rv = client.get("/v1/sites/default/banner.js?lang=de-AT", headers=french)
    assert list(_config(rv.data)["notices"]) == ["de"]
    # The answer is the same for every browser.
    assert "Accept-Language" not in rv.headers.get("Vary", "")
    lacking = client.get("/v1/sites/default/banner.js?lang=ja", headers=french)
    assert list(_config(lacking.data)["notices"]) == ["fr"]
    assert "Accept-Language" in lacking.headers["Vary"]
    bad = client.get("/v1/sites/default/banner.js?lang=<x>")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_each_language_has_its_own_etag(app: Flask) -> None:
    client = app.test_client()
    german = client.get(
        "/v1/sites/default/banner.js", headers={"Accept-Language": "de"}
    )
    french = client.get(
        "/v1/sites/default/banner.js", headers={"Accept-Language": "fr"}
    )
    assert german.headers["ETag"] != french.headers["ETag"]
    again = client.get(
        "/v1/sites/default/banner.js",
        headers={"Accept-Language": "de-AT", "If-None-Match": german.headers["ETag"]},
    )
    assert again.status_code == 304 and "Accept-Language" in again.headers["Vary"]
    other = client.get(
        "/v1/sites/default/banner.js",
        headers={"Accept-Language": "fr", "If-None-Match": german.headers["ETag"]},
    )
    assert other.status_code == 200 and other.data == french.data


def test_a_notice_fetched_with_the_current_version_is_cached_for_good(
    app: Flask,
) -> None:
    client = app.test_client()
    version = _config(client.get("/v1/sites/default/banner.js").data)["notices_version"]
    url = f"/v1/sites/default/notice?lang=fr&v={version}"
    rv = client.get(url)
    assert rv.status_code == 200 and rv.json["language"] == "fr"
    assert rv.headers["Cache-Control"] == IMMUTABLE
    assert rv.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": rv.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == IMMUTABLE
    assert again.headers["ETag"] == rv.headers["ETag"]
    # Without it (or with an old one) the answer may change: a short lifetime.
    for other in ("/v1/sites/default/notice?lang=fr", url[:-4] + "0000"):
        short = client.get(other)
        assert short.status_code == 200 and short.json == rv.json
        assert "immutable" not in short.headers["Cache-Control"]
        assert "max-age=300" in short.headers["Cache-Control"]


def test_a_bad_notices_version_is_a_problem(app: Flask) -> None:
    rv = app.test_client().get("/v1/sites/default/notice?lang=fr&v=<script>")
    assert rv.status_code == 422
    assert rv.mimetype == "application/problem+json"
    assert "v" in rv.json["errors"]


def test_the_notices_version_changes_with_any_notice(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    english = {"Accept-Language": "en"}

    def served(name: str, texts: dict[str, Any]) -> dict[str, Any]:
        site = copy.deepcopy(DEFAULT_SITE)
        site["texts"] = {**site.get("texts", {}), **texts}
        site_file = tmp_path / name
        site_file.write_text(json.dumps({"sites": {"default": site}}), encoding="utf-8")
        with other_app(app_config, site_file) as app:
            body = app.test_client().get("/v1/sites/default/banner.js", headers=english)
            return _config(body.data)

    before = served("before.json", {})
    after = served("after.json", {"fr": {"title": "Autre titre"}})
    # Only the French notice changed, and so the version every notice URL carries.
    assert before["notices"]["en"] == after["notices"]["en"]
    assert before["notices_version"] != after["notices_version"]


# --- prefs.js: the preferences dialog, loaded when they first open ------------------


def test_prefs_js_is_the_built_second_script_and_etag_cacheable(app: Flask) -> None:
    client = app.test_client()
    rv = client.get("/v1/sites/default/prefs.js")
    assert rv.status_code == 200
    assert rv.mimetype == "text/javascript"
    assert rv.data == (STATIC / "prefs.js").read_bytes()
    assert rv.headers["SourceMap"] == "prefs.js.map"
    assert "public" in rv.headers["Cache-Control"]
    # Loaded as a classic script by other origins' pages, like banner.js.
    assert rv.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    again = client.get(
        "/v1/sites/default/prefs.js", headers={"If-None-Match": rv.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    source_map = client.get("/v1/sites/default/prefs.js.map")
    assert source_map.status_code == 200
    assert json.loads(source_map.data)["sources"]


def test_prefs_js_of_an_unknown_site_is_a_404(app: Flask) -> None:
    client = app.test_client()
    for path in ("prefs.js", "prefs.js.map"):
        rv = client.get(f"/v1/sites/nope/{path}")
        assert rv.status_code == 404
        assert rv.mimetype == "application/problem+json"


def test_the_banner_build_names_both_scripts(app: Flask) -> None:
    """A receipt's banner_build covers the dialog that may have collected it."""

    client = app.test_client()
    config = _config(client.get("/v1/sites/default/banner.js").data)
    both = (STATIC / "banner.js").read_bytes() + (STATIC / "prefs.js").read_bytes()
    assert config["banner_build"] == hashlib.sha256(both).hexdigest()
    # banner.js loads prefs.js from the origin it came from, under its own site.
    assert b"/prefs.js?b=" in (STATIC / "banner.js").read_bytes()


def test_prefs_js_of_the_current_build_is_cached_for_good(app: Flask) -> None:
    client = app.test_client()
    build = _config(client.get("/v1/sites/default/banner.js").data)["banner_build"]
    rv = client.get(f"/v1/sites/default/prefs.js?b={build}")
    assert rv.status_code == 200
    assert rv.data == (STATIC / "prefs.js").read_bytes()
    assert rv.headers["Cache-Control"] == IMMUTABLE


def test_prefs_js_of_another_build_is_a_404_never_another_builds_code(
    app: Flask,
) -> None:
    """A banner.js cached from before a deploy gets no dialog of the new build."""
    client = app.test_client()
    rv = client.get(f"/v1/sites/default/prefs.js?b={'ab' * 32}")
    assert rv.status_code == 404
    assert rv.mimetype == "application/problem+json"
    assert b"prefs.js" in client.get("/v1/sites/default/banner.js").data
    for bad in ("nothex", "AB" * 32, "a" * 63):
        rv = client.get(f"/v1/sites/default/prefs.js?b={bad}")
        assert rv.status_code == 422, bad
        assert rv.mimetype == "application/problem+json"
