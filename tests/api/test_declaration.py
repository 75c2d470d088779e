"""GET /v1/sites/<site>/cookies: the cookie declaration, HTML or JSON (issue #11)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import assert_problem
from tests.api.site_files import SHOP_ORIGIN, shop_site, write_sites

COOKIES = "/v1/sites/default/cookies"
JSON = {"Accept": "application/json"}
# Every cookie and storage key of the default site, the banner's own included.
DEFAULT_ROWS = {
    "session",
    "consent",
    "consent_q",
    "consent:queue:default",
    "consent:receipt:default",
    "consent:token:default",
    "prefs",
    r"^_pk_id\.",
    r"^_pk_ses\.",
    "v1st",
}
HOSTILE = "<script>alert(1)</script>"


class _Page(HTMLParser):
    """What a browser would find: scripts, buttons with data-consent-open, cells."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = False
        self.openers = 0
        self.html_lang: str | None = None
        self.codes: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html_lang = found.get("lang")
        if tag == "script":
            self.scripts.append(found)
        if "data-consent-open" in found:
            self.openers += 1
        self._in = tag

    def handle_data(self, data: str) -> None:
        if self._in == "script" and data.strip():
            self.inline_script = True
        if self._in == "code":
            self.codes.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = None


def _page(rv: Any) -> _Page:
    page = _Page()
    page.feed(rv.get_data(as_text=True))
    return page


def _rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [r for c in body["categories"] for r in c["cookies"]]
    services = [s for c in body["categories"] for s in c["services"]]
    return rows + [r for s in services for r in s["cookies"]]


def test_the_declaration_is_an_html_page_by_default(client: FlaskClient) -> None:
    rv = client.get(COOKIES)
    assert rv.status_code == 200
    assert rv.mimetype == "text/html"
    page = _page(rv)
    assert page.html_lang == "en"
    assert set(page.codes) == DEFAULT_ROWS
    # The preferences button works through the site's banner: no inline script (CSP).
    assert page.openers == 1
    assert [s.get("src") for s in page.scripts] == ["/v1/sites/default/banner.js"]
    assert not page.inline_script
    csp = rv.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "Accept-Language" in rv.headers["Vary"]
    text = rv.get_data(as_text=True)
    for words in (
        "IMAGINE by Trooper.AI",
        "info@trooper.ai",
        "Matomo Cloud",
        "6 months",
    ):
        assert words in text


def test_the_declaration_as_json_lists_every_row_with_its_facts(
    client: FlaskClient,
) -> None:
    rv = client.get(COOKIES, headers=JSON)
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    body = rv.json
    assert body["site"] == "default" and body["language"] == "en"
    assert body["notice"] == client.get("/v1/sites/default/notice").json["notice"]
    rows = _rows(body)
    assert {r["name"] or r["pattern"] for r in rows} == DEFAULT_ROWS
    for row in rows:
        assert row["kind"] in {"cookie", "local_storage", "session_storage"}
        assert row["provider"] and row["purpose"], row
        assert row["party"] in {"first", "third"}
        assert row["countries"], row
        # Only web storage keys have no expiry.
        assert row["duration"] or row["kind"] == "local_storage", row
    required = next(c for c in body["categories"] if c["required"])
    own = {r["name"]: r for r in required["cookies"]}
    assert own["consent"]["duration"] == "6 months"
    assert own["consent:token:default"]["kind"] == "local_storage"
    video = next(
        s for c in body["categories"] for s in c["services"] if s["id"] == "video"
    )
    assert video["eu"] is True and video["country"] == "FR"
    assert video["cookies"][0]["party"] == "third"
    assert video["cookies"][0]["countries"] == ["FR"]


@pytest.mark.parametrize(
    ("query", "accept_language", "lang"),
    [
        pytest.param("?lang=de", None, "de", id="query"),
        pytest.param("?lang=de-AT", None, "de", id="regional-query"),
        pytest.param("", "pt-BR,pt;q=0.9,en;q=0.5", "pt", id="accept-language"),
        pytest.param("", "ja, fr;q=0.4", "fr", id="second-choice"),
        pytest.param("?lang=it", "fr", "it", id="query-wins"),
        pytest.param("", "ja", "en", id="unknown-falls-back"),
        pytest.param("?lang=ja", None, "en", id="unknown-query-falls-back"),
    ],
)
def test_the_declaration_speaks_the_visitors_language(
    client: FlaskClient, query: str, accept_language: str | None, lang: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    html = client.get(COOKIES + query, headers=headers)
    assert html.status_code == 200
    assert _page(html).html_lang == lang
    body = client.get(COOKIES + query, headers={**headers, **JSON}).json
    assert body["language"] == lang
    assert (
        body["kept"] == client.get(f"/v1/sites/default/notice?lang={lang}").json["kept"]
    )


def test_country_names_and_durations_follow_the_language(client: FlaskClient) -> None:
    body = client.get(COOKIES + "?lang=de", headers=JSON).json
    assert body["countries"]["NL"] == "Niederlande"
    assert body["kept"]["consent"] == "6 Monate"
    assert "Niederlande" in client.get(COOKIES + "?lang=de").get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, JSON], ids=["html", "json"])
def test_an_unknown_site_is_a_404_problem(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    rv = client.get("/v1/sites/nope/cookies", headers=headers)
    body = assert_problem(rv, 404, "unknown-site")
    assert "nope" in body["detail"]


@pytest.mark.parametrize("lang", ["english!", "1", "de_DE", "x" * 40])
def test_a_bad_lang_is_a_422_problem(client: FlaskClient, lang: str) -> None:
    rv = client.get(COOKIES, query_string={"lang": lang})
    body = assert_problem(rv, 422)
    assert "lang" in body["errors"]


@pytest.fixture
def hostile_file(tmp_path: Path, app_config: dict[str, Any]) -> None:
    """A site whose texts try to be markup; set before the app is built."""
    site = shop_site()
    site["categories"][1]["texts"]["en"]["title"] = HOSTILE
    site["categories"][1]["cookies"][0]["description"] = '"><img src=x onerror=1>'
    path = write_sites(tmp_path / "sites.toml", {"shop": site})
    app_config["CONSENT_SITES_FILE"] = str(path)


@pytest.fixture
def hostile_client(hostile_file: None, client: FlaskClient) -> FlaskClient:
    return client


def test_config_text_is_rendered_as_text(hostile_client: FlaskClient) -> None:
    rv = hostile_client.get("/v1/sites/shop/cookies")
    assert rv.status_code == 200
    text = rv.get_data(as_text=True)
    assert HOSTILE not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img" not in text
    assert [s.get("src") for s in _page(rv).scripts] == ["/v1/sites/shop/banner.js"]


def test_a_site_may_frame_its_own_declaration(hostile_client: FlaskClient) -> None:
    csp = hostile_client.get("/v1/sites/shop/cookies").headers[
        "Content-Security-Policy"
    ]
    ancestors = re.search(r"frame-ancestors ([^;]+)", csp)
    assert ancestors and ancestors.group(1).split() == ["'self'", SHOP_ORIGIN]


def test_the_declaration_is_in_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/v1/openapi.json").json
    content = doc["paths"]["/v1/sites/{site}/cookies"]["get"]["responses"]["200"][
        "content"
    ]
    assert set(content) == {"application/json", "text/html"}
    assert "Declaration" in doc["components"]["schemas"]


@pytest.fixture
def partly_placed_file(tmp_path: Path, app_config: dict[str, Any]) -> None:
    """A site with a first- and a third-party cookie that name no country."""
    site = shop_site(storage_countries=["DE"])
    site["categories"][1]["cookies"] = [
        {"name": "own", "provider": "Shop", "party": "first"},
        {"name": "theirs", "provider": "Ads Inc.", "party": "third"},
    ]
    path = write_sites(tmp_path / "sites.toml", {"shop": site})
    app_config["CONSENT_SITES_FILE"] = str(path)


@pytest.fixture
def partly_placed_client(partly_placed_file: None, client: FlaskClient) -> FlaskClient:
    return client


def test_a_third_party_cookie_without_a_country_is_not_placed_at_home(
    partly_placed_client: FlaskClient,
) -> None:
    body = partly_placed_client.get("/v1/sites/shop/cookies", headers=JSON).json
    rows = {r["name"]: r for r in _rows(body)}
    # The site's own cookie is kept where the site keeps its data; of the other
    # party's the site has said nothing, so the row says nothing either.
    assert rows["own"]["countries"] == ["DE"]
    assert rows["theirs"]["countries"] == []
