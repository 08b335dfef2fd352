"""The OpenAPI document declares the errors the API really answers, as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

PROBLEM = "application/problem+json"
# Representative routes and the errors each really gives (shown by the tests of each domain).
EXPECTED = {
    ("get", "/api/v1/incidents"): {401, 422},
    ("post", "/api/v1/incidents"): {401, 403, 409, 422},
    ("get", "/api/v1/incidents/{ref}"): {401, 404},
    ("post", "/api/v1/incidents/{ref}/acknowledge"): {401, 403, 404, 409},
    ("post", "/api/v1/incidents/{ref}/severity"): {401, 403, 404, 409, 422},
    ("patch", "/api/v1/incidents/{ref}"): {401, 403, 404, 409, 422},
    ("get", "/api/v1/incidents/{ref}/pages"): {401, 404},
    ("get", "/api/v1/alerts/{alert_id}"): {401, 404},
    ("post", "/api/v1/maintenance/{window_id}/end"): {401, 404, 409},
    ("post", "/api/v1/schedules/{name}/overrides"): {401, 403, 404, 422},
    ("post", "/api/v1/me/contact-methods/{selector}/verification/confirm"): {401, 404, 409, 422},
    ("get", "/api/v1/me"): {401},
}


def _schema(api: Api) -> dict[str, Any]:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _errors(operation: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(code): answer for code, answer in operation["responses"].items() if int(code) >= 400}


def test_api_routes_declare_their_errors_as_problem_json(api: Api) -> None:
    schema = _schema(api)
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    for (method, path), codes in EXPECTED.items():
        errors = _errors(schema["paths"][path][method])
        assert codes <= set(errors), (method, path, sorted(errors))
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            errors = _errors(operation)
            assert 401 in errors, (method, path)
            for code, answer in errors.items():  # every error is a problem, none plain JSON
                assert list(answer["content"]) == [PROBLEM], (method, path, code)
                assert answer["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_real_error_answers_match_what_the_schema_declares(api: Api) -> None:
    schema = _schema(api)
    required = set(schema["components"]["schemas"]["Problem"]["required"])
    ref = api.declare()["ref"]
    assert api.post(f"/api/v1/incidents/{ref}/acknowledge").status_code == 200
    answers = {
        ("get", "/api/v1/incidents/{ref}", 404): api.get("/api/v1/incidents/INC-999"),
        ("post", "/api/v1/incidents/{ref}/acknowledge", 409): api.post(f"/api/v1/incidents/{ref}/acknowledge"),
        ("post", "/api/v1/incidents/{ref}/acknowledge", 403): api.post(f"/api/v1/incidents/{ref}/acknowledge",
                                                                       who="vera"),
        ("get", "/api/v1/incidents", 422): api.get("/api/v1/incidents", status="sleeping"),
        ("get", "/api/v1/incidents", 401): api.get("/api/v1/incidents", who=None),
    }
    for (method, path, code), response in answers.items():
        assert response.status_code == code, response.text
        declared = _errors(schema["paths"][path][method])[code]["content"]
        assert response.headers["content-type"] in declared
        assert required <= set(response.json())
