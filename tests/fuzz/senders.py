"""Requests as Slack and Twilio send them, validly signed, so hostile content reaches what reads it;
and the app they are sent to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.app import create_app
from firebell.notify.settings import Channels
from firebell.notify.twilio_signature import twilio_signature
from firebell.org.models import ContactMethod, User
from firebell.slack.signing import sign_slack_request
from tests.api.conftest import Api
from tests.fuzz.rules import assert_fair

SLACK_SECRET = "fuzz-slack-signing-secret-0123456789"
TWILIO_TOKEN = "fuzz-twilio-auth-token"
ALICE_PHONE = "+46700000001"
PUBLIC_URL = "http://testserver"
FAILED_QUIETLY = "Something went wrong"  # slack/api.py's answer when the work raised


def utf8(text: str) -> bytes:
    """`text` as a sender's UTF-8 (a lone surrogate, which no UTF-8 holds, becomes "?")."""
    return text.encode("utf-8", "replace")


def slack_post(api: Api, client: TestClient, path: str, form: dict[str, bytes | str],
               headers: dict[str, Any] | None = None) -> Any:
    api.clock.advance(seconds=1)
    body = urlencode(form).encode()
    stamp = str(int(api.clock.now.timestamp()))
    signed = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign_slack_request(SLACK_SECRET, stamp, body),
              "Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(path, content=body, headers=signed | (headers or {}))
    assert_fair(response)
    assert FAILED_QUIETLY not in response.text, form
    return response


def twilio_post(api: Api, client: TestClient, path: str, body: bytes, headers: dict[str, Any] | None = None) -> Any:
    """POST `body` signed as Twilio signs what the server will read of it."""
    api.clock.advance(seconds=1)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        pairs = []
    signed = {"x-twilio-signature": twilio_signature(TWILIO_TOKEN, PUBLIC_URL + path, pairs),
              "content-type": "application/x-www-form-urlencoded"}
    response = client.post(path, content=body, headers=signed | (headers or {}))
    assert_fair(response)
    return response


@pytest.fixture
def client(api: Api) -> Iterator[TestClient]:
    """The app with Slack and Twilio configured (no bot token: nothing is sent anywhere), alice's
    phone verified for SMS replies, and one open incident."""
    channels = Channels(public_url=PUBLIC_URL, clock=api.clock, slack_signing_secret=SLACK_SECRET,
                        twilio_auth_token=TWILIO_TOKEN)
    api.declare()
    with api.db.unit_of_work() as session:
        alice = session.execute(select(User).where(User.name == "alice")).scalar_one()
        session.add(ContactMethod(user_id=alice.id, type="sms", address=ALICE_PHONE, verified_at=api.clock.now))
    with TestClient(create_app(api.db, api.clock, channels=channels)) as client:
        yield client
