"""Issue 13: a bounded schemathesis run over /openapi.json, in-process, as the admin: every operation
gets examples that fit its schema and examples that do not, and every answer must be no server error
and conform to the document (a documented status, a documented content type, headers and body as
declared). One app per store, so operations meet what earlier ones wrote.

schemathesis's own pytest integration (`from_fixture`) does not run under pytest 9.2 (it sets a
removed node attribute), so operations are looped here, each as a small Hypothesis test.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.alerts.test_ingest_api import AM_API
from tests.api.conftest import Api
from tests.fuzz.test_ingestion_fuzz import GRAFANA_KEY, HEARTBEAT_KEY, WEBHOOK_KEY

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = int(os.environ.get("FIREBELL_SCHEMATHESIS_EXAMPLES", "4"))
# A random key finds no integration: these examples use the real ones, so bodies reach the parsers.
REAL_KEYS = {"/integrations/alertmanager/{key}": AM_API, "/integrations/grafana/{key}": GRAFANA_KEY,
             "/integrations/webhook/{key}": WEBHOOK_KEY, "/integrations/heartbeat/{key}": HEARTBEAT_KEY}


def _run(operation: Any, mode: GenerationMode, headers: dict[str, str], **fixed: Any) -> str | None:
    """The failures schemathesis found for `operation` in `mode`, or None."""

    @given(operation.as_strategy(generation_mode=mode, **fixed))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def examples(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        examples()
    except Unsatisfiable:  # nothing in the operation can be made invalid (no parameters, no body)
        return None
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports a group of failures
        return f"{operation.label} [{mode.value}{', real key' if fixed else ''}]: {exc}"
    return None


# CI time (65 s a store): the API's answers do not depend on the store; the store-specific paths
# (raw SQL, locking, migrations) are tested on both stores without the fuzzer.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_operation_answers_as_the_openapi_document_says(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    headers = {"Authorization": f"Bearer {api.tokens['admin']}"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        runs: list[dict[str, Any]] = [{}]
        if operation.path in REAL_KEYS:
            runs.append({"path_parameters": {"key": REAL_KEYS[operation.path]}})
        for fixed in runs:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failure = _run(operation, mode, headers, **fixed)
                if failure:
                    failures.append(failure)
    assert not failures, "\n\n".join(failures)
