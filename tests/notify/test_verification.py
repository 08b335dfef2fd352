"""Verifying a contact method: the code goes out through the real channel (SMTP here), and only the
right code, in time, within five guesses, marks the method verified."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from firebell.app import create_app
from firebell.cli.me_cmd import me_app  # noqa: F401  (the CLI command must import cleanly)
from firebell.notify.channels.email import EmailChannel, SmtpSettings
from firebell.notify.settings import Channels
from firebell.org.models import ContactMethod
from tests.api.conftest import Api
from tests.escalation.test_engine import reach_by
from tests.notify.test_email import MailSink, smtp_server


@contextmanager
def mail_client(api: Api) -> Iterator[tuple[TestClient, MailSink]]:
    sink = MailSink()
    with smtp_server(sink) as port:
        channels = Channels(public_url="http://testserver", clock=api.clock, by_name={"email": EmailChannel(
            SmtpSettings(host="127.0.0.1", port=port, from_address="firebell@example.com", security="none"))})
        yield TestClient(create_app(api.db, api.clock, channels=channels)), sink


def _headers(api: Api, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[who]}"}


def _code(sink: MailSink) -> str:
    text = sink.received[-1].get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"code is (\d{6})", text)
    assert found, text
    return found.group(1)


def _methods(client: TestClient, api: Api, who: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/me/contact-methods", headers=_headers(api, who))
    assert response.status_code == 200, response.text
    return list(response.json())


def _unverified_email(api: Api, address: str = "alice.new@example.com") -> None:
    reach_by(api.db, "alice", ("email", address))
    with api.db.unit_of_work() as session:
        for method in session.query(ContactMethod).filter_by(address=address):
            method.verified_at = None


def test_the_code_sent_to_the_address_verifies_it(api: Api) -> None:
    _unverified_email(api)
    with mail_client(api) as (client, sink):
        path = "/api/v1/me/contact-methods/alice.new@example.com/verification"
        sent = client.post(path, headers=_headers(api, "alice"))
        assert sent.status_code == 202, sent.text
        assert [str(m["To"]) for m in sink.received] == ["alice.new@example.com"]
        before = {m["address"]: m["verified"] for m in _methods(client, api, "alice")}
        assert before["alice.new@example.com"] is False
        done = client.post(f"{path}/confirm", json={"code": _code(sink)}, headers=_headers(api, "alice"))
        assert done.status_code == 200, done.text
        assert done.json()["verified"] is True
        after = {m["address"]: m["verified"] for m in _methods(client, api, "alice")}
        assert after["alice.new@example.com"] is True


def test_wrong_codes_count_and_the_sixth_guess_is_refused_even_when_right(api: Api) -> None:
    _unverified_email(api)
    with mail_client(api) as (client, sink):
        path = "/api/v1/me/contact-methods/alice.new@example.com/verification"
        assert client.post(path, headers=_headers(api, "alice")).status_code == 202
        code = _code(sink)
        wrong = "000000" if code != "000000" else "111111"
        for left in (4, 3, 2, 1, 0):
            response = client.post(f"{path}/confirm", json={"code": wrong}, headers=_headers(api, "alice"))
            assert response.status_code == 422
            assert f"{left} tries left" in response.text
        refused = client.post(f"{path}/confirm", json={"code": code}, headers=_headers(api, "alice"))
        assert refused.status_code == 409 and "too many wrong codes" in refused.text
        assert {m["address"]: m["verified"] for m in _methods(client, api, "alice")}["alice.new@example.com"] is False


def test_an_expired_code_and_a_quick_resend_are_refused_with_reasons(api: Api) -> None:
    _unverified_email(api)
    with mail_client(api) as (client, sink):
        path = "/api/v1/me/contact-methods/alice.new@example.com/verification"
        assert client.post(path, headers=_headers(api, "alice")).status_code == 202
        again = client.post(path, headers=_headers(api, "alice"))
        assert again.status_code == 409 and "wait" in again.text
        assert len(sink.received) == 1
        code = _code(sink)
        api.clock.advance(minutes=11)
        late = client.post(f"{path}/confirm", json={"code": code}, headers=_headers(api, "alice"))
        assert late.status_code == 409 and "expired" in late.text


def test_someone_elses_method_is_not_found_and_a_failed_send_says_why(api: Api) -> None:
    _unverified_email(api)
    with mail_client(api) as (client, _sink):
        other = client.post("/api/v1/me/contact-methods/alice.new@example.com/verification",
                            headers=_headers(api, "bob"))
        assert other.status_code == 404 and "no contact method" in other.text
    # No SMTP server configured on this app: the send fails and says so, and asking again is not blocked.
    bare = TestClient(create_app(api.db, api.clock, channels=Channels(public_url="http://testserver")))
    path = "/api/v1/me/contact-methods/alice.new@example.com/verification"
    failed = bare.post(path, headers=_headers(api, "alice"))
    assert failed.status_code == 502 and "not configured" in failed.text
    assert bare.post(path, headers=_headers(api, "alice")).status_code == 502  # not "wait 30 s"
