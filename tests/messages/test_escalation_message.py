"""The escalation message (TenSafe "Escalation Communication") end to end on both stores: a person
added with a message, or a level escalated to by hand, receives the "escalation" template's words at
a real SMTP server: the message given as the help needed, who is asked, the latest update as the
actions taken; a configured override of it is what arrives."""

from __future__ import annotations

from typing import Any

from firebell.messages.models import MessageTemplate
from tests.api.conftest import Api
from tests.escalation.test_engine import use_policy
from tests.escalation.test_paging_end_to_end import EMAIL_LADDER, ack_link, email_channels, engine, trigger
from tests.notify.test_email import MailSink, smtp_server


def text_of(mail: Any) -> str:
    return str(mail.get_body(preferencelist=("plain",)).get_content()).replace("\r\n", "\n")


def run(api: Api, act: Any) -> list[Any]:
    """Page alice for a new incident, do `act(ref)`, run the engine again: the mails that act sent."""
    use_policy(api, EMAIL_LADDER)
    sink = MailSink()
    with smtp_server(sink) as port:
        loop = engine(api, email_channels(api, port))
        trigger(api)
        loop.run_once()
        assert [str(m["To"]) for m in sink.received] == ["alice@example.com"]
        (incident,) = api.get("/api/v1/incidents").json()["items"]
        api.post(f"/api/v1/incidents/{incident['ref']}/updates", {"message": "Failed over to the replica"})
        api.clock.advance(minutes=1)
        act(incident["ref"])
        loop.run_once()
    return sink.received[1:]


def test_an_added_responder_receives_the_escalation_message(api: Api) -> None:
    (mail,) = run(api, lambda ref: api.post(f"/api/v1/incidents/{ref}/responders",
                                            {"user": "bob", "message": "We need a DBA for the failover"}))
    assert str(mail["To"]) == "bob@example.com"
    assert str(mail["Subject"]) == "[P1] INC-1 needs help: Database down"
    text = text_of(mail)
    assert text.startswith("INC-1 needs help from Bob")
    for line in ("Duration so far: 00:01", "Actions taken: Failed over to the replica",
                 "Help needed: We need a DBA for the failover", "View incident: http://testserver/incidents/INC-1"):
        assert f"\n{line}" in text, line
    assert ack_link(mail).startswith("/act/")  # the person asked can still acknowledge
    assert "INC-1 needs help" in mail.get_body(preferencelist=("html",)).get_content()


def test_a_manual_escalation_names_the_level_asked(api: Api) -> None:
    (mail,) = run(api, lambda ref: api.post(f"/api/v1/incidents/{ref}/escalate"))
    assert str(mail["To"]) == "bob@example.com"
    text = text_of(mail)
    assert text.startswith("INC-1 needs help from level 2 of mail-p1: Database down")
    assert "\nActions taken: Failed over to the replica" in text and "\nHelp needed: -" in text


def test_a_configured_escalation_template_is_what_arrives(api: Api) -> None:
    with api.db.unit_of_work() as session:
        session.add(MessageTemplate(name="escalation/email", purpose="escalation", channel="email", service="",
                                    parts={"subject": "HELP {{ incident.ref }}: {{ escalation.help }}",
                                           "text": "{{ escalation.to }}, please: {{ escalation.help }}"}))
    (mail,) = run(api, lambda ref: api.post(f"/api/v1/incidents/{ref}/responders",
                                            {"user": "bob", "message": "a DBA"}))
    assert str(mail["Subject"]) == "HELP INC-1: a DBA"
    assert text_of(mail).startswith("Bob") and text_of(mail).rstrip().endswith(", please: a DBA")
