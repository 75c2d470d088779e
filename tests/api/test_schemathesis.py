"""Property-based API tests: schemathesis against /v1/openapi.json (SQLite).

Every check schemathesis has runs, on data generated to fit the document and on
data generated to break it: no 5xx, responses that match the document (status
codes, media types, headers, bodies), schema-violating requests rejected and
schema-valid ones accepted. A steering hook aims most cases at the configured
site with a decision that fits its notice, so the success path is generated too.

schemathesis' own pytest loaders need the schema at import time or use subtests;
here each operation of the document gets its own Hypothesis run inside a plain test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
import schemathesis.specs.openapi.checks  # noqa: F401 - registers the OpenAPI checks
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED
from schemathesis.config import SchemathesisConfig

MAX_EXAMPLES = 30

# A schema cannot say which notice hash, categories or language a site serves
# today: a request that fits the document may still be refused on meaning (422).
SEMANTIC_REFUSALS = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
# A body over the 16 KiB limit is refused before it is read: a 413 is a rejection.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422"]
REJECTIONS += ["428", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
        "operations": [
            {
                "include-path": path,
                "include-method": method,
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": SEMANTIC_REFUSALS}
                },
            }
            for method, path in [
                ("POST", "/v1/sites/{site}/consents"),
                ("GET", "/v1/sites/{site}/consents/{subject}"),
            ]
        ],
    }
)

PUBLIC_OPERATIONS = [
    ("GET", "/v1/sites/{site}/notice"),
    ("GET", "/v1/sites/{site}/banner.js"),
    ("POST", "/v1/sites/{site}/consents"),
    ("GET", "/v1/sites/{site}/consents/{subject}"),
    ("POST", "/v1/receipts/verify"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the PostgreSQL behaviour is covered by the example-based tests."""
    return f"sqlite:///{tmp_path / 'schemathesis.sqlite3'}"


@pytest.fixture
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/v1/openapi.json", app, config=CONFIG)


def steered(strategy: Any, notice: str, subject: str) -> Any:
    """Mostly aim at the configured site with a usable body, so that the successful
    paths are explored too, not only the 404 of a random site id."""
    choices = st.fixed_dictionaries(
        {"persistent": st.booleans(), "third_party": st.booleans()},
        optional={"session": st.just(True)},
    )

    def aim(args: tuple[Any, int, dict[str, bool]]) -> Any:
        # 0: as generated, 1: the known site, 2: + a notice and choices it serves,
        # 3: a first decision as the banner sends it (nothing the caller can't prove)
        case, mode, valid_choices = args
        if mode >= 1 and "site" in (case.path_parameters or {}):
            case.path_parameters["site"] = "default"
        body = case.body
        positive = case.meta is None or case.meta.generation.mode.is_positive
        path = case.path_parameters or {}
        if mode >= 2 and positive and "subject" in path:
            path["subject"] = subject  # one that has decided
            if case.query and "category" in case.query:
                case.query["category"] = "third_party"
        if mode >= 2 and positive and isinstance(body, dict) and "notice" in body:
            body["notice"] = notice
            body["choices"] = valid_choices
            body["method"] = "custom"
            for field in ("language", "banner_build"):  # must be the site's own
                body.pop(field, None)
            if mode == 3:
                for field in ("subject", "token", "id", "user_activation"):
                    body.pop(field, None)
                body["layer"] = "preferences"
                case.headers = {
                    k: v
                    for k, v in (case.headers or {}).items()
                    if k.lower() != "idempotency-key"
                }
        return case

    # Hypothesis starts from (and shrinks towards) the first mode: the success path.
    return st.tuples(strategy, st.sampled_from([3, 0, 1, 2]), choices).map(aim)


def run_operation(
    api_schema: Any, method: str, path: str, notice: str, subject: str
) -> set[int]:
    """Run every check on generated cases of one operation; the statuses seen."""
    operation = api_schema[path][method]
    checks = REGISTERED.get_all()
    statuses: set[int] = set()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            strategy = operation.as_strategy(generation_mode=mode)
        except Exception:  # nothing to break (no parameters): positive only
            continue

        @given(case=steered(strategy, notice, subject))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(checks=checks)
            statuses.add(response.status_code)

        try:
            check()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # no way to break it: fine
    return statuses


@pytest.fixture
def decided(record: Any) -> str:
    """A subject with a decision on the default site."""
    rv = record()
    assert rv.status_code == 201
    return str(rv.json["receipt"]["subject"])


@pytest.mark.parametrize(("method", "path"), PUBLIC_OPERATIONS)
def test_public_operation_conforms_to_the_document(
    api_schema: Any, notice: dict[str, Any], decided: str, method: str, path: str
) -> None:
    statuses = run_operation(api_schema, method, path, notice["notice"], decided)
    # The success path is generated and checked, not only the refusals.
    assert any(200 <= status < 300 for status in statuses), sorted(statuses)


def test_every_other_documented_operation_conforms(
    api_schema: Any, notice: dict[str, Any], decided: str
) -> None:
    """Operations added later (the staff API) are held to the document too."""
    others = [
        (op.method.upper(), op.path)
        for result in api_schema.get_all_operations()
        for op in [result.ok()]
        if (op.method.upper(), op.path) not in PUBLIC_OPERATIONS
    ]
    for method, path in others:
        run_operation(api_schema, method, path, notice["notice"], decided)


def test_openapi_document_lists_the_public_contract(client: Any) -> None:
    rv = client.get("/v1/openapi.json")
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    doc = rv.json
    operations = {
        (method.upper(), path) for path, item in doc["paths"].items() for method in item
    }
    assert set(PUBLIC_OPERATIONS) <= operations
    ref = doc["paths"]["/v1/sites/{site}/consents"]["post"]["responses"]["422"]["$ref"]
    problem = doc["components"]["responses"][ref.rsplit("/", 1)[1]]
    assert list(problem["content"]) == ["application/problem+json"]


def test_openapi_says_what_the_server_enforces(client: Any) -> None:
    doc = client.get("/v1/openapi.json").json
    paths = doc["paths"]
    for path, method in (
        ("/v1/sites/{site}/consents/{subject}", "get"),
        ("/v1/admin/subjects/{subject}", "get"),
    ):
        params = paths[path][method].get("parameters", []) + paths[path].get(
            "parameters", []
        )
        subject = [p for p in params if p["name"] == "subject"]
        assert subject and all("pattern" in p["schema"] for p in subject), path
    for path in (
        "/v1/sites/{site}/consents",
        "/v1/receipts/verify",
        "/v1/admin/tokens",
    ):
        assert "413" in paths[path]["post"]["responses"], path
    assert "409" in paths["/v1/admin/tokens"]["post"]["responses"]
    create = doc["components"]["schemas"]["ConsentCreate"]["properties"]
    assert "every optional category" in create["choices"]["description"]


def test_the_views_that_parse_themselves_are_documented_in_full(client: Any) -> None:
    """verify and the lookup skip flask-smorest's wrappers (``blp.documents``):
    their request, answer and errors are described as for any other view."""
    doc = client.get("/v1/openapi.json").json
    ref = "#/components/{}/{}".format
    verify = doc["paths"]["/v1/receipts/verify"]["post"]
    body = verify["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"]["$ref"] == ref(
        "schemas", "VerifyRequest"
    )
    answer = verify["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"] == ref("schemas", "VerifyResult")
    for status, name in (
        ("413", "REQUEST_ENTITY_TOO_LARGE"),
        ("422", "UNPROCESSABLE_ENTITY"),
        ("503", "SERVICE_UNAVAILABLE"),
        ("default", "DEFAULT_ERROR"),
    ):
        assert verify["responses"][status]["$ref"] == ref("responses", name), status
    lookup = doc["paths"]["/v1/sites/{site}/consents/{subject}"]["get"]
    [category] = [p for p in lookup["parameters"] if p["in"] == "query"]
    assert category["name"] == "category" and "pattern" in category["schema"]
    answer = lookup["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"] == ref("schemas", "ConsentLookup")
    assert lookup["responses"]["422"]["$ref"] == ref(
        "responses", "UNPROCESSABLE_ENTITY"
    )
    assert lookup["summary"].startswith("The subject's current decision")


LIMITED = [
    ("post", "/v1/sites/{site}/consents"),
    ("get", "/v1/sites/{site}/consents/{subject}"),
    ("post", "/v1/receipts/verify"),
    ("get", "/v1/receipts/{receipt_id}/file"),
    ("get", "/v1/receipts/{receipt_id}/proof"),
    ("get", "/v1/log/head"),
    ("get", "/v1/log/heads"),
    ("get", "/v1/log/consistency"),
    # Staff routes: too many failed authentications from one client.
    ("get", "/v1/admin/receipts"),
    ("post", "/v1/admin/tokens"),
    ("get", "/v1/admin/banner-builds/{build}"),
]


def test_rate_limited_operations_document_their_429(client: Any) -> None:
    paths = client.get("/v1/openapi.json").json["paths"]
    for method, path in LIMITED:
        answer = paths[path][method]["responses"]["429"]
        assert answer["$ref"] == "#/components/responses/TOO_MANY_REQUESTS", path
    # The banner's own files and the notice have no limit of their own.
    for path in ("/v1/sites/{site}/notice", "/v1/sites/{site}/banner.js", "/healthz"):
        assert "429" not in paths[path]["get"]["responses"], path
