"""A page's words come from the templates on both stores: a configured one is used, and one that breaks
at run time still delivers the page, in the built-in words, with the failure on the timeline."""

from __future__ import annotations

from firebell.alerts.snapshot import bump_version
from firebell.messages.models import MessageTemplate
from tests.api.conftest import Api
from tests.escalation.test_paging_end_to_end import first_page_by_email


def use_template(api: Api, **parts: str) -> None:
    with api.db.unit_of_work() as session:
        session.add(MessageTemplate(name="page/email", purpose="page", channel="email", service="", parts=parts))
        bump_version(session)  # as `config apply` does: templates are cached per configuration version


def test_a_configured_page_template_is_what_arrives(api: Api) -> None:
    use_template(api, subject="WAKE UP: {{ incident.title }} ({{ incident.severity_name or incident.severity }})",
                 text="{{ incident.ref }} needs you.\nAck: {{ links.acknowledge }}")
    (mail,) = first_page_by_email(api).received
    assert str(mail["Subject"]).startswith("WAKE UP: Database down (")
    text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("INC-1 needs you.\nAck: http://testserver/act/")
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Database down" in html and ">Acknowledge</a>" in html  # the built-in HTML part stays


def test_a_template_that_breaks_at_run_time_still_delivers_the_page(api: Api) -> None:
    use_template(api, subject="{{ incident.title | int // 0 }}")
    (mail,) = first_page_by_email(api).received
    assert str(mail["Subject"]) == "[P1] INC-1 Database down"  # the built-in subject
    (incident,) = api.get("/api/v1/incidents").json()["items"]
    events = api.get(f"/api/v1/incidents/{incident['ref']}/timeline").json()["events"]
    fell_back = [e for e in events if e["type"] == "template_fell_back"]
    assert len(fell_back) == 1 and "ZeroDivisionError" in fell_back[0]["text"]
    assert "organisation template for the page message (email) failed" in fell_back[0]["text"]
    assert [e["type"] for e in events].count("notification_sent") == 1
