"""The console's incident pages through a TestClient: what they show, their filters, every action
through its form (with the CSRF token), the one 404 for private and missing incidents, and a
viewer's forged POST refused with nothing changed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from firebell.incidents.models import Incident, TimelineEvent
from tests.web.conftest import BOTH_STORES, Browser, Web


def declare(web: Web, title: str = "Checkout down", severity: str = "P2", services: str = "api",
            by: str = "alice", **extra: Any) -> str:
    alice = web.signed_in(by)
    alice.get("/incidents")
    form = {"title": title, "severity": severity, "services": services, **extra}
    answer = alice.post("/incidents", form)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"]).rsplit("/", 1)[1]


def events(web: Web, ref: str) -> int:
    with web.db.unit_of_work(write=False) as session:
        incident = session.execute(select(Incident).where(Incident.number == int(ref[4:]))).scalar_one()
        return int(session.execute(select(func.count()).select_from(TimelineEvent)
                                   .where(TimelineEvent.incident_id == incident.id)).scalar_one())


def status_of(web: Web, ref: str) -> str:
    with web.db.unit_of_work(write=False) as session:
        return str(session.execute(select(Incident.status).where(Incident.number == int(ref[4:]))).scalar_one())


def texts(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@BOTH_STORES
def test_the_list_shows_open_incidents_most_severe_and_oldest_first_with_clocks_and_command(web: Web) -> None:
    first_p3 = declare(web, "Slow search", "P3")
    p1 = declare(web, "Checkout down", "P1", command="1")
    web.clock.advance(minutes=1)
    second_p3 = declare(web, "Slower search", "P3")
    resolved = declare(web, "Old thing", "P1")
    alice = web.signed_in("alice")
    assert alice.post(f"/incidents/{resolved}/resolve").status_code == 303
    page = alice.get("/incidents")
    assert page.status_code == 200
    open_part, history = page.text.split('id="history-h"')
    order = [m for m in re.findall(r"INC-\d+", open_part) if m in (p1, first_p3, second_p3)]
    assert list(dict.fromkeys(order)) == [p1, first_p3, second_p3]
    assert resolved in history and resolved not in open_part
    shown = texts(page.text)
    assert "ack overdue by" not in shown and "ack due in 4m" in shown and "recover due in 29m" in shown
    assert "command: alice" in shown and "command: nobody" in shown


@BOTH_STORES
@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("severity=P1", ["Checkout down"], ["Slow search"]),
    ("q=search", ["Slow search"], ["Checkout down"]),
    ("q=INC-1", ["Slow search"], ["Checkout down"]),
    ("service=database", ["Checkout down"], ["Slow search"]),
    ("team=security", [], ["Checkout down", "Slow search"]),
    ("status=acknowledged", [], ["Checkout down", "Slow search"]),
])
def test_filters_narrow_the_list(web: Web, query: str, shown: list[str], hidden: list[str]) -> None:
    declare(web, "Slow search", "P3")
    declare(web, "Checkout down", "P1", services="database")
    page = web.signed_in("bob").get(f"/incidents?{query}")
    assert page.status_code == 200
    for title in shown:
        assert title in page.text
    for title in hidden:
        assert title not in page.text


def test_mine_is_the_incidents_i_hold_a_role_in_or_respond_to(web: Web) -> None:
    declare(web, "Someone else's")
    mine = declare(web, "Mine", by="bob", command="1")
    page = web.signed_in("bob").get("/incidents?mine=1")
    assert mine in page.text and "Someone else" not in page.text


@BOTH_STORES
def test_history_is_paginated(web: Web) -> None:
    alice = web.signed_in("alice")
    alice.get("/incidents")
    for n in range(27):
        ref = declare(web, f"Past {n}")
        alice.post(f"/incidents/{ref}/resolve")
    first = alice.get("/incidents?status=resolved")
    older = re.search(r'href="(/incidents\?[^"]*cursor=[^"]+)"', first.text)
    assert older and "Past 26" in first.text and "Past 0<" not in first.text
    second = alice.get(older.group(1).replace("&amp;", "&"))
    assert "Past 0" in second.text and "Past 26" not in second.text


def test_the_declare_form_suggests_a_severity_from_the_ticked_criteria(web: Web) -> None:
    alice = web.signed_in("alice")
    page = alice.get("/incidents")
    assert 'name="flag" value="full-outage"' in page.text
    suggested = alice.post("/incidents", {"intent": "suggest", "flag": "error-rate-elevated", "title": "Kept"})
    assert suggested.status_code == 200
    assert "Suggested: P3" in texts(suggested.text) and 'value="Kept"' in suggested.text
    assert re.search(r'<option value="P3" selected>', suggested.text)
    assert "Suggested: P1" in texts(alice.get("/incidents/suggest?flag=full-outage&flag=error-rate-elevated").text)


def test_declaring_without_a_title_says_why_and_declares_nothing(web: Web) -> None:
    alice = web.signed_in("alice")
    alice.get("/incidents")
    answer = alice.post("/incidents", {"title": " ", "severity": "P2", "services": "api"})
    assert answer.status_code == 422 and "Not declared: title must not be empty" in answer.text


def test_the_incident_page_shows_state_timeline_and_its_services_on_call(web: Web) -> None:
    ref = declare(web, "Checkout down", "P2", command="1")
    page = web.signed_in("bob").get(f"/incidents/{ref}")
    assert page.status_code == 200
    shown = texts(page.text)
    assert "Checkout down" in shown and "triggered" in shown and "Acknowledge" in shown
    assert "Alice Andersson declared P2" in shown and "Commander Alice Andersson" in shown
    assert "On call for its services" in shown and "schedule primary: Alice Andersson" in shown


def test_every_action_through_its_form_changes_the_incident_and_reads_on_the_timeline(web: Web) -> None:
    ref = declare(web)
    alice = web.signed_in("alice")
    alice.get(f"/incidents/{ref}")
    steps: list[tuple[str, dict[str, str], str]] = [
        ("acknowledge", {}, "acknowledged"),
        ("notes", {"text": "looking at the pool"}, "looking at the pool"),
        ("updates", {"message": "Checkout is slow", "status": "investigating"}, "Checkout is slow"),
        ("severity", {"severity": "P1", "reason": "all regions"}, "all regions"),
        ("stage", {"stage": "contain"}, "contain"),
        ("role", {"role": "commander", "user": "bob"}, "Bob Berg"),
        ("responders", {"user": "sam", "message": "need security"}, "Sam Sec"),
        ("details", {"tags": "db, checkout"}, "checkout"),
        ("details", {"private": "1"}, "private"),
        ("escalate", {"level": "1"}, "level 1"),
        ("reassign", {"user": "bob"}, "Reassigned"),
        ("resolve", {"resolution": "pool size raised"}, "pool size raised"),
        ("reopen", {"reason": "came back"}, "came back"),
    ]
    for action, form, expected in steps:
        before = events(web, ref)
        answer = alice.post(f"/incidents/{ref}/{action}", form)
        assert answer.status_code == 303, (action, texts(answer.text)[:800])
        assert events(web, ref) > before, action
        page = alice.get(str(answer.headers["location"]))
        assert expected.lower() in texts(page.text).lower(), action


def test_a_refused_action_says_why_and_changes_nothing(web: Web) -> None:
    ref = declare(web)
    alice = web.signed_in("alice")
    alice.get(f"/incidents/{ref}")
    alice.post(f"/incidents/{ref}/acknowledge")
    before = events(web, ref)
    again = alice.post(f"/incidents/{ref}/acknowledge")
    assert again.status_code == 409 and "Nothing changed" in again.text and "already acknowledged" in again.text
    assert events(web, ref) == before


def test_timeline_filter_and_order(web: Web) -> None:
    ref = declare(web)
    alice = web.signed_in("alice")
    alice.get(f"/incidents/{ref}")
    alice.post(f"/incidents/{ref}/notes", {"text": "first note"})
    alice.post(f"/incidents/{ref}/notes", {"text": "second note"})
    newest = texts(alice.get(f"/incidents/{ref}").text)
    assert newest.index("second note") < newest.index("first note")
    oldest = texts(alice.get(f"/incidents/{ref}?order=oldest").text)
    assert oldest.index("first note") < oldest.index("second note")
    notes = texts(alice.get(f"/incidents/{ref}?view=notes").text)
    assert "first note" in notes and "declared P2" not in notes
    key = texts(alice.get(f"/incidents/{ref}?view=key").text)
    assert "declared P2" in key


@BOTH_STORES
def test_a_private_incident_is_the_same_404_as_a_missing_one_for_outsiders(web: Web) -> None:
    ref = declare(web, "Secret", private="1")
    otto = web.signed_in("otto")
    private = otto.get(f"/incidents/{ref}")
    missing = otto.get("/incidents/INC-999")
    assert private.status_code == missing.status_code == 404
    assert private.text.replace(ref, "INC-999") == missing.text
    assert otto.get(f"/incidents/{ref}/live").status_code == 404
    assert "Secret" not in otto.get("/incidents").text
    assert web.signed_in("alice").get(f"/incidents/{ref}").status_code == 200


def test_a_viewer_sees_no_buttons_and_a_forged_post_is_403_with_nothing_changed(web: Web) -> None:
    ref = declare(web)
    vera = web.signed_in("vera")
    page = vera.get(f"/incidents/{ref}")
    assert page.status_code == 200 and "Checkout down" in page.text
    assert f'action="/incidents/{ref}/' not in page.text and 'action="/incidents"' not in page.text.split("<main")[1]
    before = events(web, ref)
    for action, form in (("acknowledge", {}), ("notes", {"text": "forged"}), ("resolve", {})):
        answer = vera.post(f"/incidents/{ref}/{action}", form)
        assert answer.status_code == 403, action
    assert events(web, ref) == before and status_of(web, ref) == "triggered"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(web: Web) -> None:
    ref = declare(web)
    alice: Browser = web.signed_in("alice")
    before = events(web, ref)
    assert alice.post(f"/incidents/{ref}/acknowledge", csrf=None).status_code == 403
    assert alice.post(f"/incidents/{ref}/acknowledge", csrf="forged").status_code == 403
    assert events(web, ref) == before and status_of(web, ref) == "triggered"


def test_the_live_fragment_is_the_changing_part_alone(web: Web) -> None:
    ref = declare(web)
    alice = web.signed_in("alice")
    part = alice.client.get(f"/incidents/{ref}", headers={"X-Firebell-Fragment": "1"})
    assert part.status_code == 200 and "<html" not in part.text and "Acknowledge" in part.text
    listed = alice.client.get("/incidents", headers={"X-Firebell-Fragment": "1"})
    assert "<html" not in listed.text and ref in listed.text


def test_signed_out_the_incident_link_leads_to_sign_in_and_back(web: Web) -> None:
    ref = declare(web)
    answer = web.browser().client.get(f"/incidents/{ref}")
    assert answer.status_code == 303 and answer.headers["location"] == f"/sign-in?next=/incidents/{ref}"
