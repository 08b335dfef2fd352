"""Errors on the console's paths are HTML pages in the layout, with a way on: a 404 for an address
that names nothing (the same page, after the same work, for a private incident as for a missing
one), a 403 for a refused form, a page that says what was not understood, and a page for a bug;
the machine paths (the API, the integrations) keep their problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.web.conftest import BOTH_STORES, Web
from tests.web.test_incident_pages import declare, events, status_of

LAYOUT = '<main id="main"'


def is_page(answer: object, status: int) -> bool:
    from httpx import Response

    assert isinstance(answer, Response)
    return (answer.status_code == status and answer.headers["content-type"].startswith("text/html")
            and LAYOUT in answer.text and f"Error {status}" in answer.text)


def test_an_address_that_names_nothing_is_a_404_page_signed_in_or_not(web: Web) -> None:
    alice = web.signed_in("alice")
    for path in ("/no-such-page", "/incidents/INC-1/no-such-thing", "/services/no-such-service",
                 "/oncall/schedules/no-such-schedule", "/static/no-such-file.css"):
        answer = alice.get(path)
        assert is_page(answer, 404), (path, answer.status_code, answer.text[:200])
        assert 'href="/incidents"' in answer.text and "Sign out" in answer.text, path
    anonymous = web.browser().get("/no-such-page")
    assert is_page(anonymous, 404) and 'href="/sign-in"' in anonymous.text and "Sign out" not in anonymous.text


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/incidents/INC-999", "/integrations/nothing"])
def test_machine_paths_keep_problem_json(web: Web, path: str) -> None:
    answer = web.signed_in("alice").get(path, headers={"Authorization": f"Bearer {web.tokens['alice']}"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json" and answer.json()["status"] == 404


@contextmanager
def statements_of(web: Web) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(web.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(web.db.engine, "before_cursor_execute", record)


@BOTH_STORES
@pytest.mark.parametrize("who", ["alice", "otto"])  # a responder of another team, a viewer of none
def test_a_private_incident_is_the_same_404_after_the_same_work_as_a_missing_one(web: Web, who: str) -> None:
    """As the API (tests/api/test_access.py): a private incident and a missing one run the same
    statements and answer the same page, for reading, for the live stream and for every action."""
    breach = declare(web, "Suspected JWT theft", services="auth", by="sam", private="1")
    missing = f"INC-{int(breach.removeprefix('INC-')) + 100}"
    outsider = web.signed_in(who)
    outsider.get("/incidents")  # the session's first use touches it: not part of the comparison
    requests: list[tuple[str, dict[str, str] | None]] = [  # a form: a POST
        ("/incidents/{ref}", None), ("/incidents/{ref}/live", None), ("/incidents/{ref}/acknowledge", {}),
        ("/incidents/{ref}/resolve", {}), ("/incidents/{ref}/notes", {"text": "hello?"}),
        ("/incidents/{ref}/escalate", {}), ("/incidents/{ref}/severity", {"severity": "P1", "reason": "worse"}),
        ("/incidents/{ref}/details", {"private": ""})]
    before = events(web, breach)
    for path, form in requests:
        runs, pages = [], []
        for ref in (breach, missing):
            with statements_of(web) as seen:
                address = path.format(ref=ref)
                answer = outsider.get(address) if form is None else outsider.post(address, form)
            assert is_page(answer, 404), (path, answer.status_code)
            runs.append(list(seen))
            pages.append(answer.text.replace(ref, "INC-?"))
        assert runs[0] == runs[1], path
        assert pages[0] == pages[1], path
    assert events(web, breach) == before and status_of(web, breach) == "triggered"


@pytest.mark.parametrize(("path", "form", "says"), [
    ("/incidents/{ref}/acknowledge", {}, "Nothing changed: you can view INC-1 but not change it: your access is"),
    ("/incidents/{ref}/notes", {"text": "forged"}, "your access is view-only"),
    ("/oncall/schedules/primary/overrides", {"user": "vera", "start": "2026-11-24T09:00",
                                             "end": "2026-11-24T17:00"}, "viewers cannot change schedules"),
    ("/services/api/maintenance", {"duration": "1h"}, "team or an admin can put it in maintenance"),
    ("/admin/people/bob/deactivate", {}, "Admins only"),
])
def test_a_viewers_forged_post_is_a_403_page_and_changes_nothing(web: Web, path: str, form: dict[str, str],
                                                                 says: str) -> None:
    ref = declare(web)
    before = events(web, ref)
    vera = web.signed_in("vera")
    vera.get("/incidents")
    answer = vera.post(path.format(ref=ref), form)
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert LAYOUT in answer.text and says in answer.text
    assert events(web, ref) == before and status_of(web, ref) == "triggered"


def test_a_post_without_the_csrf_token_is_a_403_page(web: Web) -> None:
    ref = declare(web)
    answer = web.signed_in("alice").post(f"/incidents/{ref}/acknowledge", csrf=None)
    assert is_page(answer, 403) and "nothing was changed" in answer.text
    assert status_of(web, ref) == "triggered"


def test_a_form_missing_a_field_or_a_visit_to_a_form_address_is_a_page_not_json(web: Web) -> None:
    ref = declare(web)
    alice = web.signed_in("alice")
    alice.get("/incidents")
    missing_field = alice.post(f"/incidents/{ref}/severity", {"reason": "no severity given"})
    assert is_page(missing_field, 422) and "(severity)" in missing_field.text
    assert "nothing was changed" in missing_field.text
    visit = alice.get(f"/incidents/{ref}/acknowledge")
    assert is_page(visit, 405) and visit.headers["allow"] == "POST"
    assert alice.post("/api/v1/incidents/INC-1/severity", csrf=None, headers={
        "Authorization": f"Bearer {web.tokens['alice']}"}).headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/incidents?q=%00", "/incidents?service=%00", "/services/%00",
                                  "/oncall/schedules/%00", "/alerts?q=%00", "/alerts/%00", "/incidents/%00"])
def test_odd_addresses_are_answered_not_500(web: Web, path: str) -> None:
    """PostgreSQL refuses NUL in text: a page looked up by one must not become a server error."""
    answer = web.signed_in("alice").get(path)
    assert answer.status_code < 500 and answer.headers["content-type"].startswith("text/html"), answer.text[:300]
    assert LAYOUT in answer.text


@BOTH_STORES
def test_a_form_value_holding_nul_is_not_understood_and_changes_nothing(web: Web) -> None:
    ref = declare(web)
    alice = web.signed_in("alice")
    alice.get("/incidents")
    before = events(web, ref)
    answer = alice.post(f"/incidents/{ref}/notes", {"text": "a\x00b"})
    assert is_page(answer, 422) and "NUL" in answer.text and events(web, ref) == before


def test_a_bug_is_a_friendly_500_page_on_a_page_and_problem_json_on_the_api(web: Web) -> None:
    def broken() -> None:
        raise RuntimeError("a bug with a secret in it")

    web.app.add_api_route("/incidents-broken", broken)
    web.app.add_api_route("/api/v1/broken", broken)
    alice = web.signed_in("alice")
    client = TestClient(web.app, raise_server_exceptions=False, cookies=dict(alice.client.cookies))
    client.cookies = alice.client.cookies
    answer = client.get("/incidents-broken")
    assert is_page(answer, 500) and "Something went wrong" in answer.text and "secret" not in answer.text
    assert "Sign out" in answer.text  # still signed in: the layout's navigation is there
    api = client.get("/api/v1/broken")
    assert api.status_code == 500 and api.headers["content-type"] == "application/problem+json"
