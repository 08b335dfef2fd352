"""The page an emailed or texted acknowledge/resolve link opens: it must not be framed by another site
(clickjacking the one button), leak its secret URL through a Referer, or stay in a shared cache."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.app import create_app
from firebell.incidents.models import Incident
from firebell.notify.links import action_urls
from firebell.org.models import User
from firebell.store.secrets import link_secret
from firebell.web import act as act_api
from tests.api.conftest import Api

HARDENED = {
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}


def _links(api: Api, user: str = "alice") -> dict[str, str]:
    number = int(api.declare(severity="P2")["ref"].removeprefix("INC-"))
    with api.db.unit_of_work() as session:
        incident_id = session.execute(select(Incident.id).where(Incident.number == number)).scalar_one()
        user_id = session.execute(select(User.id).where(User.name == user)).scalar_one()
        urls = action_urls(link_secret(session), "http://testserver", incident_id=incident_id,
                           user_id=user_id, notification_id="n1", now=api.clock.now)
    return {action: url.removeprefix("http://testserver") for action, url in urls.items()}


def _assert_hardened(response: Any) -> dict[str, str]:
    for name, value in HARDENED.items():
        assert response.headers.get(name) == value, (response.status_code, name, response.headers.get(name))
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'none'"
    return policy


def test_every_answer_of_an_action_link_carries_the_security_headers(api: Api) -> None:
    ack = _links(api)["acknowledge"]
    answers = {
        "confirmation page": api.client.get(ack),
        "done": api.client.post(ack),
        "used twice": api.client.post(ack),
        "forged": api.client.get(ack[:-3] + "xyz"),
        "malformed": api.client.post("/act/nonsense"),
        "wrong method": api.client.put(ack),
    }
    assert [r.status_code for r in answers.values()] == [200, 200, 409, 400, 400, 405]
    for what, response in answers.items():
        assert "content-security-policy" in response.headers, what
        _assert_hardened(response)
    assert "x-frame-options" not in api.get("/api/v1/me").headers  # scoped to the links' routes


def test_the_confirmation_page_still_shows_its_style_and_posts_its_form_under_the_policy(api: Api) -> None:
    page = api.client.get(_links(api)["resolve"])
    policy = _assert_hardened(page)
    # The console's own stylesheet and script, from this server; nothing inline, nothing from elsewhere.
    (style,) = re.findall(r'<link rel="stylesheet" href="(/static/[^"]+)">', page.text)
    assert api.client.get(style).status_code == 200
    assert policy["style-src"] == "'self'" and policy["script-src"] == "'self'"
    assert "<style" not in page.text and not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert policy["form-action"] == "'self'" and "<form method=post>" in page.text


def test_an_unexpected_failure_answers_a_hardened_page_that_says_what_happened(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(act_api, "respond", broken)
    client = TestClient(create_app(api.db, api.clock), raise_server_exceptions=False)
    failed = client.post(_links(api)["acknowledge"])
    assert failed.status_code == 500
    _assert_hardened(failed)
    assert "not acknowledged" in failed.text and "database went away" not in failed.text
