"""Rescheduling a maintenance through Statuspage's v1 API (a PATCH of `scheduled_for`/`scheduled_until`,
as a Terraform provider sends it), driven by the independent client, on both stores: the window
moves, the alert silence moves with it, subscribers hear of the reschedule, and a window that cannot
be (ending before it starts, starting in the past) is a 4xx that says why and changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from firebell.statuspage.subscriptions.models import StatusNotice
from tests.api.conftest import Api
from tests.statuspage.statuspage_v1_client import StatuspageClient
from tests.statuspage.test_v1_api import _by_name, _key


@pytest.fixture
def v1(page_api: Api) -> StatuspageClient:
    client = StatuspageClient(page_api.client, _key(page_api, "admin", "admin"))
    client.page_id = client.pages().json()[0]["id"]
    added = client.create_subscriber(mode="webhook", endpoint="https://hooks.example/status")
    assert added.status_code == 201, added.text
    return client


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _silences(api: Api) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/maintenance").json())


def _events(api: Api) -> list[str]:
    with api.db.unit_of_work(write=False) as session:
        notices = session.scalars(select(StatusNotice).order_by(StatusNotice.created_at, StatusNotice.id))
        return [n.notice["event"] for n in notices if n.notice["kind"] == "maintenance"]


def _scheduled(api: Api, v1: StatuspageClient) -> dict[str, Any]:
    now = api.clock.now
    made = v1.create_incident(name="Gateway upgrade", status="scheduled", body="The API may be slow.",
                              scheduled_for=(now + timedelta(hours=1)).isoformat(),
                              scheduled_until=(now + timedelta(hours=2)).isoformat(),
                              component_ids=[_by_name(v1.components().json(), "API")["id"]])
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_patch_of_the_window_reschedules_and_moves_the_silence(page_api: Api, v1: StatuspageClient) -> None:
    api, now = page_api, page_api.clock.now
    made = _scheduled(api, v1)
    [silence] = _silences(api)
    assert _at(silence["starts_at"]) == now + timedelta(hours=1)

    api.clock.advance(minutes=1)
    moved = v1.update_incident(made["id"], scheduled_for=(now + timedelta(hours=5)).isoformat(),
                               scheduled_until=(now + timedelta(hours=7)).isoformat(),
                               body="Moved to tonight.", status="scheduled", name="Gateway upgrade")
    assert moved.status_code == 200, moved.text
    answer = moved.json()
    assert _at(answer["scheduled_for"]) == now + timedelta(hours=5)
    assert _at(answer["scheduled_until"]) == now + timedelta(hours=7)
    assert answer["status"] == "scheduled"
    assert [u["body"] for u in answer["incident_updates"]] == ["Moved to tonight.", "The API may be slow."]
    [silence] = _silences(api)  # the old window ended, the new one waits
    assert _at(silence["starts_at"]) == now + timedelta(hours=5)
    assert _events(api) == ["scheduled", "rescheduled"]
    upcoming = v1.incidents("upcoming").json()
    assert [_at(m["scheduled_for"]) for m in upcoming] == [now + timedelta(hours=5)]

    api.clock.advance(minutes=1)
    later = v1.update_incident(made["id"], scheduled_until=(now + timedelta(hours=8)).isoformat())
    assert later.status_code == 200, later.text  # one end alone: the other stays
    assert _at(later.json()["scheduled_for"]) == now + timedelta(hours=5)
    assert _at(later.json()["scheduled_until"]) == now + timedelta(hours=8)
    assert later.json()["incident_updates"][0]["body"] == "This maintenance has been rescheduled."

    same = v1.update_incident(made["id"], scheduled_for=(now + timedelta(hours=5)).isoformat(),
                              scheduled_until=(now + timedelta(hours=8)).isoformat(), status="scheduled")
    assert same.status_code == 200  # what Terraform sends when nothing changed: no news for anyone
    assert len(same.json()["incident_updates"]) == 3 and _events(api) == ["scheduled", "rescheduled", "rescheduled"]


def test_a_begun_maintenance_moves_only_its_end(page_api: Api, v1: StatuspageClient) -> None:
    api, now = page_api, page_api.clock.now
    made = _scheduled(api, v1)
    api.clock.advance(hours=1, minutes=10)
    assert v1.update_incident(made["id"], status="in_progress").status_code == 200
    longer = v1.update_incident(made["id"], scheduled_until=(now + timedelta(hours=4)).isoformat())
    assert longer.status_code == 200, longer.text
    assert _at(longer.json()["scheduled_for"]) == now + timedelta(hours=1)
    [silence] = _silences(api)
    assert _at(silence["ends_at"]) == now + timedelta(hours=4), silence


@pytest.mark.parametrize(("starts", "ends", "said"), [
    (5, 4, "must end after it starts"),
    (-1, 3, "start in the past"),
    (None, -0.5, "must end after it starts"),
])
def test_an_impossible_window_is_refused_and_changes_nothing(page_api: Api, v1: StatuspageClient,
                                                             starts: float | None, ends: float, said: str) -> None:
    api, now = page_api, page_api.clock.now
    made = _scheduled(api, v1)
    before, silences, events = v1.incidents().json(), _silences(api), _events(api)
    fields = {"scheduled_until": (now + timedelta(hours=ends)).isoformat(), "body": "Moved."}
    if starts is not None:
        fields["scheduled_for"] = (now + timedelta(hours=starts)).isoformat()
    refused = v1.update_incident(made["id"], **fields)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert said in refused.json()["detail"]
    assert v1.incidents().json() == before and _silences(api) == silences and _events(api) == events


def test_a_window_ending_in_the_past_or_a_completed_maintenance_is_refused(page_api: Api,
                                                                           v1: StatuspageClient) -> None:
    api, now = page_api, page_api.clock.now
    made = _scheduled(api, v1)
    api.clock.advance(hours=1, minutes=30)
    assert v1.update_incident(made["id"], status="in_progress").status_code == 200
    past = v1.update_incident(made["id"], scheduled_until=(now + timedelta(hours=1, minutes=20)).isoformat())
    assert past.status_code == 422 and "end in the past" in past.json()["detail"]
    assert v1.update_incident(made["id"], status="completed").status_code == 200
    done = v1.update_incident(made["id"], scheduled_until=(now + timedelta(hours=9)).isoformat())
    assert done.status_code == 409 and "completed" in done.json()["detail"]
    naive = v1.update_incident(made["id"], scheduled_until="2026-11-23T12:00:00")
    assert naive.status_code == 422 and "scheduled_until" in naive.text


def test_deleting_a_maintenance_ends_its_silence(page_api: Api, v1: StatuspageClient) -> None:
    """Deleted through the API (Terraform's destroy): gone from the page, and paging for its services is
    no longer silenced for it. It was a 500 (the silence still pointed at it) that deleted nothing."""
    api = page_api
    made = _scheduled(api, v1)
    assert len(_silences(api)) == 1
    deleted = v1.delete_incident(made["id"])
    assert deleted.status_code == 200, deleted.text
    assert _silences(api) == [] and v1.incidents().json() == []
    assert api.client.get("/api/v2/scheduled-maintenances.json").json()["scheduled_maintenances"] == []
