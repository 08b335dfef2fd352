"""Schedules listed, overrides listed and cancelled, and shifts swapped, through the API, with the
same rules as every schedule write: the schedule's team and admins only, and never a viewer on call.

The fixture `primary` (team platform) hands off Mondays 09:00 Stockholm; the clock starts Monday
2026-11-23 03:00 UTC: alice until 08:00 UTC, bob until 11-30 08:00, alice until 12-07 08:00."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from firebell.oncall.models import ScheduleOverride
from firebell.org.models import User
from tests.api.conftest import Api

OVERRIDES = "/api/v1/schedules/primary/overrides"
BOBS_WEEK = {"user": "bob", "start": "2026-11-23T08:00:00Z", "end": "2026-11-30T08:00:00Z"}
ALICES_WEEK = {"user": "alice", "start": "2026-11-30T08:00:00Z", "end": "2026-12-07T08:00:00Z"}


def _on_call(api: Api, at: str) -> Any:
    return api.get("/api/v1/oncall", schedule="primary", at=at).json()[0]["on_call"]


def _status(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        return str(response.json()["detail"])
    return ""


def _ok_json(response: Any) -> Any:
    _status(response, 200)
    return response.json()


def _ok_json_created(response: Any) -> Any:
    _status(response, 201)
    return response.json()


def _override(api: Api, user: str, start: str, end: str, who: str = "alice") -> str:
    response = api.post(OVERRIDES, {"user": user, "start": start, "end": end, "reason": "cover"}, who=who)
    _status(response, 201)
    return str(response.json()["id"])


def _count(api: Api) -> int:
    with api.db.unit_of_work(write=False) as session:
        return int(session.execute(select(func.count()).select_from(ScheduleOverride)).scalar_one())


def test_schedules_are_listed_with_their_team_and_who_is_on_call_now_and_next(api: Api) -> None:
    (primary,) = _ok_json(api.get("/api/v1/schedules", who="vera"))  # a viewer sees who is on call
    assert primary | {"next_at": None} == {"name": "primary", "title": "Platform primary on-call", "team": "platform",
                                           "timezone": "Europe/Stockholm", "on_call": "alice", "next_user": "bob",
                                           "next_at": None}
    assert datetime.fromisoformat(primary["next_at"]) == datetime(2026, 11, 23, 8, tzinfo=UTC)
    (later,) = _ok_json(api.get("/api/v1/schedules", at="2026-11-25T12:00:00+01:00"))
    assert (later["on_call"], later["next_user"]) == ("bob", "alice")


def test_overrides_are_listed_by_window(api: Api) -> None:
    soon = _override(api, "alice", "2026-11-24T10:00:00Z", "2026-11-24T12:00:00Z")
    later = _override(api, "bob", "2026-12-20T10:00:00Z", "2026-12-20T12:00:00Z")
    assert [o["id"] for o in _ok_json(api.get(OVERRIDES, who="vera"))] == [soon, later]
    window = _ok_json(api.get(OVERRIDES, start="2026-11-24T00:00:00Z", end="2026-11-25T00:00:00Z"))
    assert [(o["id"], o["user"], o["reason"], o["created_by"]) for o in window] == [
        (soon, "alice", "cover", "Alice Andersson via api")]
    assert _ok_json(api.get(OVERRIDES, start="2026-12-21T00:00:00Z")) == []
    assert "after start" in _status(api.get(OVERRIDES, start="2026-12-21T00:00:00Z", end="2026-12-20T00:00:00Z"), 422)
    _status(api.get("/api/v1/schedules/nope/overrides"), 404)


def test_a_cancelled_override_stops_putting_its_person_on_call(api: Api) -> None:
    cover = _override(api, "alice", "2026-11-24T10:00:00Z", "2026-11-24T12:00:00Z")
    assert _on_call(api, "2026-11-24T11:00:00Z") == "alice"
    cancel = f"{OVERRIDES}/{cover}/cancel"
    assert "platform" in _status(api.post(cancel, who="sam"), 403)  # another team's responder
    assert "viewers" in _status(api.post(cancel, who="vera"), 403)  # the team's own viewer
    assert _on_call(api, "2026-11-24T11:00:00Z") == "alice", "a refused cancel took effect"
    (cancelled,) = _ok_json(api.post(cancel, who="bob"))
    assert datetime.fromisoformat(cancelled["cancelled_at"]) == api.clock.now
    assert _on_call(api, "2026-11-24T11:00:00Z") == "bob"
    assert _ok_json(api.get(OVERRIDES)) == []
    assert [o["id"] for o in _ok_json(api.get(OVERRIDES, include_cancelled=True))] == [cover]
    assert "already cancelled" in _status(api.post(cancel), 409)
    _status(api.post(f"{OVERRIDES}/00000000-0000-0000-0000-000000000000/cancel"), 404)


def test_cancelling_an_override_under_way_ends_it_now_and_keeps_what_was(api: Api) -> None:
    cover = _override(api, "bob", "2026-11-23T02:30:00Z", "2026-11-23T06:00:00Z")
    finished = _override(api, "bob", "2026-11-23T01:00:00Z", "2026-11-23T02:00:00Z")
    api.clock.advance(hours=1)  # 04:00, bob's cover under way
    _ok_json(api.post(f"{OVERRIDES}/{cover}/cancel", who="alice"))
    assert _on_call(api, "2026-11-23T04:00:00Z") == "alice"
    history = _ok_json(api.get("/api/v1/schedules/primary", start="2026-11-23T02:00:00Z", days=1))["shifts"]
    assert [(s["user"], s["source"], s["end"][11:16]) for s in history[:3]] == [
        ("alice", "weekly", "02:30"), ("bob", "override", "04:00"), ("alice", "weekly", "08:00")]
    assert "already over" in _status(api.post(f"{OVERRIDES}/{finished}/cancel"), 409)


def test_two_people_swap_their_shifts_in_one_go(api: Api) -> None:
    swap = {"first": ALICES_WEEK, "second": BOBS_WEEK, "reason": "holiday"}
    made = _ok_json_created(api.post("/api/v1/schedules/primary/swaps", swap, who="bob"))
    assert [(o["user"], o["start"][:10], o["reason"]) for o in made["overrides"]] == [
        ("bob", "2026-11-30", "swap: holiday"), ("alice", "2026-11-23", "swap: holiday")]
    assert {o["swap_id"] for o in made["overrides"]} == {made["swap_id"]}
    assert _on_call(api, "2026-11-25T12:00:00Z") == "alice"
    assert _on_call(api, "2026-12-02T12:00:00Z") == "bob"
    # Cancelling either half cancels the trade: nobody keeps covering a shift not traded back.
    first = made["overrides"][0]["id"]
    assert len(_ok_json(api.post(f"{OVERRIDES}/{first}/cancel"))) == 2
    assert (_on_call(api, "2026-11-25T12:00:00Z"), _on_call(api, "2026-12-02T12:00:00Z")) == ("bob", "alice")


def test_a_swap_of_shifts_that_are_not_those_peoples_is_refused_and_changes_nothing(api: Api) -> None:
    swaps = "/api/v1/schedules/primary/swaps"
    wrong_owner = {"first": ALICES_WEEK | {"user": "bob"}, "second": BOBS_WEEK | {"user": "alice"}}
    assert "not on call for all of" in _status(api.post(swaps, wrong_owner), 409)
    too_long = {"first": ALICES_WEEK, "second": BOBS_WEEK | {"start": "2026-11-23T07:00:00Z"}}
    detail = _status(api.post(swaps, too_long), 409)
    assert "bob is not on call for all of Mon 23 Nov 08:00 CET to Mon 30 Nov 09:00 CET" in detail
    same = {"first": ALICES_WEEK, "second": ALICES_WEEK | {"start": "2026-12-01T08:00:00Z"}}
    assert "two people" in _status(api.post(swaps, same), 409)
    assert "platform" in _status(api.post(swaps, {"first": ALICES_WEEK, "second": BOBS_WEEK}, who="sam"), 403)
    assert "viewers" in _status(api.post(swaps, {"first": ALICES_WEEK, "second": BOBS_WEEK}, who="vera"), 403)
    assert _count(api) == 0
    assert _on_call(api, "2026-11-25T12:00:00Z") == "bob"


def test_a_swap_never_puts_a_viewer_on_call(api: Api) -> None:
    with api.db.unit_of_work() as session:  # alice is still in the rotation, but may no longer act
        session.execute(update(User).where(User.name == "alice").values(access="viewer"))
    swap = {"first": ALICES_WEEK, "second": BOBS_WEEK}
    detail = _status(api.post("/api/v1/schedules/primary/swaps", swap), 422)
    assert "alice" in detail and "viewer" in detail
    assert _count(api) == 0, "half a swap was made"
