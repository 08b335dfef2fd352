"""/me in a browser without JavaScript (TestClient): a contact method added and verified through the
forms, rules and quiet hours edited, tokens made and revoked, the calendar URL rotated; forms without
the CSRF token change nothing; and the REST API edits the same settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from firebell.app import create_app
from firebell.audit.models import AuditEntry
from firebell.auth.models import ApiToken
from firebell.notify.channels.base import Delivery, Message
from firebell.notify.settings import Channels
from firebell.org.models import User
from tests.web.conftest import Web


@dataclass
class SmsInbox:
    """An SMS channel that keeps what it was asked to send."""

    name: str = "sms"
    sent: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> Delivery:
        self.sent.append(message)
        return Delivery.delivered("queued")

    def last_code(self) -> str:
        found = re.search(r"code is (\d{6})", self.sent[-1].summary)
        assert found, self.sent[-1].summary
        return found.group(1)


@pytest.fixture
def sms(web: Web) -> SmsInbox:
    inbox = SmsInbox()
    web.app = create_app(web.db, web.clock, channels=Channels(public_url="http://testserver", clock=web.clock,
                                                              by_name={"sms": inbox}))
    return inbox


def _bob(web: Web) -> User:
    with web.db.unit_of_work(write=False) as session:
        user = session.execute(select(User).where(User.name == "bob")).scalar_one()
        session.expunge(user)
        return user


def _audit_actions(web: Web) -> list[str]:
    with web.db.unit_of_work(write=False) as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_a_person_adds_an_sms_number_and_verifies_it_with_the_code_it_receives(web: Web, sms: SmsInbox) -> None:
    bob = web.signed_in("bob")
    page = bob.get("/me")
    assert page.status_code == 200 and "Contact methods" in page.text and "Add method" in page.text

    added = bob.post("/me/contact-methods", {"type": "sms", "address": "+46701234567", "label": "work phone"})
    assert added.status_code == 303 and added.headers["location"] == "/me?done=method-added#methods"
    [method] = _bob(web).contact_methods
    assert (method.type, method.address, method.label, method.verified_at) == ("sms", "+46701234567", "work phone",
                                                                                None)
    assert "Not verified: never paged" in bob.get("/me").text

    sent = bob.post(f"/me/contact-methods/{method.id}/send-code")
    assert sent.status_code == 200 and "Code sent to +46701234567" in sent.text
    assert [m.recipient for m in sms.sent] == ["+46701234567"]

    wrong = bob.post(f"/me/contact-methods/{method.id}/verify", {"code": "000000" if sms.last_code() != "000000"
                                                                  else "111111"})
    assert wrong.status_code == 422 and "4 tries left" in wrong.text
    right = bob.post(f"/me/contact-methods/{method.id}/verify", {"code": sms.last_code()})
    assert right.status_code == 303
    assert _bob(web).contact_methods[0].verified_at == web.clock()
    assert "Verified" in bob.get(right.headers["location"]).text
    assert {"contact_method.add"} <= set(_audit_actions(web))


def test_a_forged_form_without_the_csrf_token_changes_nothing(web: Web) -> None:
    bob = web.signed_in("bob")
    refused = bob.post("/me/contact-methods", {"type": "sms", "address": "+46701234567"}, csrf=None)
    assert refused.status_code == 403 and "nothing was changed" in refused.text
    wrong = bob.post("/me/tokens", {"name": "evil"}, csrf="not-the-token")
    assert wrong.status_code == 403
    assert bob.post("/me/quiet-hours", {"start": "01:00", "end": "02:00"}, csrf=None).status_code == 403
    user = _bob(web)
    assert user.contact_methods == [] and (user.quiet_start, user.quiet_end) == ("22:00", "07:00")
    with web.db.unit_of_work(write=False) as session:
        assert session.execute(select(ApiToken).where(ApiToken.name == "evil")).first() is None


def test_rules_and_quiet_hours_are_edited_on_the_page(web: Web) -> None:
    bob = web.signed_in("bob")
    bob.post("/me/contact-methods", {"type": "email", "address": "bob.home@example.com"})
    bob.post("/me/contact-methods", {"type": "voice", "address": "+46701234567"})
    methods = {m.type: m.id for m in _bob(web).contact_methods}
    assert bob.post("/me/rules/add", {"urgency": "high", "method": methods["voice"], "after_minutes": "5"}
                    ).status_code == 303
    assert bob.post("/me/rules/add", {"urgency": "high", "method": methods["email"], "after_minutes": "0"}
                    ).status_code == 303
    assert bob.post("/me/rules/add", {"urgency": "low", "method": methods["email"]}).status_code == 303
    bad = bob.post("/me/rules/add", {"urgency": "high", "method": methods["email"], "after_minutes": "soon"})
    assert bad.status_code == 422 and "whole number" in bad.text
    page = bob.get("/me").text
    assert page.index("At once:") < page.index("After 5 min:")

    assert bob.post("/me/rules/remove", {"urgency": "low", "index": "0"}).status_code == 303
    assert bob.post("/me/quiet-hours", {"start": "23:30", "end": "06:15", "phone_low_urgency": "on"}
                    ).status_code == 303
    same = bob.post("/me/quiet-hours", {"start": "06:15", "end": "06:15"})
    assert same.status_code == 422 and "both 06:15" in same.text

    user = _bob(web)
    assert [(r.urgency, r.delay_minutes) for r in user.notification_rules] == [("high", 0), ("high", 5)]
    assert (user.quiet_start, user.quiet_end, user.phone_low_urgency_at_night) == ("23:30", "06:15", True)
    removed = bob.post(f"/me/contact-methods/{methods['voice']}/remove")
    assert removed.status_code == 303
    assert [r.delay_minutes for r in _bob(web).notification_rules] == [0]  # the voice rule went with it


def test_the_tree_s_people_see_their_settings_read_only_and_cannot_change_them(web: Web) -> None:
    alice = web.signed_in("alice")  # the tree lists alice's contact methods: it manages them
    page = alice.get("/me").text
    assert "set in the configuration tree" in page and "Add method" not in page
    refused = alice.post("/me/contact-methods", {"type": "sms", "address": "+46701234567"})
    assert refused.status_code == 409 and "config apply" in refused.text
    api = web.browser().client
    headers = {"Authorization": f"Bearer {web.tokens['alice']}"}
    problem = api.put("/api/v1/me/quiet-hours", json={"start": "23:00", "end": "06:00"}, headers=headers)
    assert problem.status_code == 409 and problem.headers["content-type"] == "application/problem+json"
    assert api.get("/api/v1/me/notification-rules", headers=headers).json()["managed_by"] == "config"


def test_the_api_edits_methods_rules_and_quiet_hours_with_problem_answers(web: Web) -> None:
    api = web.browser().client
    headers = {"Authorization": f"Bearer {web.tokens['bob']}"}
    made = api.post("/api/v1/me/contact-methods", json={"type": "sms", "address": "+46701234567"}, headers=headers)
    assert made.status_code == 201 and made.json()["verified"] is False
    bad = api.post("/api/v1/me/contact-methods", json={"type": "sms", "address": "0701"}, headers=headers)
    assert bad.status_code == 422 and "E.164" in bad.json()["detail"]
    rules = api.put("/api/v1/me/notification-rules", headers=headers,
                    json={"high": [{"method": "sms"}, {"method": "+46701234567", "after_minutes": 10}]})
    assert rules.status_code == 200, rules.text
    assert [(r["type"], r["after_minutes"]) for r in rules.json()["high"]] == [("sms", 0), ("sms", 10)]
    assert rules.json()["managed_by"] == "you" and rules.json()["low"] == []
    unknown = api.put("/api/v1/me/notification-rules", headers=headers, json={"low": [{"method": "voice"}]})
    assert unknown.status_code == 404 and "yours are: sms +46701234567" in unknown.json()["detail"]
    quiet = api.put("/api/v1/me/quiet-hours", json={"start": "21:00", "end": "06:00"}, headers=headers)
    assert quiet.status_code == 200 and quiet.json()["timezone"] == "Europe/Stockholm"
    assert api.get("/api/v1/me/quiet-hours", headers=headers).json()["start"] == "21:00"
    assert api.delete("/api/v1/me/contact-methods/sms", headers=headers).status_code == 204
    assert api.get("/api/v1/me/notification-rules", headers=headers).json()["high"] == []
    assert {"contact_method.add", "notification_rules.set", "quiet_hours.set", "contact_method.remove"} <= set(
        _audit_actions(web))


def test_a_token_is_shown_once_works_and_stops_working_when_revoked(web: Web) -> None:
    bob = web.signed_in("bob")
    made = bob.post("/me/tokens", {"name": "laptop", "role": "viewer", "lifetime": "30"})
    assert made.status_code == 200
    token = re.search(r'value="(fb_[^"]+)"', made.text)
    assert token, made.text
    assert token.group(1) not in bob.get("/me").text  # shown once
    api = web.browser().client
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    assert api.get("/api/v1/me", headers=headers).json()["role"] == "viewer"
    too_much = bob.post("/me/tokens", {"name": "root", "role": "admin"})
    assert too_much.status_code == 422 and "would exceed" in too_much.text

    with web.db.unit_of_work(write=False) as session:
        token_id = session.execute(select(ApiToken.id).where(ApiToken.name == "laptop")).scalar_one()
        alices = session.execute(select(ApiToken.id).join(User).where(User.name == "alice")).scalars().first()
    assert web.signed_in("alice").post(f"/me/tokens/{token_id}/revoke").status_code == 404  # not hers
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    assert bob.post(f"/me/tokens/{alices}/revoke").status_code == 404
    assert bob.post(f"/me/tokens/{token_id}/revoke").status_code == 303
    assert api.get("/api/v1/me", headers=headers).status_code == 401


def test_rotating_the_calendar_url_ends_the_old_one(web: Web) -> None:
    bob = web.signed_in("bob")
    old = re.search(r'value="[^"]*(/ical/[^"]+)"', bob.get("/me").text)
    assert old
    client = web.browser().client
    assert client.get(old.group(1)).status_code == 200
    assert bob.post("/me/feed/rotate").status_code == 303
    new = re.search(r'value="[^"]*(/ical/[^"]+)"', bob.get("/me").text)
    assert new and new.group(1) != old.group(1)
    assert client.get(old.group(1)).status_code == 404 and client.get(new.group(1)).status_code == 200
