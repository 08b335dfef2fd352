"""The escalation engine against the real store: ladders fire at their delays, acknowledgement
stops the ladder but not duration triggers, resolve stops everything, a running escalation keeps
the policy it started with, and running a step twice pages nobody twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from firebell.alerts import snapshot
from firebell.escalation.models import Escalation, EscalationPolicy
from firebell.incidents.models import Incident, TimelineEvent
from firebell.notify.jobs import run_due
from firebell.notify.models import Notification
from firebell.org.models import ContactMethod, Service, User
from firebell.store.uow import Database
from tests.api.conftest import Api

LADDER = {
    "name": "test-p1", "repeat": 0,
    "levels": [
        {"targets": [{"kind": "user", "name": "alice"}], "delay_s": 300},
        {"targets": [{"kind": "user", "name": "bob"}], "delay_s": 300},
        {"targets": [{"kind": "team", "name": "platform"}], "delay_s": 300},
    ],
    "triggers": [{"name": "open-1h", "condition": "open_for", "targets": [{"kind": "user", "name": "sam"}],
                  "after_s": 3600, "tag": "", "severities": ["P1"]}],
}


def use_policy(api: Api, spec: dict[str, Any]) -> None:
    with api.db.unit_of_work() as session:
        policy = session.execute(select(EscalationPolicy).where(EscalationPolicy.name == spec["name"])).scalar()
        if policy is None:
            session.add(EscalationPolicy(name=spec["name"], spec=spec))
        else:
            policy.spec = spec
        session.execute(update(Service).where(Service.name == "api").values(escalation_policy={"P1": spec["name"]}))
        snapshot.bump_version(session)  # as `config apply` does: ingestion caches policies per version


def reach_by(db: Database, user: str, *methods: tuple[str, str], verified: bool = True) -> None:
    """Replace `user`'s contact methods with (type, address) pairs, in this order (verified: only
    verified methods are paged)."""
    with db.unit_of_work() as session:
        person = session.execute(select(User).where(User.name == user)).scalar_one()
        session.execute(delete(ContactMethod).where(ContactMethod.user_id == person.id))
        for position, (kind, address) in enumerate(methods):
            session.add(ContactMethod(user_id=person.id, type=kind, address=address, position=position,
                                      verified_at=datetime(2026, 1, 1, tzinfo=UTC) if verified else None))


def tick(api: Api) -> int:
    with api.db.unit_of_work() as session:
        return run_due(session, api.clock.now)


def pages(api: Api) -> list[tuple[str, str, int, int]]:
    """(user, channel, level, loop) of every outbox row, oldest first."""
    from firebell.org.models import User

    with api.db.unit_of_work(write=False) as session:
        rows = session.execute(select(Notification, User.name).join(User, User.id == Notification.user_id)
                               .order_by(Notification.created_at, User.name)).all()
        return [(name, n.channel, n.level, n.loop) for n, name in rows]


def timeline_types(api: Api, ref: str) -> list[str]:
    with api.db.unit_of_work(write=False) as session:
        incident = session.execute(select(Incident).where(Incident.number == int(ref.split("-")[1]))).scalar_one()
        return list(session.execute(select(TimelineEvent.type).where(TimelineEvent.incident_id == incident.id)
                                    .order_by(TimelineEvent.id)).scalars())


def test_the_ladder_pages_each_level_at_its_delay_until_someone_acknowledges(api: Api) -> None:
    use_policy(api, LADDER)
    ref = api.declare()["ref"]
    assert tick(api) == 1
    assert [p[0] for p in pages(api)] == ["alice"]
    api.clock.advance(minutes=4, seconds=59)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice"], "level 2 paged before its delay"
    api.clock.advance(seconds=1)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "bob"]
    assert api.post(f"/api/v1/incidents/{ref}/acknowledge", who="bob").status_code == 200
    api.clock.advance(minutes=30)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "bob"], "the ladder went on after the acknowledgement"
    assert timeline_types(api, ref).count("escalation_step") == 2


def test_duration_triggers_still_fire_after_acknowledgement_and_resolve_stops_everything(api: Api) -> None:
    use_policy(api, LADDER)
    ref = api.declare()["ref"]
    tick(api)
    api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice")
    api.clock.advance(minutes=60)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "sam"]
    assert "escalation_trigger" in timeline_types(api, ref)
    second = api.declare(title="Another")["ref"]
    tick(api)
    api.post(f"/api/v1/incidents/{second}/resolve", {"resolution": "fixed"}, who="alice")
    api.clock.advance(hours=3)
    tick(api)
    with api.db.unit_of_work(write=False) as session:
        statuses = sorted(session.execute(select(Escalation.status)).scalars())
    assert statuses == ["acknowledged", "stopped"]
    assert [p[0] for p in pages(api)].count("sam") == 1, "a trigger fired twice or for a resolved incident"


def test_a_running_escalation_keeps_the_policy_it_started_with(api: Api) -> None:
    use_policy(api, LADDER)
    api.declare()
    tick(api)
    use_policy(api, LADDER | {"levels": [{"targets": [{"kind": "user", "name": "sam"}], "delay_s": 60}]})
    api.clock.advance(minutes=5)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "bob"]


def test_the_whole_team_is_paged_at_the_team_level_and_the_ladder_runs_out(api: Api) -> None:
    use_policy(api, LADDER)
    ref = api.declare()["ref"]
    for _ in range(4):
        tick(api)
        api.clock.advance(minutes=5)
    paged = pages(api)
    assert {p[0] for p in paged if p[2] == 2} >= {"alice"}, paged
    assert "escalation_exhausted" in timeline_types(api, ref)


def test_a_step_that_crashed_before_commit_runs_again_and_pages_nobody_twice(api: Api) -> None:
    use_policy(api, LADDER)
    api.declare()

    class Crash(Exception):
        pass

    try:
        with api.db.unit_of_work() as session:
            run_due(session, api.clock.now)
            raise Crash  # the process died before the commit
    except Crash:
        pass
    assert pages(api) == []
    tick(api)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice"]


def test_manual_escalation_pages_the_named_level_now_even_when_acknowledged(api: Api) -> None:
    use_policy(api, LADDER)
    ref = api.declare()["ref"]
    tick(api)
    api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice")
    assert api.post(f"/api/v1/incidents/{ref}/escalate", {"level": 2}, who="alice").status_code == 200
    assert api.post(f"/api/v1/incidents/{ref}/escalate", {"level": 9}, who="alice").status_code == 422
    assert api.post(f"/api/v1/incidents/{ref}/escalate", {"level": 1}, who="vera").status_code in (403, 404)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "bob"]
    api.clock.advance(minutes=30)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "bob"], "a manual step restarted the acknowledged ladder"


def test_tagging_an_incident_data_breach_pages_security_at_once(api: Api) -> None:
    use_policy(api, LADDER | {"triggers": [{"name": "data-breach", "condition": "tag", "after_s": 0,
                                            "targets": [{"kind": "user", "name": "sam"}], "tag": "data-breach",
                                            "severities": []}]})
    ref = api.declare()["ref"]
    tick(api)
    api.clock.advance(minutes=2)
    assert api.patch(f"/api/v1/incidents/{ref}", {"tags": ["data-breach"]}, who="alice").status_code == 200
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "sam"]
    api.clock.advance(hours=1)
    tick(api)
    assert [p[0] for p in pages(api)].count("sam") == 1


def test_adding_a_responder_with_a_message_pages_them(api: Api) -> None:
    ref = api.declare()["ref"]
    response = api.post(f"/api/v1/incidents/{ref}/responders", {"user": "sam", "message": "need DB help"},
                        who="alice")
    assert response.status_code == 200, response.text
    assert [p[0] for p in pages(api)] == ["sam"]
    with api.db.unit_of_work(write=False) as session:
        (note,) = session.execute(select(Notification.message)).scalars()
    assert note["summary"] == "need DB help"


def test_reassigning_pages_the_new_person_now_and_stops_the_old_ladder(api: Api) -> None:
    use_policy(api, LADDER)
    ref = api.declare()["ref"]
    tick(api)
    api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice")
    assert api.post(f"/api/v1/incidents/{ref}/reassign", {"user": "sam"}, who="alice").status_code == 200
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "sam"]
    api.clock.advance(minutes=30)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "sam"], "the old ladder went on after the reassignment"
    assert "reassigned" in timeline_types(api, ref)
    both = api.post(f"/api/v1/incidents/{ref}/reassign", {"user": "sam", "policy": "test-p1"}, who="alice")
    assert both.status_code == 422
    assert api.post(f"/api/v1/incidents/{ref}/reassign", {"policy": "test-p1"}, who="alice").status_code == 200
    tick(api)
    assert [p[0] for p in pages(api)][-1] == "alice"


def test_escalating_by_hand_to_a_level_already_paged_pages_it_again(api: Api) -> None:
    use_policy(api, LADDER)
    ref = api.declare()["ref"]
    tick(api)
    api.clock.advance(minutes=5)
    tick(api)  # alice, then bob
    assert api.post(f"/api/v1/incidents/{ref}/escalate", {"level": 2}, who="alice").status_code == 200
    tick(api)
    assert api.post(f"/api/v1/incidents/{ref}/escalate", {"level": 2}, who="alice").status_code == 200
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "bob", "bob", "bob"]


def test_a_target_that_no_longer_exists_pages_nobody_there_but_stops_nothing_else(api: Api) -> None:
    use_policy(api, LADDER | {"levels": [{"targets": [{"kind": "schedule", "name": "gone"},
                                                      {"kind": "user", "name": "alice"}], "delay_s": 300}]})
    ref = api.declare()["ref"]
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice"]
    with api.db.unit_of_work(write=False) as session:
        step = session.execute(select(TimelineEvent.payload).where(TimelineEvent.type == "escalation_step")).scalar()
    assert step is not None and "schedule:gone" in step["unreached"], ref


def test_a_reopened_incident_pages_again_from_the_first_level(api: Api) -> None:
    use_policy(api, LADDER)
    ref = api.declare()["ref"]
    tick(api)
    api.post(f"/api/v1/incidents/{ref}/resolve", {"resolution": "fixed"}, who="alice")
    api.clock.advance(minutes=1)
    tick(api)
    assert api.post(f"/api/v1/incidents/{ref}/reopen", {"reason": "it is back"}, who="alice").status_code == 200
    tick(api)
    api.clock.advance(minutes=5)
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice", "alice", "bob"]


def test_raising_the_severity_starts_the_new_severitys_policy(api: Api) -> None:
    use_policy(api, LADDER)  # the api service pages only for P1 here
    ref = api.declare(severity="P4")["ref"]
    tick(api)
    assert pages(api) == []
    response = api.post(f"/api/v1/incidents/{ref}/severity", {"severity": "P1", "reason": "customers affected"},
                        who="alice")
    assert response.status_code == 200, response.text
    tick(api)
    assert [p[0] for p in pages(api)] == ["alice"]


def test_a_backlog_is_stepped_in_growing_batches_and_every_due_step_pages_once(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A storm of due steps is taken in bigger and bigger passes (fewer transactions for the same
    steps), back to the small first pass once the backlog is gone; nothing is skipped or doubled."""
    from firebell.jobs import engine_loop
    from firebell.notify import jobs as escalation_jobs
    from firebell.notify.settings import Channels

    use_policy(api, LADDER)
    for _ in range(11):
        api.declare()
    limits: list[int] = []

    def recording(session: Any, now: datetime, limit: int) -> int:
        limits.append(limit)
        return run_due(session, now, limit=limit)

    monkeypatch.setattr(escalation_jobs, "CLAIM_BATCH", 2)
    monkeypatch.setattr(escalation_jobs, "MAX_CLAIM_BATCH", 4)
    monkeypatch.setattr(escalation_jobs, "run_due", recording)
    engine = engine_loop(api.db, api.clock, channels=Channels(public_url="http://testserver"))
    assert engine.run_job("escalation") == 11
    assert limits == [2, 4, 4, 4, 2]  # 2 + 4 + 4 + 1 steps; the backlog is gone, and a small pass finds nothing
    assert sorted(p[0] for p in pages(api)) == ["alice"] * 11
    api.clock.advance(minutes=5)
    limits.clear()
    assert engine.run_job("escalation") == 11
    assert limits[0] == 2 and sorted(p[0] for p in pages(api)).count("bob") == 11


def test_a_running_engine_steps_a_timer_when_it_falls_due_not_at_its_next_poll(api: Api) -> None:
    """The timer thread sleeps until the next timer, not a whole tick: with a 30 s tick, level 2
    (due 300 s after level 1) is stepped within moments of its due time."""
    import time
    from datetime import timedelta

    from firebell.jobs import engine_loop
    from firebell.notify.settings import Channels

    use_policy(api, LADDER)
    api.declare()
    tick(api)  # level 1 (alice) now; level 2 (bob) due in 300 s
    # The engine's clock runs in real time from 0.4 s before level 2 falls due.
    due = api.clock.now + timedelta(seconds=300)
    started = time.monotonic()
    engine = engine_loop(api.db, lambda: due - timedelta(seconds=0.4) + timedelta(seconds=time.monotonic() - started),
                        tick=30, channels=Channels(public_url="http://testserver"))
    engine.start()
    try:
        deadline = time.monotonic() + 10
        while "bob" not in [p[0] for p in pages(api)] and time.monotonic() < deadline:
            time.sleep(0.02)
        took = time.monotonic() - started
    finally:
        engine.stop()
    assert "bob" in [p[0] for p in pages(api)]
    assert 0.4 <= took < 2.0, f"level 2 was stepped {took - 0.4:.1f} s after it fell due"
