"""The Services pages: integrations and their URLs (admins rotate a generated key, shown once),
maintenance windows started and ended from a form, heartbeats and when each last beat."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.alerts.keys import hash_key
from firebell.alerts.models import Integration, MaintenanceWindow
from firebell.org.models import Service
from tests.web.conftest import Web

HEARTBEAT = "hbapikey0000000000000000000000aa"


def _api_pagerduty(session: Session) -> Integration:
    return session.execute(select(Integration).join(Service, Service.id == Integration.service_id)
                           .where(Service.name == "api", Integration.name == "pagerduty")).scalar_one()


def _generated(web: Web) -> str:
    """Make api/pagerduty's key one Firebell generated (the test tree writes every key), so it may be
    rotated; its current hash."""
    with web.db.unit_of_work() as session:
        integration = _api_pagerduty(session)
        integration.key_source = "generated"
        return integration.key_hash


def _key_hash(web: Web) -> str:
    with web.db.unit_of_work(write=False) as session:
        return _api_pagerduty(session).key_hash


def _windows(web: Web) -> list[MaintenanceWindow]:
    with web.db.unit_of_work(write=False) as session:
        return list(session.execute(select(MaintenanceWindow)).scalars())


def test_services_list_their_team_integrations_and_heartbeats_and_an_overdue_one_stands_out(web: Web) -> None:
    alice = web.signed_in("alice")
    waiting = alice.get("/services")
    assert waiting.status_code == 200
    assert "team platform" in waiting.text and "no beat yet" in waiting.text and "overdue" not in waiting.text
    assert web.browser().client.post(f"/integrations/heartbeat/{HEARTBEAT}").status_code in (200, 202)
    web.clock.advance(minutes=5)
    up = alice.get("/services/api")
    assert "last beat" in up.text and "5m 00s ago" in up.text and "overdue" not in up.text
    # Every 10m with 2m of grace: at 13m it is late, before the engine has even raised its alert.
    web.clock.advance(minutes=8)
    late = alice.get("/services")
    assert re.search(r'class="card service attention"[^>]*aria-labelledby="svc-api"', late.text)
    assert '<span class="late">overdue</span>' in late.text
    page = alice.get("/services/api")
    assert "overdue for 1m 00s" in page.text and "every 10m, grace 2m" in page.text
    # Where each integration receives, with only the first characters of its key.
    public = web.app.state.web_settings.public_url
    assert f"{public}/integrations/alertmanager/amapik\u2026" in page.text
    assert "amapikey0000000000000000000000aa" not in page.text
    assert "/v2/enqueue (routing_key=pdapik\u2026)" in page.text
    assert alice.get("/services/nope").status_code == 404


def test_only_an_admin_rotates_a_generated_key_and_sees_it_once(web: Web) -> None:
    old = _generated(web)
    assert "Rotate key" not in web.signed_in("alice").get("/services/api").text
    assert "Rotate key" in web.signed_in("admin").get("/services/api").text
    path = "/services/api/integrations/pagerduty/rotate"
    for who in ("alice", "vera"):  # forged: their pages have no such button
        refused = web.signed_in(who).post(path)
        assert refused.status_code == 403 and "Only an admin" in refused.text
    admin = web.signed_in("admin")
    assert admin.post(path, csrf=None).status_code == 403
    assert _key_hash(web) == old

    rotated = admin.post(path)
    assert rotated.status_code == 200 and "shown this once" in rotated.text
    [key] = re.findall(r'id="new-key" class="mono" readonly value="([a-z0-9]{32})"', rotated.text)
    assert _key_hash(web) == hash_key(key) != old
    assert key not in admin.get("/services/api").text  # once
    # A key written in the config tree is changed there, not here.
    assert "key set in config" in admin.get("/services/api").text
    assert admin.post("/services/api/integrations/alertmanager/rotate").status_code == 409


def test_a_responder_of_the_team_starts_and_ends_maintenance_from_the_form(web: Web) -> None:
    alice = web.signed_in("alice")
    page = alice.get("/services/api")
    assert "Start maintenance" in page.text
    started = alice.post("/services/api/maintenance", {"duration": "2h", "reason": "database upgrade"})
    assert started.status_code == 303 and started.headers["location"] == "/services/api#maintenance"
    [window] = _windows(web)
    assert (window.reason, window.created_by, window.starts_at, window.ends_at) == (
        "database upgrade", "Alice Andersson via web", web.clock(), web.clock() + timedelta(hours=2))
    page = alice.get("/services/api")
    assert "In maintenance" in page.text and "database upgrade" in page.text and "End now" in page.text
    assert "In maintenance" in alice.get("/services").text
    bad = alice.post("/services/api/maintenance", {"duration": "soon"})
    assert bad.status_code == 400 and "not a duration" in bad.text and len(_windows(web)) == 1

    ended = alice.post(f"/services/api/maintenance/{window.id}/end")
    assert ended.status_code == 303
    [window] = _windows(web)
    assert window.ended_at == web.clock()
    assert "In maintenance" not in alice.get("/services/api").text
    assert alice.post(f"/services/api/maintenance/{window.id}/end").status_code == 409


def test_others_cannot_start_or_end_a_window_and_a_forged_post_changes_nothing(web: Web) -> None:
    vera = web.signed_in("vera")  # a viewer of the platform team
    assert "Start maintenance" not in vera.get("/services/api").text
    for who, token in (("vera", "keep"), ("sam", "keep"), ("alice", None), ("alice", "forged")):
        browser = web.signed_in(who)
        answer = browser.post("/services/api/maintenance", {"duration": "1h"},
                              **({} if token == "keep" else {"csrf": token}))
        assert answer.status_code == 403, (who, token)
    assert _windows(web) == []
    web.signed_in("alice").post("/services/api/maintenance", {"duration": "1h"})
    [window] = _windows(web)
    assert "End now" not in vera.get("/services/api").text
    assert vera.post(f"/services/api/maintenance/{window.id}/end").status_code == 403
    assert web.signed_in("alice").post(f"/services/api/maintenance/{window.id}/end", csrf=None).status_code == 403
    [window] = _windows(web)
    assert window.ended_at is None
