"""SMS and voice paging end to end, on both stores: the engine pages through a loopback Twilio, and
Twilio's signed requests (replies, keys pressed, delivery receipts) reach a live Firebell server over
HTTP and act through the same rules as every other channel."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select, update

from firebell.app import create_app
from firebell.core.phone_replies import REPLY_HELP
from firebell.engine.loop import EngineLoop
from firebell.jobs import engine_loop
from firebell.notify.models import HeldReceipt, Notification
from firebell.notify.settings import Channels, channels_from_env
from firebell.org.models import ContactMethod, Service, User
from tests.api.conftest import Api
from tests.escalation.test_engine import reach_by, use_policy
from tests.escalation.test_paging_end_to_end import trigger
from tests.phone.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, FakeGateway, FakeTwilio

ALICE, BOB, STRANGER = "+46700000001", "+46700000002", "+46700000099"
GATEWAY_SECRET = "whsec_" + base64.b64encode(bytes(range(64, 96))).decode()
LADDER = {"name": "phone-p1", "repeat": 0, "levels": [
    {"targets": [{"kind": "user", "name": "alice"}], "delay_s": 300},
    {"targets": [{"kind": "user", "name": "bob"}], "delay_s": 300}]}


@dataclass
class Phones:
    """A live Firebell server with SMS and voice through the fake Twilio (and the generic gateway)."""

    api: Api
    twilio: FakeTwilio
    gateway: FakeGateway
    url: str  # FIREBELL_PUBLIC_URL: where the server listens, and what Twilio signs
    channels: Channels
    engine: EngineLoop

    def inbound(self, path: str, params: dict[str, str], token: str = AUTH_TOKEN,
                signature: str | None = None) -> httpx.Response:
        """POST a form to the server as Twilio does, signed (like the fake, independently of firebell's
        code) with `token`, or with the given `signature`."""
        url = self.url + path
        if signature is None:
            signed = url + "".join(name + params[name] for name in sorted(params))
            signature = base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
        headers = {"x-twilio-signature": signature} if signature else {}
        return httpx.post(url, content=urlencode(params), timeout=10,
                          headers=headers | {"content-type": "application/x-www-form-urlencoded"})

    def text(self, sender: str, body: str, sid: str | None = None) -> httpx.Response:
        sid = sid or "SM" + uuid.uuid4().hex
        return self.inbound("/integrations/twilio/sms", {
            "MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": sender, "To": TWILIO_NUMBER,
            "Body": body, "NumMedia": "0"})

    def press(self, gather_url: str, digits: str, call_sid: str = "CA" + "1" * 32) -> httpx.Response:
        assert gather_url.startswith(self.url)
        return self.inbound(gather_url[len(self.url):], {
            "AccountSid": ACCOUNT_SID, "CallSid": call_sid, "Digits": digits, "From": TWILIO_NUMBER, "To": ALICE,
            "CallStatus": "in-progress", "Direction": "outbound-api"})


@contextmanager
def serving(app: Any, sock: socket.socket) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def phones(api: Api) -> Iterator[Phones]:
    with FakeTwilio() as twilio, FakeGateway(GATEWAY_SECRET) as gateway, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        channels = channels_from_env({
            "FIREBELL_PUBLIC_URL": url, "FIREBELL_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "FIREBELL_TWILIO_AUTH_TOKEN": AUTH_TOKEN, "FIREBELL_TWILIO_FROM": TWILIO_NUMBER,
            "FIREBELL_TWILIO_API_URL": twilio.base_url,
            "FIREBELL_SMS_HTTP_URL": gateway.url, "FIREBELL_SMS_HTTP_SECRET": GATEWAY_SECRET,
        }, clock=api.clock)
        with serving(create_app(api.db, api.clock, channels=channels), sock):
            yield Phones(api, twilio, gateway, url, channels, engine_loop(api.db, api.clock, channels=channels))


def reach_verified(api: Api, user: str, *methods: tuple[str, str]) -> None:
    """`user`'s contact methods, in this order, all verified."""
    reach_by(api.db, user, *methods)
    with api.db.unit_of_work() as session:
        person = session.execute(select(User.id).where(User.name == user)).scalar_one()
        session.execute(update(ContactMethod).where(ContactMethod.user_id == person)
                        .values(verified_at=datetime(2026, 1, 1, tzinfo=UTC)))


def incident(api: Api, ref: str = "INC-1") -> dict[str, Any]:
    found = api.get(f"/api/v1/incidents/{ref}")
    assert found.status_code == 200, found.text
    return dict(found.json())


def events(api: Api, ref: str = "INC-1", kind: str | None = None) -> list[dict[str, Any]]:
    timeline = api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]
    return [e for e in timeline if kind is None or e["type"] == kind]


def reply_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return " ".join(m.text or "" for m in root.iter("Message"))


def spoken(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return " ".join(s.text or "" for s in ET.fromstring(response.text).iter("Say"))


def gather_url(twiml: str) -> str:
    actions = {g.attrib["action"] for g in ET.fromstring(twiml).iter("Gather")}
    assert len(actions) == 1, twiml
    return actions.pop()


@dataclass(frozen=True)
class Sent:
    channel: str
    state: str
    provider_id: str | None
    delivery_status: str | None


def notifications(api: Api) -> list[Sent]:
    with api.db.unit_of_work(write=False) as session:
        rows = session.execute(select(Notification).order_by(Notification.created_at)).scalars()
        return [Sent(n.channel, n.state, n.provider_id, n.delivery_status) for n in rows]


def page_alice(phones: Phones, *methods: tuple[str, str], key: str = "db-down",
               bob: tuple[str, str] = ("sms", BOB)) -> None:
    """Alice (level 1, reached by `methods`) is paged about a new INC; bob is level 2."""
    reach_verified(phones.api, "alice", *methods)
    reach_verified(phones.api, "bob", bob)
    use_policy(phones.api, LADDER)
    trigger(phones.api, key)
    phones.engine.run_once()


def test_an_sms_page_is_acknowledged_by_replying_ack_and_the_ladder_stops(phones: Phones) -> None:
    api, twilio = phones.api, phones.twilio
    page_alice(phones, ("sms", ALICE))
    (sms,) = twilio.messages
    assert (sms["From"], sms["To"]) == (TWILIO_NUMBER, ALICE)
    assert "INC-1" in sms["Body"] and "Database down" in sms["Body"] and "ack 1" in sms["Body"]
    assert sms["StatusCallback"] == f"{phones.url}/integrations/twilio/status"

    answer = reply_text(phones.text(ALICE, "ack"))
    assert answer == "INC-1 acknowledged by Alice Andersson via sms"
    assert incident(api)["status"] == "acknowledged"
    (acked,) = events(api, kind="acknowledged")
    assert acked["actor"].endswith("via sms")

    api.clock.advance(minutes=10)  # past level 2 (bob)
    phones.engine.run_once()
    assert [m["To"] for m in twilio.messages] == [ALICE], "the ladder went on after the SMS acknowledgement"
    assert reply_text(phones.text(ALICE, "ack")) == "Nothing done: INC-1 is already acknowledged"


def test_a_reply_naming_an_incident_acts_on_it_and_a_bare_reply_on_the_latest_page(phones: Phones) -> None:
    api = phones.api
    page_alice(phones, ("sms", ALICE), key="first")
    api.clock.advance(minutes=1)
    trigger(api, "second")
    phones.engine.run_once()
    assert [m["To"] for m in phones.twilio.messages] == [ALICE, ALICE]

    assert reply_text(phones.text(ALICE, "ACK 1")) == "INC-1 acknowledged by Alice Andersson via sms"
    assert (incident(api, "INC-1")["status"], incident(api, "INC-2")["status"]) == ("acknowledged", "triggered")
    assert reply_text(phones.text(ALICE, "6")) == "INC-2 resolved by Alice Andersson via sms"
    assert (incident(api, "INC-1")["status"], incident(api, "INC-2")["status"]) == ("acknowledged", "resolved")


def test_replies_that_cannot_act_say_why_and_twilio_keywords_get_no_answer(phones: Phones) -> None:
    api = phones.api
    page_alice(phones, ("sms", ALICE))
    assert "not linked" in reply_text(phones.text(STRANGER, "ack"))
    assert reply_text(phones.text(ALICE, "what is going on")) == REPLY_HELP
    assert reply_text(phones.text(ALICE, "STOP")) == ""
    assert reply_text(phones.text(ALICE, "ack 99")).startswith("Nothing done: ")
    with api.db.unit_of_work() as session:  # an unverified number may not act for anyone
        session.execute(update(ContactMethod).where(ContactMethod.address == ALICE).values(verified_at=None))
    assert "not linked" in reply_text(phones.text(ALICE, "ack"))
    assert incident(api)["status"] == "triggered"
    assert events(api, kind="acknowledged") == []


def test_an_sms_with_a_bad_or_missing_signature_is_refused_and_changes_nothing(phones: Phones) -> None:
    api = phones.api
    page_alice(phones, ("sms", ALICE))
    params = {"MessageSid": "SM" + "a" * 32, "From": ALICE, "To": TWILIO_NUMBER, "Body": "ack"}
    forged = phones.inbound("/integrations/twilio/sms", params, token="not-the-auth-token")
    assert forged.status_code == 401 and "X-Twilio-Signature" in forged.json()["detail"]
    assert phones.inbound("/integrations/twilio/sms", params, signature="").status_code == 401
    tampered = phones.inbound("/integrations/twilio/sms", params | {"Body": "resolve"},
                              signature=_signature(phones, "/sms", params))  # signed for "ack"
    assert tampered.status_code == 401
    assert incident(api)["status"] == "triggered"
    assert events(api, kind="acknowledged") == []


def _signature(phones: Phones, path: str, params: dict[str, str]) -> str:
    signed = phones.url + "/integrations/twilio" + path + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(AUTH_TOKEN.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def test_without_twilio_configured_the_endpoints_say_what_is_missing(api: Api) -> None:
    answer = api.client.post("/integrations/twilio/sms", data={"From": ALICE, "Body": "ack"})
    assert answer.status_code == 404 and "FIREBELL_TWILIO_AUTH_TOKEN" in answer.json()["detail"]


def test_a_replayed_sms_acts_only_once(phones: Phones) -> None:
    api = phones.api
    page_alice(phones, ("sms", ALICE))
    sid = "SM" + uuid.uuid4().hex
    assert reply_text(phones.text(ALICE, "resolve", sid)) == "INC-1 resolved by Alice Andersson via sms"
    assert api.post("/api/v1/incidents/INC-1/reopen", {"reason": "not fixed"}).status_code == 200
    replayed = reply_text(phones.text(ALICE, "resolve", sid))  # the same signed request again
    assert "already done" in replayed
    assert incident(api)["status"] == "triggered", "a replayed SMS resolved the reopened incident"
    assert len(events(api, kind="resolved")) == 1


def test_when_twilio_fails_the_generic_gateway_delivers_the_sms(phones: Phones) -> None:
    phones.twilio.fail_next(1, 500)
    page_alice(phones, ("sms", ALICE))
    assert phones.twilio.messages == [] and len(phones.twilio.requests) == 1
    (sent,) = phones.gateway.received
    assert sent.genuine and sent.payload["kind"] == "sms" and sent.payload["to"] == ALICE
    assert "INC-1" in sent.payload["body"]
    (row,) = notifications(phones.api)
    assert (row.state, row.provider_id) == ("sent", "generic:gw-1")


def test_a_voice_page_is_acknowledged_by_pressing_4_once(phones: Phones) -> None:
    api = phones.api
    page_alice(phones, ("voice", ALICE))
    (call,) = phones.twilio.calls
    assert (call["From"], call["To"]) == (TWILIO_NUMBER, ALICE)
    assert call["StatusCallback"] == f"{phones.url}/integrations/twilio/status"
    url = gather_url(call["Twiml"])
    assert url.startswith(f"{phones.url}/integrations/twilio/voice/")
    (row,) = notifications(api)
    assert row.channel == "voice" and row.state == "sent"

    said = spoken(phones.press(url, "4"))
    assert "Incident 1 acknowledged by Alice Andersson via voice" in said
    assert incident(api)["status"] == "acknowledged"
    assert events(api, kind="acknowledged")[0]["actor"].endswith("via voice")
    api.clock.advance(minutes=30)
    phones.engine.run_once()
    assert [n.channel for n in notifications(api)] == ["voice"], "the ladder went on after the key press"

    assert api.post("/api/v1/incidents/INC-1/resolve").status_code == 200
    assert api.post("/api/v1/incidents/INC-1/reopen").status_code == 200
    again = spoken(phones.press(url, "4"))  # the same call's key once more
    assert "already answered" in again
    assert incident(api)["status"] == "triggered", "one call's key acknowledged twice"
    assert len(events(api, kind="acknowledged")) == 1


def test_call_keys_9_repeats_an_unknown_key_is_explained_and_6_resolves(phones: Phones) -> None:
    api = phones.api
    page_alice(phones, ("voice", ALICE))
    url = gather_url(phones.twilio.calls[0]["Twiml"])
    repeated = phones.press(url, "9")
    assert gather_url(repeated.text) == url and "Incident 1" in spoken(repeated)
    unknown = phones.press(url, "7")
    assert gather_url(unknown.text) == url and spoken(unknown).startswith("Sorry, that key was not understood")
    assert incident(api)["status"] == "triggered"
    assert "Incident 1 resolved by Alice Andersson via voice" in spoken(phones.press(url, "6"))
    assert incident(api)["status"] == "resolved"
    forged = phones.inbound(url[len(phones.url):], {"Digits": "4"}, token="not-the-auth-token")
    assert forged.status_code == 401


def delivery_status(api: Api) -> str | None:
    (row,) = notifications(api)
    return row.delivery_status


def test_delivery_receipts_only_move_forward(phones: Phones) -> None:
    api, twilio = phones.api, phones.twilio
    page_alice(phones, ("sms", ALICE))
    sid = twilio.messages[0]["sid"]
    assert delivery_status(api) is None
    for status in ("queued", "sent", "delivered"):
        assert twilio.send_status_callback(sid, status) in {200, 204}
        assert delivery_status(api) == status
    assert twilio.send_status_callback(sid, "sent") in {200, 204}  # late and out of order
    assert delivery_status(api) == "delivered"
    assert events(api, kind="notification_undelivered") == []
    unknown = phones.inbound("/integrations/twilio/status", {"MessageSid": "SM" + "f" * 32, "MessageStatus": "sent"})
    assert unknown.status_code == 200


def test_an_undelivered_sms_or_an_unanswered_call_is_on_the_timeline(phones: Phones) -> None:
    api, twilio = phones.api, phones.twilio
    page_alice(phones, ("sms", ALICE), bob=("voice", BOB))
    api.clock.advance(minutes=5)
    phones.engine.run_once()  # level 2: bob is called
    sms, call = twilio.messages[0]["sid"], twilio.calls[0]["sid"]
    twilio.send_status_callback(sms, "sent")
    twilio.send_status_callback(sms, "undelivered", error_code=30003)
    twilio.send_status_callback(sms, "undelivered", error_code=30003)  # Twilio repeats itself
    twilio.send_status_callback(call, "no-answer")
    failed = events(api, kind="notification_undelivered")
    assert [(e["payload"]["user"], e["payload"]["channel"], e["payload"]["status"]) for e in failed] == [
        ("alice", "sms", "undelivered"), ("bob", "voice", "no-answer")]
    assert failed[0]["payload"]["error_code"] == 30003
    assert "unreachable" in failed[0]["payload"]["error"]


def test_a_receipt_that_overtakes_the_sender_is_applied_when_the_send_is_recorded(phones: Phones) -> None:
    """Twilio can call back before the sender has recorded the message's sid: the receipt is held,
    not lost, so an undelivered SMS still fails over to the person's next method."""
    api, twilio = phones.api, phones.twilio
    twilio.early_receipts.extend([("sent", None), ("undelivered", 30003)])
    page_alice(phones, ("sms", ALICE), ("voice", ALICE))
    failed = events(api, kind="notification_undelivered")
    assert [(e["payload"]["user"], e["payload"]["channel"], e["payload"]["status"]) for e in failed] == [
        ("alice", "sms", "undelivered")]
    phones.engine.run_once()
    assert [call["To"] for call in twilio.calls] == [ALICE], "the undelivered SMS did not fail over to a call"
    with api.db.unit_of_work(write=False) as session:
        assert session.execute(select(func.count()).select_from(HeldReceipt)).scalar() == 0


def test_a_number_two_people_share_acts_as_the_one_who_was_texted(phones: Phones) -> None:
    api = phones.api
    reach_verified(api, "alice", ("sms", ALICE))
    reach_verified(api, "bob", ("sms", ALICE))  # a shared on-call phone
    use_policy(api, LADDER)
    trigger(api)
    assert "several people" in reply_text(phones.text(ALICE, "ack 1"))
    assert incident(api)["status"] == "triggered"
    phones.engine.run_once()  # alice, at level 1, is texted
    assert reply_text(phones.text(ALICE, "ack")) == "INC-1 acknowledged by Alice Andersson via sms"


def test_an_undelivered_sms_fails_over_to_the_next_contact_method(phones: Phones) -> None:
    api, twilio = phones.api, phones.twilio
    page_alice(phones, ("sms", ALICE), ("voice", ALICE))
    assert twilio.calls == []
    twilio.send_status_callback(twilio.messages[0]["sid"], "undelivered", error_code=30003)
    phones.engine.run_once()
    assert [call["To"] for call in twilio.calls] == [ALICE], "the undelivered SMS did not fail over to a call"
    assert "notification_failover" in [e["type"] for e in events(api)]


def test_an_undelivered_bundle_fails_over_every_page_it_carried(phones: Phones) -> None:
    api, twilio = phones.api, phones.twilio
    reach_verified(api, "alice", ("sms", ALICE), ("voice", ALICE))
    use_policy(api, LADDER)
    with api.db.unit_of_work() as session:  # P2 pages wait for the bundle window; P1 ones would not
        session.execute(update(Service).where(Service.name == "api").values(escalation_policy={"P2": LADDER["name"]}))
    for title in ("Disk full", "Queue backing up"):
        assert api.post("/api/v1/incidents", {"title": title, "severity": "P2", "services": ["api"]}).status_code \
            == 201
    phones.engine.run_once()
    api.clock.advance(seconds=31)
    phones.engine.run_once()
    (bundle,) = twilio.messages
    assert bundle["Body"] == ("Firebell: 2 incidents need you: INC-1 (P2) Disk full; INC-2 (P2) Queue backing up"
                              " - Reply ack N / resolve N (N = incident number)")
    twilio.send_status_callback(bundle["sid"], "undelivered", error_code=30003)
    sms = [n for n in notifications(api) if n.channel == "sms"]
    assert [n.state for n in sms] == ["failed", "failed"], "a page of the bundle was left as sent"
    assert len([n for n in notifications(api) if n.channel == "voice"]) == 2


def test_a_receipt_nobody_records_is_dropped_after_a_day(api: Api) -> None:
    from firebell.notify import receipts

    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with api.db.unit_of_work() as session:
        assert receipts.receive(session, "twilio:SM" + "0" * 32, "sent", False, "", at) is False

    def held_after(hours: int) -> int:
        with api.db.unit_of_work() as session:
            receipts.prune(session, at + timedelta(hours=hours))
            return int(session.execute(select(func.count()).select_from(HeldReceipt)).scalar_one())

    assert held_after(23) == 1
    assert held_after(25) == 0
