"""The public subscribe form as a page of the status site, on both stores, with a real SMTP server:
it wears the page's name, colours and links (on Firebell's host and on the page's own), offers the
page's components grouped as the page shows them with the whole page as the default, and a
subscriber limited to some components is mailed only the notices that touch them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firebell.statuspage.subscriptions import service
from firebell.store.uow import Database
from tests.api.conftest import FakeClock
from tests.statuspage.conftest import STATUS_PAGE, apply_page
from tests.statuspage.subscriptions.conftest import Subs, mail_text, mailing
from tests.web.conftest import csrf_in

OWN_HOST = "http://status.testorg.example"  # the page's configured URL is https; TestClient speaks http
BRANDED = STATUS_PAGE.replace('accent: "#123456"', 'accent: "#123456", logo_url: "https://cdn.testorg.example/logo.png"')


@pytest.fixture
def subs(database: Database, tmp_path: Path) -> Iterator[Subs]:
    """The subscriptions tests' world (a real SMTP server, the sender run by hand) with a status page."""
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    with mailing(database, clock, apply_page(database, tmp_path, BRANDED, clock)) as made:
        yield made


def _ids(subs: Subs) -> dict[str, str]:
    listed = subs.api("GET", "/api/v1/status-page/components").json()
    return {c["name"]: c["id"] for c in listed}


def _post_form(client: TestClient, path: str, **fields: Any) -> Any:
    token = csrf_in(client.get(path).text)
    return client.post(path, data={"csrf_token": token, **fields})


def test_the_form_is_a_page_of_the_status_site(subs: Subs) -> None:
    form = subs.client.get("/subscribe")
    assert form.status_code == 200
    text = form.text
    assert "<title>Subscribe to updates · Testorg Status status</title>" in text
    assert 'href="/status/status.css?v=' in text and 'href="/status/index.html"' in text
    assert 'src="https://cdn.testorg.example/logo.png" alt="Testorg Status"' in text
    assert 'href="https://testorg.example">Home</a>' in text  # the page's footer links
    assert "<script" not in text and "/static/" not in text and "/incidents" not in text  # nothing of the console
    policy = form.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.testorg.example;" in policy and "script-src 'self'" in policy
    assert form.headers["referrer-policy"] == "no-referrer" and form.headers["cache-control"] == "no-store"
    ids = _ids(subs)
    # Grouped as on the page; Search (shown only when degraded) is offered all the same.
    assert re.search(r"<legend class=\"vh\">Components</legend>\s*<div class=\"check\">\s*<input type=\"checkbox\" "
                     rf"id=\"c-{ids['API']}\"", text)
    data = text.index("<legend>Data</legend>")
    assert data < text.index(f'value="{ids["Database"]}"') < text.index(f'value="{ids["Search"]}"')
    assert 'id="scope-page" name="scope" value="page" checked' in text
    css = subs.client.get("/status/status.css").text
    assert "--accent: #123456;" in css and ".subscribe-form" in css

    assert subs.client.get("/status/subscribe").text.count('action="/status/subscribe"') == 1
    front = subs.client.get("/status/")
    assert '<a class="subscribe" href="subscribe">Subscribe to updates</a>' in front.text


def test_on_the_pages_own_host_its_links_are_at_the_root(subs: Subs) -> None:
    own = TestClient(subs.client.app, base_url=OWN_HOST, follow_redirects=False)
    front = own.get("/")
    assert front.status_code == 200 and 'href="subscribe">Subscribe to updates' in front.text
    form = own.get("/subscribe")
    assert 'href="/status.css?v=' in form.text and 'action="/subscribe"' in form.text
    assert own.get("/status.css").status_code == 200
    done = _post_form(own, "/subscribe", email="own@example.com")
    assert done.status_code == 200 and "Check your inbox" in done.text
    assert subs.subscriber("own@example.com").component_ids is None


def test_what_the_form_takes(subs: Subs) -> None:
    ids = _ids(subs)
    client = subs.client
    answer = _post_form(client, "/subscribe", email="db@example.com", scope="components",
                        components=[ids["Database"], ids["Search"]])
    assert answer.status_code == 200, answer.text
    assert subs.subscriber("db@example.com").component_ids == sorted([ids["Database"], ids["Search"]])
    assert _post_form(client, "/subscribe", email="all@example.com", scope="page").status_code == 200
    assert subs.subscriber("all@example.com").component_ids is None

    none = _post_form(client, "/subscribe", email="x@example.com", scope="components")
    assert none.status_code == 422 and "Choose at least one component" in none.text
    both = _post_form(client, "/subscribe", email="x@example.com", scope="page", components=[ids["API"]])
    assert both.status_code == 422 and "untick them" in both.text
    assert f'value="{ids["API"]}" checked' in both.text  # the form comes back as it was sent
    group = _post_form(client, "/subscribe", email="x@example.com", scope="components", components=[ids["Data"]])
    assert group.status_code == 422 and "no such component" in group.text
    assert 'role="alert"' in group.text


def test_a_subscriber_limited_to_components_hears_only_of_those(subs: Subs) -> None:
    ids = _ids(subs)
    client = subs.client
    for address, fields in (("db@example.com", {"scope": "components", "components": [ids["Database"]]}),
                            ("all@example.com", {"scope": "page"})):
        assert _post_form(client, "/subscribe", email=address, **fields).status_code == 200
        subs.send_due()
        link = re.search(r"http://status\.example(/subscriptions/confirm/[A-Za-z0-9_-]+)",
                         mail_text(subs.mails_to(address)[-1]))
        assert link is not None
        confirmed = client.post(link.group(1))
        assert confirmed.status_code == 200 and "Testorg Status" in confirmed.text
        assert 'role="status"' in confirmed.text and "will receive status updates" in confirmed.text

    def opened(name: str, component: str) -> None:
        made = subs.api("POST", "/api/v1/status-page/incidents", json={
            "name": name, "body": "We are looking into it.", "components": {component: "partial_outage"}})
        assert made.status_code == 201, made.text
        subs.clock.advance(minutes=1)

    opened("Slow API responses", "API")
    opened("Database failover", "Database")
    start = subs.clock() + timedelta(days=1)
    scheduled = subs.api("POST", "/api/v1/status-page/maintenances", json={
        "name": "Search reindex", "body": "Search results may lag.", "scheduled_for": start.isoformat(),
        "scheduled_until": (start + timedelta(hours=1)).isoformat(), "components": ["Search"]})
    assert scheduled.status_code == 201, scheduled.text
    subs.send_due()

    def subjects(address: str) -> list[str]:
        return [str(m["Subject"]) for m in subs.mails_to(address)[1:]]  # after the confirmation

    assert subjects("all@example.com") == ["[Testorg Status] New incident: Slow API responses",
                                           "[Testorg Status] New incident: Database failover",
                                           "[Testorg Status] Scheduled maintenance: Search reindex"]
    assert subjects("db@example.com") == ["[Testorg Status] New incident: Database failover"]


def test_too_many_components_is_said_on_the_form(subs: Subs) -> None:
    """More components than a subscriber may choose: the form again, saying how many it takes (it was
    the console's error page, with a sign-in link, naming no limit); nothing subscribed."""
    ids = [f"c{i:04d}" for i in range(500)]
    answer = _post_form(subs.client, "/subscribe", email="many@example.com", scope="components", components=ids)
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text and "at most 100 components" in answer.text
    assert "Sign in" not in answer.text
    with subs.db.unit_of_work(write=False) as session:
        assert service.subscriber_of(session, "email", "many@example.com") is None


def test_head_is_answered_as_get(subs: Subs) -> None:
    """A link checker's or mail scanner's HEAD of the form or a link: what its GET says, with no body
    (it was a 405), and it acts no more than the GET does."""
    for path in ("/subscribe", "/status/subscribe", "/subscriptions/confirm/nope", "/subscriptions/unsubscribe/a.b"):
        got, head = subs.client.get(path), subs.client.head(path)
        assert head.status_code == got.status_code and head.content == b"", path
        assert head.headers["content-security-policy"] == got.headers["content-security-policy"]


def test_the_confirmation_mail_names_the_page(subs: Subs) -> None:
    assert subs.subscribe("reader@example.com").status_code == 200
    subs.send_due()
    (mail,) = subs.mails_to("reader@example.com")
    assert mail["Subject"] == "Confirm your subscription to Testorg Status"
    assert "Testorg Status" in mail_text(mail)
