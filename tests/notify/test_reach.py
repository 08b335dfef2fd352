"""Reaching a person: their rules (which methods, after how long, by urgency), their night, only
verified methods, and bundling and rate limits on the channels that buzz a phone. The engine and
the sender run for real on both stores; the channels record what they were asked to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from firebell.alerts import snapshot
from firebell.engine.loop import EngineLoop
from firebell.escalation.models import EscalationPolicy
from firebell.incidents.models import Incident, TimelineEvent
from firebell.jobs import engine_loop
from firebell.notify.channels.base import Delivery, Message
from firebell.notify.models import Notification
from firebell.notify.settings import Channels
from firebell.org.models import ContactMethod, NotificationRule, Service, User
from tests.api.conftest import Api
from tests.escalation.test_engine import reach_by

ONE_LEVEL = {"name": "reach", "repeat": 0, "levels": [{"targets": [{"kind": "user", "name": "alice"}],
                                                       "delay_s": 3600}]}


@dataclass
class Recorder:
    name: str
    sent: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> Delivery:
        self.sent.append(message)
        return Delivery.delivered(f"recorded by {self.name}")


def setup(api: Api, *methods: tuple[str, str], rules: list[tuple[str, int, str]] = (),  # type: ignore[assignment]
          zone: str = "UTC", verified: bool = True, refusing: tuple[str, ...] = ()
          ) -> tuple[EngineLoop, dict[str, Recorder]]:
    """alice is paged for every severity; `rules` are (method address, delay minutes, urgency); the
    channels named in `refusing` fail every send for good."""
    with api.db.unit_of_work() as session:
        if session.execute(select(EscalationPolicy).where(EscalationPolicy.name == "reach")).scalar() is None:
            session.add(EscalationPolicy(name="reach", spec=ONE_LEVEL))
        session.execute(update(Service).where(Service.name == "api").values(
            escalation_policy={key: "reach" for key in ("P1", "P2", "P3", "P4")}))
        session.execute(update(User).where(User.name == "alice").values(timezone=zone))
        snapshot.bump_version(session)
    reach_by(api.db, "alice", *methods, verified=verified)
    with api.db.unit_of_work() as session:
        alice = session.execute(select(User).where(User.name == "alice")).scalar_one()
        ids = {m.address: m.id for m in session.execute(select(ContactMethod).where(
            ContactMethod.user_id == alice.id)).scalars()}
        for position, (address, delay, urgency) in enumerate(rules):
            session.add(NotificationRule(user_id=alice.id, contact_method_id=ids[address], delay_minutes=delay,
                                         urgency=urgency, position=position))
    recorders = {name: (Refuser if name in refusing else Recorder)(name) for name in ("email", "sms", "voice", "slack")}
    channels = Channels(public_url="http://testserver", clock=api.clock, by_name=dict(recorders))
    return engine_loop(api.db, api.clock, channels=channels), recorders


def outbox(api: Api) -> list[dict[str, Any]]:
    with api.db.unit_of_work(write=False) as session:
        return [{"channel": n.channel, "address": n.address, "state": n.state, "held": n.held_reason,
                 "at": n.next_attempt_at, "bundle": n.bundle_id}
                for n in session.execute(select(Notification).order_by(Notification.created_at)).scalars()]


def events(api: Api, ref: str, kind: str) -> list[dict[str, Any]]:
    with api.db.unit_of_work(write=False) as session:
        incident = session.execute(select(Incident).where(Incident.number == int(ref.split("-")[1]))).scalar_one()
        return [e.payload for e in session.execute(select(TimelineEvent).where(
            TimelineEvent.incident_id == incident.id, TimelineEvent.type == kind)).scalars()]


def test_rules_use_each_method_at_its_delay_and_an_acknowledgement_stops_the_rest(api: Api) -> None:
    loop, sent = setup(api, ("email", "alice@example.com"), ("sms", "+46701740605"),
                       rules=[("alice@example.com", 0, "high"), ("+46701740605", 5, "high")])
    ref = api.declare(severity="P1")["ref"]
    loop.run_once()
    assert [m.recipient for m in sent["email"].sent] == ["alice@example.com"]
    assert sent["sms"].sent == [], "the SMS rule waits 5 minutes"
    waiting = [row for row in outbox(api) if row["channel"] == "sms"]
    assert waiting[0]["state"] == "pending" and "5 min after the page" in waiting[0]["held"]
    api.clock.advance(minutes=5)
    loop.run_once()
    assert [m.recipient for m in sent["sms"].sent] == ["+46701740605"]

    second = api.declare(severity="P1", title="Second")["ref"]
    loop.run_once()
    assert api.post(f"/api/v1/incidents/{second}/acknowledge", who="alice").status_code == 200
    api.clock.advance(minutes=10)
    loop.run_once()
    assert [m.incident_ref for m in sent["sms"].sent] == [ref], "the SMS went out after the acknowledgement"


def test_unverified_methods_are_never_paged_and_the_account_email_stands_in(api: Api) -> None:
    loop, sent = setup(api, ("sms", "+46701740605"), verified=False)
    api.declare(severity="P1")
    loop.run_once()
    assert sent["sms"].sent == []
    assert [m.recipient for m in sent["email"].sent] == ["alice@example.com"]


def test_low_urgency_waits_for_the_morning_in_the_persons_zone_and_says_so(api: Api) -> None:
    # 03:00 UTC is 04:00 in Stockholm: night. P3 is low urgency.
    loop, sent = setup(api, ("sms", "+46701740605"), ("email", "alice@example.com"),
                       rules=[("+46701740605", 0, "low"), ("alice@example.com", 0, "low")], zone="Europe/Stockholm")
    api.declare(severity="P3")
    loop.run_once()
    assert sent["sms"].sent == [] and len(sent["email"].sent) == 1, "email is silent, so it goes at night"
    sms = next(row for row in outbox(api) if row["channel"] == "sms")
    assert "deferred to 07:00 Europe/Stockholm" in sms["held"]
    assert sms["at"] == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    api.clock.advance(hours=2, minutes=59)
    loop.run_once()
    assert sent["sms"].sent == []
    api.clock.advance(minutes=1)
    loop.run_once()
    assert len(sent["sms"].sent) == 1


def test_high_urgency_phones_at_night(api: Api) -> None:
    loop, sent = setup(api, ("sms", "+46701740605"), rules=[("+46701740605", 0, "high")], zone="Europe/Stockholm")
    api.declare(severity="P2")
    loop.run_once()
    api.clock.advance(seconds=30)  # P2 waits out the bundling window
    loop.run_once()
    assert len(sent["sms"].sent) == 1


def test_pages_inside_the_bundle_window_go_as_one_sms_that_lists_them(api: Api) -> None:
    loop, sent = setup(api, ("sms", "+46701740605"))
    refs = [api.declare(severity="P2", title=f"Disk full on db{i}")["ref"] for i in range(3)]
    loop.run_once()
    assert sent["sms"].sent == []
    held = [row["held"] for row in outbox(api)]
    assert all(reason.startswith("bundling: waiting until 03:00:30") for reason in held), held
    api.clock.advance(seconds=30)
    loop.run_once()
    assert len(sent["sms"].sent) == 1
    text = sent["sms"].sent[0].summary
    assert text.startswith("3 incidents need you") and all(ref in text for ref in refs)
    rows = outbox(api)
    assert {row["state"] for row in rows} == {"sent"} and len({row["bundle"] for row in rows}) == 1
    for ref in refs:
        assert events(api, ref, "notification_bundled")[0]["incidents"] == sorted(refs)


def test_a_p1_does_not_wait_for_the_bundle_and_takes_the_waiting_pages_along(api: Api) -> None:
    loop, sent = setup(api, ("sms", "+46701740605"))
    api.declare(severity="P2", title="Slow dashboard")
    loop.run_once()
    assert sent["sms"].sent == []
    api.clock.advance(seconds=5)
    api.declare(severity="P1", title="API down")
    loop.run_once()
    assert len(sent["sms"].sent) == 1 and sent["sms"].sent[0].summary.startswith("2 incidents need you")


def test_past_the_rate_limit_pages_wait_with_the_reason_shown(api: Api) -> None:
    loop, sent = setup(api, ("sms", "+46701740605"))
    refs = []
    for i in range(7):
        refs.append(api.declare(severity="P1", title=f"Outage {i}")["ref"])
        loop.run_once()
        api.clock.advance(seconds=31)
    assert len(sent["sms"].sent) == 6
    last = outbox(api)[-1]
    assert last["state"] == "pending" and last["held"].startswith("rate limited: 6 SMS")
    shown = api.get(f"/api/v1/incidents/{refs[-1]}/pages").json()
    assert [(p["state"], p["waiting_because"]) for p in shown] == [("pending", last["held"])]
    assert events(api, refs[-1], "notification_held")[0]["reason"] == last["held"]
    api.clock.advance(minutes=10)
    loop.run_once()
    assert len(sent["sms"].sent) == 7


@dataclass
class Refuser(Recorder):
    def send(self, message: Message) -> Delivery:
        self.sent.append(message)
        return Delivery.failed("HTTP 404 Not Found")


def test_a_call_and_an_sms_to_the_same_number_are_never_merged(api: Api) -> None:
    loop, sent = setup(api, ("sms", "+46701740605"), ("voice", "+46701740605"))
    with api.db.unit_of_work() as session:  # a rule per method, both at once
        alice = session.execute(select(User).where(User.name == "alice")).scalar_one()
        for position, method in enumerate(session.execute(select(ContactMethod).where(
                ContactMethod.user_id == alice.id)).scalars()):
            session.add(NotificationRule(user_id=alice.id, contact_method_id=method.id, delay_minutes=0,
                                         urgency="high", position=position))
    api.declare(severity="P2")
    loop.run_once()
    api.clock.advance(seconds=31)
    loop.run_once()
    assert len(sent["voice"].sent) == 1, "the call was folded into the SMS"
    assert len(sent["sms"].sent) == 1


def test_failover_skips_a_method_the_rules_already_planned_and_admins_hear_nothing(api: Api) -> None:
    loop, sent = setup(api, ("email", "alice@example.com"), ("slack", "U0ALICE01"),
                       rules=[("alice@example.com", 0, "high"), ("U0ALICE01", 0, "high")], refusing=("email",))
    refuser = sent["email"]
    api.declare(severity="P1")
    loop.run_once()
    assert [m.recipient for m in refuser.sent] == ["alice@example.com"]  # failed for good: 404
    api.clock.advance(seconds=1)
    loop.run_once()
    assert [m.recipient for m in sent["slack"].sent] == ["U0ALICE01"], "the Slack DM was sent twice"
    assert [row["channel"] for row in outbox(api)] == ["email", "slack"], "admins or a duplicate were paged"


def test_when_every_method_fails_the_admins_are_paged_through_their_own_methods(api: Api) -> None:
    loop, sent = setup(api, ("email", "alice@example.com"), refusing=("email",))
    reach_by(api.db, "admin", ("slack", "U0ADMIN01"))
    incident = api.declare(severity="P1")
    loop.run_once()  # alice's only method fails for good: nothing left to fail over to
    (told,) = events(api, incident["ref"], "page_undeliverable")
    assert told["admins_told"] == ["admin"] and told["user"] == "alice"
    api.clock.advance(seconds=1)
    loop.run_once()
    (message,) = sent["slack"].sent
    assert message.recipient == "U0ADMIN01" and message.title.startswith("Page could not be delivered")
    assert [row["channel"] for row in outbox(api)] == ["email", "slack"]


def test_without_rules_a_low_urgency_page_still_waits_for_the_morning_to_phone(api: Api) -> None:
    loop, sent = setup(api, ("sms", "+46701740605"), zone="Europe/Stockholm")  # 04:00 there
    api.declare(severity="P4")
    loop.run_once()
    assert sent["sms"].sent == []
    (row,) = outbox(api)
    assert row["held"].startswith("deferred to 07:00 Europe/Stockholm")


def test_an_acknowledgement_stops_a_rules_later_steps_for_a_responder_page_too(api: Api) -> None:
    loop, sent = setup(api, ("email", "alice@example.com"), ("sms", "+46701740605"),
                       rules=[("alice@example.com", 0, "high"), ("+46701740605", 5, "high")])
    ref = api.declare(severity="P1", services=["auth"])["ref"]  # no policy on auth: only the manual page
    assert api.post(f"/api/v1/incidents/{ref}/responders", {"user": "alice", "message": "need you"}).status_code \
        == 200
    loop.run_once()
    assert len(sent["email"].sent) == 1
    assert api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice").status_code == 200
    api.clock.advance(minutes=6)
    loop.run_once()
    assert sent["sms"].sent == [], "the SMS follow-up went out after the acknowledgement"
