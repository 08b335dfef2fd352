"""Issue 13: the other routes outsiders reach, fed hostile input: Slack's commands and buttons and
Twilio's callbacks (validly signed, so the fuzz reaches what reads them), action links and calendar
feeds. Never a 5xx, every 4xx says why; and a Slack or SMS answer never hides a failure behind a 200
("Something went wrong" is what the Slack route says when its work raised). On both stores.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from firebell.core.action_links import make_token
from firebell.incidents.models import Incident
from firebell.org.models import User
from firebell.store.secrets import link_secret
from tests.api.conftest import Api
from tests.fuzz.rules import assert_fair, fuzz
from tests.fuzz.senders import ALICE_PHONE, slack_post, twilio_post, utf8
from tests.fuzz.strategies import any_char, dumps, header_value, hostile_json, hostile_segment, hostile_text, mutated

# Work done on threads nobody joins (Slack's delayed replies) must not fail unseen either.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

slack_text = st.one_of(
    st.builds(lambda verb, rest: f"{verb} {rest}", st.sampled_from(
        ["create", "ack", "resolve", "update", "update INC-1", "severity", "severity P2", "oncall", "override primary",
         "override primary @bob", "help", "CREATE", "ack INC-", "resolve 0000000000001"]), hostile_text),
    st.sampled_from(["ack 999999999999", "ack INC-999999999999", "override primary alice 999999999d",
                     "override primary alice 0m", "create " + "x" * 5_000 + " p1", "update INC-1 " + "\x00",
                     "create &lt;b&gt; &amp;", "oncall \x00", "severity P9 INC-1"]),
    hostile_text,
)


@fuzz
@given(text=slack_text, user=st.one_of(st.sampled_from(["U0ALICE01", "U0BOB0001", ""]), hostile_text),
       channel=st.one_of(st.just("C0INCIDENT"), hostile_text))
def test_slack_commands_survive_hostile_text(api: Api, client: TestClient, text: str, user: str,
                                              channel: str) -> None:
    slack_post(api, client, "/integrations/slack/commands", {
        "command": "/incident", "text": utf8(text), "user_id": utf8(user), "channel_id": utf8(channel),
        "team_id": "T000", "response_url": "", "trigger_id": "1.2.3"})


BUTTON = {"type": "block_actions", "user": {"id": "U0ALICE01", "username": "alice"}, "channel": {"id": "C0INCIDENT"},
          "response_url": "", "actions": [{"type": "button", "action_id": "acknowledge", "value": "INC-1",
                                           "block_id": "b", "action_ts": "1700000000.1"}]}


@fuzz
@given(payload=st.one_of(mutated(BUTTON).map(dumps), mutated(BUTTON).map(dumps), hostile_json.map(dumps),
                         st.text(any_char, max_size=60).map(utf8)))
def test_slack_buttons_survive_hostile_payloads(api: Api, client: TestClient, payload: bytes) -> None:
    if b'"response_url": "' in payload and b'"response_url": ""' not in payload:
        payload = payload.replace(b'"response_url": "', b'"response_url": "x')  # never a reachable URL
    slack_post(api, client, "/integrations/slack/interactive", {"payload": payload})


SLACK_HEADERS = ["x-slack-request-timestamp", "x-slack-signature", "content-type"]


@fuzz
@given(hostile=st.dictionaries(st.sampled_from(SLACK_HEADERS), header_value, min_size=1, max_size=3),
       path=st.sampled_from(["/integrations/slack/commands", "/integrations/slack/interactive"]))
def test_slack_routes_survive_hostile_signature_headers(api: Api, client: TestClient, hostile: dict[str, bytes],
                                                        path: str) -> None:
    slack_post(api, client, path, {"command": "/incident", "text": "help", "user_id": "U0ALICE01"}, hostile)


sms_body = st.one_of(
    st.builds(lambda verb, rest: f"{verb}{rest}",
              st.sampled_from(["ack", "ACK ", "resolve ", "4", "6 ", "ack INC-", "r "]), hostile_text),
    st.sampled_from(["ack 1", "ack 99999999999999999999", "resolve INC-0", "ack -1", "stop", "\x00"]),
    hostile_text)


@fuzz
@given(body=sms_body, sender=st.one_of(st.just(ALICE_PHONE), hostile_text), sid=st.one_of(st.just("SM1"), hostile_text))
def test_sms_replies_survive_hostile_text(api: Api, client: TestClient, body: str, sender: str, sid: str) -> None:
    form = urlencode({"Body": utf8(body), "From": utf8(sender), "MessageSid": utf8(sid), "To": "+4600"}).encode()
    response = twilio_post(api, client, "/integrations/twilio/sms", form)
    if response.status_code != 413:  # fields of 70,000 emoji, percent-encoded, pass the 1 MB body limit
        assert response.status_code == 200 and "<Response" in response.text


def voice_token(api: Api, action: str = "acknowledge") -> str:
    with api.db.unit_of_work(write=False) as session:
        incident = session.execute(select(Incident.id)).scalars().first()
        alice = session.execute(select(User.id).where(User.name == "alice")).scalar_one()
        secret = link_secret(session)
    assert incident is not None
    return make_token(secret, action, incident, alice, uuid.uuid4().hex, api.clock.now + timedelta(hours=1))


link_token = st.one_of(hostile_segment.filter(lambda t: t not in ("", ".", "..")), st.sampled_from(
    ["a.b", "." * 3, "e30.e30", "W10.AAAA", "WzEsImEiLCJiIiwiYyIsImQiLDFd.AAAA", "%00", "x" * 5_000]))


@fuzz
@given(digits=st.one_of(st.sampled_from(["4", "6", "*", "#", "", "44", "0"]), hostile_text),
       token=st.one_of(st.none(), link_token))
def test_voice_keys_survive_hostile_digits_and_tokens(api: Api, client: TestClient, digits: str,
                                                       token: str | None) -> None:
    path = f"/integrations/twilio/voice/{quote(utf8(token or voice_token(api)), safe='')}"
    form = urlencode({"Digits": utf8(digits), "CallSid": "CA1", "From": "+4600", "To": ALICE_PHONE}).encode()
    twilio_post(api, client, path, form)


@fuzz
@given(fields=st.dictionaries(st.sampled_from(["MessageSid", "MessageStatus", "CallSid", "CallStatus", "ErrorCode",
                                               "SmsSid"]), st.one_of(st.sampled_from(
                                                   ["SM1", "CA1", "delivered", "failed", "undelivered", "busy",
                                                    "no-answer", "30003", ""]), hostile_text), max_size=4),
       raw=st.one_of(st.none(), st.binary(max_size=80)))
def test_delivery_receipts_survive_hostile_fields(api: Api, client: TestClient, fields: dict[str, str],
                                                   raw: bytes | None) -> None:
    body = raw if raw is not None else urlencode({k: utf8(v) for k, v in fields.items()}).encode()
    twilio_post(api, client, "/integrations/twilio/status", body)


@fuzz
@given(hostile=st.dictionaries(st.sampled_from(["x-twilio-signature", "content-type"]), header_value, min_size=1),
       path=st.sampled_from(["/integrations/twilio/sms", "/integrations/twilio/status"]))
def test_twilio_routes_survive_hostile_signature_headers(api: Api, client: TestClient, hostile: dict[str, bytes],
                                                         path: str) -> None:
    twilio_post(api, client, path, b"Body=ack&From=%2B46700000001&MessageSid=SM9", hostile)


@fuzz
@given(token=st.one_of(st.none(), link_token), method=st.sampled_from(["GET", "POST"]),
       action=st.sampled_from(["acknowledge", "resolve", "reopen", "x" * 300]))
def test_action_links_survive_hostile_tokens(api: Api, client: TestClient, token: str | None, method: str,
                                             action: str) -> None:
    api.clock.advance(seconds=1)
    path = f"/act/{quote(utf8(token or voice_token(api, action)), safe='')}"
    response = client.request(method, path)
    assert_fair(response, method)
    assert response.headers["x-frame-options"] == "DENY"  # whatever the answer, it stays out of frames


@fuzz
@given(token=st.one_of(link_token, st.builds(lambda kind, tail: kind + str(uuid.UUID(int=0)) + tail,
                                             st.sampled_from(["s", "u", "x", ""]), hostile_segment)))
def test_calendar_feeds_survive_hostile_tokens(api: Api, client: TestClient, token: str) -> None:
    response = client.get(f"/ical/{quote(utf8(token), safe='')}.ics")
    assert_fair(response, "GET")


@fuzz
@given(body=hostile_json.map(dumps), path=st.sampled_from(["/integrations/slack/commands", "/integrations/twilio/sms",
                                                           "/integrations/twilio/status"]))
def test_form_routes_survive_json_bodies_unsigned(api: Api, client: TestClient, body: bytes, path: str) -> None:
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert_fair(response)
    # Unsigned: refused as such, unless its JSON nests deeper than any route takes (api/json_depth.py),
    # which is checked before the route reads the body.
    assert response.status_code in (401, 413) and json.loads(response.content)["detail"]
