"""Property-based API tests: schemathesis against /v1/openapi.json (SQLite).

No request may end in a 5xx, and every response must match the document: status
codes, media types (errors are application/problem+json) and bodies.

schemathesis' own pytest loaders need the schema at import time or use subtests;
here each operation of the document gets its own Hypothesis run inside a plain test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]
MAX_EXAMPLES = 30

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
    return schemathesis.openapi.from_wsgi("/v1/openapi.json", app)


def steered(strategy: Any, notice: str) -> Any:
    """Mostly aim at the configured site with a usable body, so that the successful
    paths are explored too, not only the 404 of a random site id."""
    choices = st.fixed_dictionaries(
        {"persistent": st.booleans(), "third_party": st.booleans()},
        optional={"session": st.just(True)},
    )

    def aim(args: tuple[Any, int, dict[str, bool]]) -> Any:
        case, mode, valid_choices = args  # 0: as generated, 1: known site, 2-3: + body
        if mode >= 1 and "site" in (case.path_parameters or {}):
            case.path_parameters["site"] = "default"
        if mode >= 2 and isinstance(case.body, dict) and "notice" in case.body:
            case.body["notice"] = notice
            case.body["choices"] = valid_choices
            case.body.pop("language", None)  # must be one of the site's
            case.body["method"] = "custom"
        return case

    return st.tuples(strategy, st.sampled_from([0, 1, 2, 3]), choices).map(aim)


def run_operation(api_schema: Any, method: str, path: str, notice: str) -> None:
    operation = api_schema[path][method]

    @given(case=steered(operation.as_strategy(), notice))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    check()


@pytest.mark.parametrize(("method", "path"), PUBLIC_OPERATIONS)
def test_public_operation_conforms_to_the_document(
    api_schema: Any, notice: dict[str, Any], method: str, path: str
) -> None:
    run_operation(api_schema, method, path, notice["notice"])


def test_every_other_documented_operation_conforms(
    api_schema: Any, notice: dict[str, Any]
) -> None:
    """Operations added later (the staff API) are held to the document too."""
    others = [
        (op.method.upper(), op.path)
        for result in api_schema.get_all_operations()
        for op in [result.ok()]
        if (op.method.upper(), op.path) not in PUBLIC_OPERATIONS
    ]
    for method, path in others:
        run_operation(api_schema, method, path, notice["notice"])


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
