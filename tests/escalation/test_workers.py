"""Two engines on one PostgreSQL escalate 1,000 incidents at once: every page is written exactly
once and delivered exactly once. Both engines share the escalation steps; sending is one engine's
at a time (the sender lease), which is what keeps each address's pages in order."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from firebell.auth.service import actor_for
from firebell.core.access import AccessRole
from firebell.effects import EFFECTS
from firebell.engine.loop import EngineLoop
from firebell.incidents.service import Declaration, declare
from firebell.jobs import engine_loop
from firebell.notify.models import Notification
from firebell.notify.settings import Channels
from firebell.org.models import User
from firebell.store.db import make_engine
from firebell.store.uow import Database
from tests.api.conftest import Api
from tests.escalation.test_engine import reach_by, use_policy
from tests.escalation.test_paging_end_to_end import receiver

INCIDENTS = 1000
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def both(work: Callable[[EngineLoop], int], engines: list[EngineLoop]) -> list[int]:
    done = [0] * len(engines)
    barrier = threading.Barrier(len(engines))

    def run(i: int) -> None:
        barrier.wait()
        done[i] = work(engines[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return done


def test_two_engines_escalate_a_thousand_incidents_without_a_double_or_a_miss(api: Api) -> None:
    if api.db.dialect != "postgresql":
        pytest.skip("several engines share work on PostgreSQL only; SQLite runs one engine")
    use_policy(api, {"name": "pair", "repeat": 0, "levels": [
        {"targets": [{"kind": "user", "name": "alice"}], "delay_s": 60},
        {"targets": [{"kind": "user", "name": "bob"}], "delay_s": 60}]})
    with receiver() as hook:
        hook.failing = False
        for name in ("alice", "bob"):
            reach_by(api.db, name, ("webhook", hook.url))
        with api.db.unit_of_work() as session:
            admin = session.execute(select(User).where(User.name == "admin")).scalar_one()
            actor = actor_for(admin, AccessRole.ADMIN, via="test")
            for i in range(INCIDENTS):
                declare(session, actor, Declaration(title=f"Incident {i}", severity="P1", services=["api"]),
                        api.clock.now, effects=EFFECTS)
        url = api.db.engine.url.render_as_string(hide_password=False)
        dbs = [Database(make_engine(url)) for _ in range(2)]
        try:
            engines = [engine_loop(db, api.clock, channels=Channels(public_url="http://testserver",
                                                                   default_webhook_secret=SECRET, clock=api.clock))
                       for db in dbs]
            first = both(lambda e: e.run_job("escalation"), engines)
            api.clock.advance(seconds=60)
            second = both(lambda e: e.run_job("escalation"), engines)
            sent = both(lambda e: e.run_job("sender"), engines)
        finally:
            for db in dbs:
                db.dispose()
    assert sum(first) == INCIDENTS and sum(second) == INCIDENTS
    assert min(first) > 0 and min(second) > 0, f"one engine did all the stepping: {first} {second}"
    assert sum(sent) == 2 * INCIDENTS
    with api.db.unit_of_work(write=False) as session:
        rows = session.execute(select(Notification.idempotency_key, Notification.state, Notification.level)).all()
        steps = session.execute(select(func.count()).select_from(Notification)).scalar_one()
    assert steps == 2 * INCIDENTS
    assert Counter(level for _, _, level in rows) == {0: INCIDENTS, 1: INCIDENTS}
    assert {state for _, state, _ in rows} == {"sent"}
    arrived = Counter(key for key, _ in hook.received)
    assert len(arrived) == 2 * INCIDENTS, "a page is missing at the receiver"
    assert max(arrived.values()) == 1, "a page arrived twice"
