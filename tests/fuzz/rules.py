"""The fuzz suite's settings and the one rule every answer must keep.

Each test builds its app once (the `api` fixture, on SQLite and PostgreSQL) and sends every example
to it, so the database fills as a real one would. FIREBELL_FUZZ_EXAMPLES raises the examples per test
for a longer run by hand; the default keeps the folder under a minute and a half per store.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("FIREBELL_FUZZ_EXAMPLES", "30"))
# One app per test function, shared by its examples: that is the point, not a mistake to warn of.
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])


def message_of(response: Any) -> str:
    """What a 4xx answer tells the sender: problem+json's `detail`, a PagerDuty-style `message`, or
    the heading and text of an HTML page; empty if it says nothing."""
    kind = response.headers.get("content-type", "")
    if "html" in kind:
        said = re.search(r"<h1[^>]*>\s*\S", response.text) and re.search(r"<p[^>]*>\s*\S", response.text)
        return str(response.text) if said else ""
    if kind.startswith("text/plain"):  # Starlette's own 413 for a declared length over the limit
        return str(response.text)
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    found = body.get("detail") or body.get("message") or ""
    return found if isinstance(found, str) else ""


def assert_fair(response: Any, method: str = "POST") -> None:
    """Never a 5xx; a 4xx says what was wrong (a HEAD answer has no body to say it in)."""
    assert response.status_code < 500, (response.status_code, response.text[:2_000])
    if response.status_code >= 400 and method != "HEAD":
        assert message_of(response).strip(), (response.status_code, response.headers, response.text[:500])

