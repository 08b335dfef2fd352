"""Update cadence: P1 wants a stakeholder update every 15 minutes. The commander and communications
lead are reminded before it is due and again once it is overdue, once each; posting an update
restarts the clock; a resolved incident has no cadence."""

from __future__ import annotations

from sqlalchemy import select

from firebell.incidents.models import Incident, TimelineEvent
from tests.api.conftest import Api
from tests.notify.test_reach import setup


def _reminders(api: Api, ref: str) -> list[tuple[str, str]]:
    with api.db.unit_of_work(write=False) as session:
        incident = session.execute(select(Incident).where(Incident.number == int(ref[4:]))).scalar_one()
        return [(e.type, e.payload["due_at"][11:16]) for e in session.execute(
            select(TimelineEvent).where(TimelineEvent.incident_id == incident.id,
                                        TimelineEvent.type.in_(("update_due", "update_overdue")))
            .order_by(TimelineEvent.id)).scalars()]


def test_commander_and_comms_lead_are_reminded_before_and_after_the_update_is_due(api: Api) -> None:
    loop, sent = setup(api, ("email", "alice@example.com"))
    ref = api.declare(severity="P1")["ref"]  # 03:00: the first update is due at 03:15
    assert api.post(f"/api/v1/incidents/{ref}/roles", {"role": "commander", "user": "alice"}).status_code == 200
    assert api.post(f"/api/v1/incidents/{ref}/roles", {"role": "communications_lead", "user": "bob"}).status_code \
        == 200
    loop.run_once()
    pages_before = len(sent["email"].sent)
    api.clock.advance(minutes=12, seconds=59)
    loop.run_once()
    assert _reminders(api, ref) == []
    api.clock.advance(seconds=31)  # 03:13:30: two minutes before it is due (the check runs every 30 s)
    loop.run_once()
    assert _reminders(api, ref) == [("update_due", "03:15")]
    reminders = [m for m in sent["email"].sent[pages_before:] if m.kind == "reminder"]
    assert sorted(m.recipient for m in reminders) == ["alice@example.com", "bob@example.com"]
    assert "due at 03:15 UTC" in reminders[0].title
    api.clock.advance(minutes=1)
    loop.run_once()
    assert _reminders(api, ref) == [("update_due", "03:15")], "the same reminder went out twice"
    api.clock.advance(minutes=6)  # 03:20:30: five minutes overdue
    loop.run_once()
    assert _reminders(api, ref)[-1] == ("update_overdue", "03:15")
    assert api.post(f"/api/v1/incidents/{ref}/updates", {"message": "Rolled back"}).status_code == 200
    api.clock.advance(minutes=13)  # 03:33:30; the next is due 15 minutes after the update, at 03:35:30
    loop.run_once()
    assert _reminders(api, ref)[-1] == ("update_due", "03:35")
    api.post(f"/api/v1/incidents/{ref}/resolve", {"resolution": "fixed"})
    api.clock.advance(hours=2)
    loop.run_once()
    assert len(_reminders(api, ref)) == 3, "a resolved incident was still reminded"


def test_an_incident_with_nobody_in_the_roles_still_records_that_an_update_is_due(api: Api) -> None:
    loop, _sent = setup(api, ("email", "alice@example.com"))
    ref = api.declare(severity="P2")["ref"]  # every 30 minutes
    loop.run_once()
    api.clock.advance(minutes=28, seconds=30)
    loop.run_once()
    assert _reminders(api, ref) == [("update_due", "03:30")]


def test_the_incident_shows_when_the_next_update_is_due_and_how_many_were_missed(api: Api) -> None:
    ref = api.declare(severity="P1")["ref"]  # 03:00, every 15 minutes
    fresh = api.get(f"/api/v1/incidents/{ref}").json()["updates"]
    assert fresh == {"every_seconds": 900, "next_due": "2026-11-23T03:15:00Z", "missed": 0}
    api.clock.advance(minutes=20)
    late = api.get(f"/api/v1/incidents/{ref}").json()["updates"]
    assert late["missed"] == 1 and late["next_due"] == "2026-11-23T03:15:00Z"
    assert api.post(f"/api/v1/incidents/{ref}/updates", {"message": "Rolled back"}).status_code == 200
    api.clock.advance(minutes=10)
    after = api.get(f"/api/v1/incidents/{ref}").json()["updates"]
    assert after == {"every_seconds": 900, "next_due": "2026-11-23T03:35:00Z", "missed": 1}
    p4 = api.declare(severity="P4", title="Typo on the status page")["ref"]
    assert api.get(f"/api/v1/incidents/{p4}").json()["updates"] == {"every_seconds": None, "next_due": None,
                                                                     "missed": 0}
