"""On-call through the API: who is on call and next, shifts and gaps, overrides (which the engine
then pages), and calendar feeds a calendar app can subscribe to."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar
from sqlalchemy import select

from firebell.audit.models import AuditEntry
from tests.api.conftest import Api

# The fixture schedule `primary`: weekly alice/bob rotation, Monday 09:00 Europe/Stockholm hand-off.
# The API tests' clock starts Monday 2026-11-23 03:00 UTC (04:00 in Stockholm): alice until 08:00 UTC.


def test_who_is_on_call_now_and_next(api: Api) -> None:
    (primary,) = [s for s in api.get("/api/v1/oncall").json() if s["name"] == "primary"]
    assert primary["on_call"] == "alice"
    assert primary["next_user"] == "bob"
    assert datetime.fromisoformat(primary["next_at"]) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    later = api.get("/api/v1/oncall", schedule="primary", at="2026-11-25T12:00:00+01:00").json()
    assert later[0]["on_call"] == "bob"
    assert api.get("/api/v1/oncall", at="2026-11-25T12:00:00").status_code == 422  # no offset


def test_two_weeks_of_shifts_hand_off_at_nine_local_with_no_gaps(api: Api) -> None:
    data = api.get("/api/v1/schedules/primary", days=14).json()
    assert data["gaps"] == []
    users = [s["user"] for s in data["shifts"]]
    assert users == ["alice", "bob", "alice"]
    starts = [datetime.fromisoformat(s["start"]) for s in data["shifts"][1:]]
    assert all(s.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Stockholm")).hour == 9 for s in starts)


def test_an_override_puts_someone_on_call_and_the_engine_pages_them(api: Api) -> None:
    body = {"user": "bob", "start": "2026-11-23T02:30:00Z", "end": "2026-11-23T06:00:00Z", "reason": "alice ill"}
    assert api.post("/api/v1/schedules/primary/overrides", body, who="vera").status_code == 403
    response = api.post("/api/v1/schedules/primary/overrides", body, who="alice")
    assert response.status_code == 201, response.text
    (primary,) = api.get("/api/v1/oncall", schedule="primary").json()
    assert primary["on_call"] == "bob"
    bad = api.post("/api/v1/schedules/primary/overrides", body | {"end": "2026-11-23T01:00:00Z"}, who="alice")
    assert bad.status_code == 422 and "end after it starts" in bad.json()["detail"]

    from tests.escalation.test_engine import pages, tick

    api.declare(severity="P2")  # the fixture's api service pages `primary` for P2
    tick(api)
    assert [p[0] for p in pages(api)] == ["bob"]


def test_calendar_feeds_are_valid_stable_and_secret(api: Api) -> None:
    url = api.get("/api/v1/schedules/primary/feed").json()["url"]
    first = api.client.get(url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(first.content).walk("VEVENT")]
    assert events and all(e.decoded("dtstart").tzinfo is not None for e in events)
    assert all(e.decoded("dtstart").utcoffset().total_seconds() == 0 for e in events)
    again = [c for c in Calendar.from_ical(api.client.get(url).content).walk("VEVENT")]
    assert [str(e["uid"]) for e in events] == [str(e["uid"]) for e in again]
    assert api.client.get(url.replace(".ics", "x.ics")).status_code == 404
    mine = api.get("/api/v1/users/alice/feed", who="alice").json()["url"]
    summaries = {str(e["summary"]) for e in Calendar.from_ical(api.client.get(mine).content).walk("VEVENT")}
    assert summaries and all("alice" in s for s in summaries)
    assert api.get("/api/v1/users/alice/feed", who="bob").status_code == 403


def test_a_leaked_feed_url_is_revoked_by_rotating_it(api: Api) -> None:
    old_schedule = api.get("/api/v1/schedules/primary/feed").json()["url"]
    old_mine = api.get("/api/v1/users/alice/feed", who="alice").json()["url"]
    assert api.post("/api/v1/schedules/primary/feed/rotate", who="vera").status_code == 403
    assert api.post("/api/v1/users/alice/feed/rotate", who="bob").status_code == 403
    rotated = api.post("/api/v1/schedules/primary/feed/rotate")
    assert rotated.status_code == 200
    new_schedule = rotated.json()["url"]
    assert new_schedule != old_schedule and api.get("/api/v1/schedules/primary/feed").json()["url"] == new_schedule
    assert api.client.get(old_schedule).status_code == 404, "the revoked URL still serves the schedule"
    assert api.client.get(new_schedule).status_code == 200
    assert api.client.get(old_mine).status_code == 200, "rotating the schedule's feed revoked a person's"
    new_mine = api.post("/api/v1/users/alice/feed/rotate", who="alice").json()["url"]
    assert api.client.get(old_mine).status_code == 404 and api.client.get(new_mine).status_code == 200
    with api.db.unit_of_work(write=False) as session:
        rotations = session.execute(select(AuditEntry.actor, AuditEntry.subject)
                                    .where(AuditEntry.action == "feed.rotate").order_by(AuditEntry.id)).all()
    assert [tuple(r) for r in rotations] == [("admin", "schedule:primary"), ("alice", "user:alice")]
