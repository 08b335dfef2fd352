"""Messages for an audience go through the outbox on both stores: delivered once to each address with the
template's words, recorded with their audience, never bundled, and still sent after the incident is resolved."""

from __future__ import annotations

from sqlalchemy import select

from firebell.incidents.models import Incident
from firebell.messages.send import Audience, send
from firebell.notify.channels.email import EmailChannel, SmtpSettings
from firebell.notify.settings import Channels
from tests.api.conftest import Api
from tests.escalation.test_paging_end_to_end import engine
from tests.notify.test_email import MailSink, smtp_server

LIST = [Audience("email", "ceo@example.com", "executives: ceo@example.com"),
        Audience("email", "vp@example.com", "executives: vp@example.com")]


def queue(api: Api, ref: str, key: str) -> None:
    with api.db.unit_of_work() as session:
        incident = session.execute(select(Incident).where(Incident.number == int(ref.split("-")[1]))).scalar_one()
        extra = {"update": {"status": "Identified", "known": "a bad deploy", "doing": "rolling back",
                            "next_update": "11:00 UTC", "text": ""}}
        send(session, "update", incident, LIST, api.clock.now, key=key, public_url="http://testserver", extra=extra)


def test_an_update_reaches_each_address_once_and_the_timeline_names_them(api: Api) -> None:
    ref = api.declare(title="Checkout slow", severity="P2")["ref"]
    api.post(f"/api/v1/incidents/{ref}/resolve", {})  # resolved first: the message still goes
    queue(api, ref, "update-1")
    queue(api, ref, "update-1")  # the same message asked twice
    sink = MailSink()
    with smtp_server(sink) as port:
        channels = Channels(public_url="http://testserver", clock=api.clock, by_name={"email": EmailChannel(
            SmtpSettings(host="127.0.0.1", port=port, from_address="firebell@example.com", security="none"))})
        loop = engine(api, channels)
        loop.run_once()
        loop.run_once()
    assert sorted(str(m["To"]) for m in sink.received) == ["ceo@example.com", "vp@example.com"]
    mail = sink.received[0]
    assert str(mail["Subject"]) == f"[P2] {ref} update: Identified - Checkout slow"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "What we know: a bad deploy" in text and "Next update: 11:00 UTC" in text
    events = api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]
    sent = sorted(e["text"] for e in events if e["type"] == "message_sent")
    assert len(sent) == 2 and "Sent the update message by email to executives: ceo@example.com" in sent[0]
