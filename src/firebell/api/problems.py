"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from firebell.errors import DecisionError

PROBLEM = "application/problem+json"
_STATUS = {"invalid": 422, "conflict": 409, "not_found": 404, "forbidden": 403, "unauthorized": 401,
           "unavailable": 502,  # a channel or provider we depend on refused
           "misconfigured": 503}  # the server lacks what it needs (e.g. its secret): the operator's to fix
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
           429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class FieldError(BaseModel):
    field: str = Field(description="the input at fault, dotted (e.g. `services.0`), or `body`")
    message: str
    line: int | None = Field(default=None, description="for a template's text: the line at fault, from 1")


class Problem(BaseModel):
    """An RFC 9457 problem: every error the API answers, with `detail` saying what is wrong."""

    type: str = Field(description="always about:blank: the status says the kind of problem")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="the path of the request")
    errors: list[FieldError] | None = Field(default=None, description="with 422: each input at fault")


_MEANINGS = {400: "The body is not JSON, not UTF-8, or nested too deeply (the detail says which)",
             401: "No valid bearer token (see WWW-Authenticate)", 403: "The token's user may not do this",
             404: "No such thing, or a private incident the token's user may not see",
             409: "Refused in the current state (the detail says why)", 422: "The input is not valid",
             413: "The body is larger than the limit (the detail says it)",
             502: "A channel or provider this depends on refused"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI answers for error statuses, each application/problem+json (a router's or a route's
    `responses=`). The Problem schema itself is added to the document by install()."""
    return {status: {"description": _MEANINGS.get(status, _TITLES.get(status, "Error")),
                     "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for status in statuses}


def problem(status: int, detail: str, request: Request | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status,
                            "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="firebell"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_for(exc: DecisionError) -> int:
    return _STATUS.get(exc.kind, 422)


# FastAPI's words when a body is not even text (JSON that does not parse is a 422 naming where).
_UNREADABLE_BODY = {"There was an error parsing the body": "the body could not be read: it is not UTF-8 JSON"}


def _field(loc: tuple[Any, ...]) -> str:
    # Only the first element says where (a field may itself be named `body`: incident.body).
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in ("body", "query", "path") else loc)]
    return ".".join(parts) or "body"


def _document_problems(app: FastAPI) -> None:
    """Put the Problem schema into the OpenAPI document for problem_responses() to refer to.
    (A response `model` would declare it as application/json, which errors never are.)"""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # also kept as app.openapi_schema
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["Problem"] = problem_schema
        for operation in (op for path in document.get("paths", {}).values() for op in path.values()):
            _declare_generic_problems(operation)
        if not _refers_to(document.get("paths", {}), "#/components/schemas/HTTPValidationError"):
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_generic_problems(operation: dict[str, Any]) -> None:
    """The errors any route can answer whatever it declares, as they really come: FastAPI documents a
    422 as its own HTTPValidationError, which the handler below never sends; and any body can be cut
    short, not JSON, too deep (api/json_depth.py) or too large."""
    responses = operation.setdefault("responses", {})
    if "422" in responses:
        responses["422"] = problem_responses(422)[422]
    if "requestBody" in operation:
        for status in (400, 413):
            responses.setdefault(str(status), problem_responses(status)[status])


def _refers_to(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_refers_to(v, ref) for v in node.values())
    return isinstance(node, list) and any(_refers_to(v, ref) for v in node)


def install(app: FastAPI) -> None:
    _document_problems(app)

    @app.exception_handler(DecisionError)
    async def _decision(request: Request, exc: DecisionError) -> JSONResponse:
        return problem(status_for(exc), exc.message, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "")} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, detail or "invalid request", request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, _UNREADABLE_BODY.get(str(exc.detail), str(exc.detail)), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - safety net
        import logging

        logging.getLogger("firebell").exception("unhandled error on %s", request.url.path)
        answer = problem(500, "internal error; the request was not applied", request)
        # The server drops the connection after an unhandled error; say so, or a client reusing it
        # sees its next request fail with no answer.
        answer.headers["Connection"] = "close"
        return answer
