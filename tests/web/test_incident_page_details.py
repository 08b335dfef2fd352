"""The incident page's details around the incident: its alerts with their links (a trace link built
from a label), the recent changes of its services, why each page waits or failed (without the
secrets an error may quote), forms that start from the current values, and stage names on the
timeline."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from html import unescape

from sqlalchemy import select

from firebell.alerts.models import ChangeEvent
from firebell.incidents.models import Incident
from firebell.notify.models import Notification
from firebell.org.models import Organisation, Service, User
from tests.web.conftest import Web
from tests.web.test_alerts_pages import TRACE, am_message, send
from tests.web.test_incident_pages import declare, texts


def form_of(html: str, action: str) -> str:
    """The HTML of the form that posts to `action`."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>.*?</form>', html, re.S)
    assert found, action
    return found.group(0)


def selected(form: str, name: str) -> str | None:
    select_ = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', form, re.S)
    assert select_, name
    chosen = re.search(r'<option value="([^"]*)"[^>]*\sselected', select_.group(1))
    return chosen.group(1) if chosen else None


def test_its_alerts_show_their_links_and_the_trace_link_built_from_a_label(web: Web) -> None:
    with web.db.unit_of_work() as session:
        org = session.execute(select(Organisation)).scalar_one()
        org.links = {"trace": "https://tempo.example/trace/{traceID}"}
        api = session.execute(select(Service).where(Service.name == "api")).scalar_one()
        api.links = {"logs": "https://loki.example/explore?trace={traceID}"}
    send(web, am_message("HighErrorRate", severity="critical", fingerprint="fp-errors", group="g-errors",
                         labels={"traceID": TRACE}, generator="https://prometheus.example/graph?g0.expr=up",
                         annotations={"summary": "API 5xx above 5%", "runbook_url": "https://runbooks.example/5xx"}))
    page = web.signed_in("vera").get("/incidents/INC-1")
    assert page.status_code == 200
    alerts = page.text.split('id="alerts-h"')[1].split("</section>")[0]
    assert "API 5xx above 5%" in alerts and re.search(r'href="/alerts/[0-9a-f-]{36}"', alerts)
    for href in ("https://prometheus.example/graph?g0.expr=up", "https://runbooks.example/5xx",
                 f"https://tempo.example/trace/{TRACE}", f"https://loki.example/explore?trace={TRACE}"):
        assert f'href="{href}"' in alerts, href
    assert "Trace" in texts(alerts) and "tempo.example" in texts(alerts)


def add_change(web: Web, service: str, summary: str, at: datetime) -> None:
    with web.db.unit_of_work() as session:
        service_id = session.execute(select(Service.id).where(Service.name == service)).scalar_one()
        session.add(ChangeEvent(service_id=service_id, summary=summary, source="github", occurred_at=at,
                                received_at=at, links=[{"href": "https://github.example/deploys/7", "text": "Deploy"},
                                                       {"href": "javascript:alert(1)", "text": "bad"}]))


def test_recent_changes_of_its_services_before_detection_and_during(web: Web) -> None:
    start = web.clock()
    add_change(web, "api", "Deploy api v1.2.3", start - timedelta(minutes=30))
    add_change(web, "api", "Deploy api v1.2.0", start - timedelta(hours=3))  # too early to be a suspect
    add_change(web, "database", "Resize the pool", start - timedelta(minutes=10))  # another service
    ref = declare(web, services="api")
    web.clock.advance(minutes=5)
    add_change(web, "api", "Roll back to v1.2.2", web.clock() - timedelta(minutes=1))
    page = web.signed_in("bob").get(f"/incidents/{ref}")
    changes = texts(page.text.split('id="changes-h"')[1].split("</section>")[0]).replace(" :", ":")
    assert "api: Deploy api v1.2.3 (github) 30m before detection" in changes
    assert "api: Roll back to v1.2.2 (github) during the incident" in changes
    assert changes.index("Roll back") < changes.index("v1.2.3")  # newest first
    assert "v1.2.0" not in changes and "Resize the pool" not in changes
    assert 'href="https://github.example/deploys/7"' in page.text and "javascript:" not in page.text


def add_page(web: Web, ref: str, user: str, **fields: object) -> None:
    with web.db.unit_of_work() as session:
        incident_id = session.execute(select(Incident.id).where(Incident.number == int(ref[4:]))).scalar_one()
        user_id = session.execute(select(User.id).where(User.name == user)).scalar_one()
        values: dict[str, object] = {"state": "pending", "next_attempt_at": web.clock(), "attempts": 0,
                                     "last_error": "", "held_reason": "", "channel": "sms"} | fields
        session.add(Notification(idempotency_key=str(uuid.uuid4()), incident_id=incident_id, user_id=user_id,
                                 target=f"user:{user}", address="+15550100", level=0,
                                 message={"ref": ref}, created_at=web.clock(), **values))


def test_each_page_says_why_it_waits_or_why_it_failed_without_secrets(web: Web) -> None:
    ref = declare(web, services="database")
    now = web.clock()
    add_page(web, ref, "alice", held_reason="high-urgency rule: SMS +15550100 5 min after the page",
             next_attempt_at=now + timedelta(minutes=5))
    add_page(web, ref, "bob", attempts=2, last_error="HTTP 503 Service Unavailable",
             next_attempt_at=now + timedelta(seconds=40))
    add_page(web, ref, "sam", state="failed", attempts=1, channel="slack",
             last_error="webhook URL 'https://hooks.slack.example/services/T0/B0/s3cr3tpath' is unusable: 404")
    add_page(web, ref, "vera", next_attempt_at=now - timedelta(minutes=10))
    html = web.signed_in("alice").get(f"/incidents/{ref}").text
    pages = unescape(texts(html.split('id="pages-h"')[1].split("</table>")[0]))
    assert "Waiting: high-urgency rule: SMS +15550100 5 min after the page; goes at 03:05:00 (in 5m)" in pages
    assert ("Waiting: 2 attempts failed (HTTP 503 Service Unavailable); retried with backoff; "
            "goes at 03:00:40 (in 40s)") in pages
    assert "Failed: webhook URL 'https://hooks.slack.example/…' is unusable: 404" in pages
    assert "s3cr3tpath" not in pages
    assert "Waiting: due but not taken yet: is the engine (firebell worker) running?" in pages


def test_the_forms_start_from_the_current_values(web: Web) -> None:
    ref = declare(web, severity="P2", command="1", services="api")
    alice = web.signed_in("alice")
    alice.get(f"/incidents/{ref}")
    assert alice.post(f"/incidents/{ref}/stage", {"stage": "contain"}).status_code == 303
    assert alice.post(f"/incidents/{ref}/details", {"tags": "db, checkout"}).status_code == 303
    html = alice.get(f"/incidents/{ref}").text
    action = f"/incidents/{ref}"
    role = form_of(html, f"{action}/role")
    assert selected(role, "role") is None and selected(role, "user") == "alice"  # commander: its holder
    assert "Commander: Alice Andersson" in texts(role)
    assert selected(form_of(html, f"{action}/severity"), "severity") == "P2"
    assert selected(form_of(html, f"{action}/stage"), "stage") == "contain"
    assert 'name="tags" value="checkout, db"' in form_of(html, f"{action}/details")
    reassign = form_of(html, f"{action}/reassign")
    assert '<select name="policy">' in reassign and '<option value="ep-api"' in reassign
    assert '<select name="user">' in reassign
    assert alice.post(f"{action}/reassign", {"policy": "ep-api"}).status_code == 303


def test_the_timeline_names_stages_by_their_titles(web: Web) -> None:
    ref = declare(web)
    alice = web.signed_in("alice")
    alice.get(f"/incidents/{ref}")
    alice.post(f"/incidents/{ref}/stage", {"stage": "contain"})
    alice.post(f"/incidents/{ref}/acknowledge")
    shown = texts(alice.get(f"/incidents/{ref}").text)
    assert "Alice Andersson moved the stage from Detect to Contain" in shown
    api = web.browser().client.get(f"/api/v1/incidents/{ref}/timeline",
                                   headers={"Authorization": f"Bearer {web.tokens['alice']}"}).json()
    assert "Alice Andersson moved the stage from Detect to Contain" in [e["text"] for e in api["events"]]
