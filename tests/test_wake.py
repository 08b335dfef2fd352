"""The unit of work runs each transaction's own hooks (before and after its commit, never after a
rollback), and the wake-up they carry reaches every engine: in this process at once, and on
PostgreSQL in the other processes through LISTEN/NOTIFY, with a listener that survives a lost
connection and never holds up a stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.auth.service import actor_for
from firebell.core.access import AccessRole
from firebell.effects import EFFECTS
from firebell.escalation.models import EscalationPolicy
from firebell.incidents.service import Declaration, declare
from firebell.org.models import ContactMethod, Service, Team, User
from firebell.store import wake
from firebell.store.db import make_engine
from firebell.store.hooks import after_commit, before_commit
from firebell.store.uow import Database, due_after_commit
from tests.conftest import child_env, fresh_database
from tests.escalation.test_crash import ORG, SECRET
from tests.escalation.test_paging_end_to_end import receiver


def _teams(db: Database) -> int:
    with db.unit_of_work(write=False) as session:
        return int(session.execute(select(func.count()).select_from(Team)).scalar_one())


def test_hooks_run_around_the_commit_once_each_and_never_after_a_rollback(database: Database) -> None:
    seen: list[str] = []

    def add_team(session: Session) -> None:
        seen.append("before")
        session.add(Team(name=f"t{len(seen)}"))  # inside the transaction: committed with it

    def count_teams() -> None:
        seen.append(f"after: {_teams(database)} team")  # reads what the commit made visible

    with database.unit_of_work() as session:
        for _ in range(2):  # registered twice, run once
            before_commit(session, add_team)
            after_commit(session, count_teams)
        assert seen == []
    assert seen == ["before", "after: 1 team"]

    seen.clear()
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        before_commit(session, add_team)
        after_commit(session, lambda: seen.append("after"))
        raise RuntimeError("the command failed")
    with database.unit_of_work() as session:  # a rollback inside the unit drops them as well
        before_commit(session, add_team)
        after_commit(session, lambda: seen.append("after"))
        session.rollback()
    assert seen == [] and _teams(database) == 1


def test_a_commit_that_makes_work_due_wakes_this_process_engines_and_a_rollback_does_not(
        database: Database) -> None:
    woken = threading.Event()
    unsubscribe = database.on_change(woken.set)
    try:
        with pytest.raises(RuntimeError), database.unit_of_work() as session:
            due_after_commit(session)
            raise RuntimeError("rolled back")
        assert not woken.is_set()
        with database.unit_of_work() as session:
            due_after_commit(session)
            assert not woken.is_set()  # not before the commit
        assert woken.is_set()
    finally:
        unsubscribe()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request, "postgresql", tmp_path) as url:
        yield url


def _listening(db: Database) -> int:
    with db.unit_of_work(write=False) as session:
        return int(session.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                        " AND query = :listen"), {"listen": f"LISTEN {wake.CHANNEL}"}).scalar_one())


def _wait_for(predicate: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_a_change_through_another_connection_pool_wakes_a_listener_that_reconnects_and_stops_at_once(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wake, "RECONNECT_FIRST_S", 0.05)
    engine_side, other_side = Database(make_engine(postgres_url)), Database(make_engine(postgres_url))
    woken = threading.Event()
    unsubscribe = engine_side.on_change(woken.set)
    try:
        assert _wait_for(lambda: _listening(other_side) == 1)
        with other_side.unit_of_work() as session:
            due_after_commit(session)
        assert woken.wait(2), "the NOTIFY did not wake the other database's listener"
        engine_side.changed()  # woken here at once; its own NOTIFY comes back to it and is skipped
        woken.clear()
        time.sleep(0.3)
        assert not woken.is_set()

        with other_side.unit_of_work() as session:  # the listener's connection is lost
            session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                 " WHERE datname = current_database() AND query = :listen"),
                            {"listen": f"LISTEN {wake.CHANNEL}"})
        assert woken.wait(5), "a listener back from a lost connection wakes its engine (it may have missed a change)"
        assert _wait_for(lambda: _listening(other_side) == 1)
        woken.clear()
        other_side.changed()
        assert woken.wait(2), "the listener did not come back after its connection was lost"
    finally:
        started = time.monotonic()
        unsubscribe()
        engine_side.dispose()
        other_side.dispose()
        assert time.monotonic() - started < 1.5
    assert _wait_for(lambda: not any(t.name == "firebell-wake-listener" for t in threading.enumerate()), 2)


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    """`firebell worker` with a 30 s tick: within a second only a wake-up explains a page."""
    proc = subprocess.Popen([sys.executable, "-m", "firebell.cli", "worker", "--tick", "30"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "engine running" in line, line
    return proc


def _declare(db: Database, actor: Actor, title: str) -> float:
    """Declare a P1 on api (its ladder pages alice at once); the monotonic time of the commit."""
    with db.unit_of_work() as session:
        declare(session, actor, Declaration(title=title, severity="P1", services=["api"]), datetime.now(UTC),
                effects=EFFECTS)
    return time.monotonic()


@pytest.mark.live
def test_a_page_caused_in_one_process_is_sent_by_another_process_engine_within_100_ms_of_commit(
        postgres_url: str) -> None:
    env = child_env() | {"FIREBELL_DATABASE_URL": postgres_url, "FIREBELL_WEBHOOK_SECRET": SECRET}
    subprocess.run([sys.executable, "-m", "firebell.cli", "config", "apply", str(ORG)], env=env, check=True,
                   capture_output=True)
    db = Database(make_engine(postgres_url))
    with receiver() as hook:
        hook.failing = False
        arrivals: list[float] = []
        hook.server.RequestHandlerClass.do_POST = _timed(hook.server.RequestHandlerClass.do_POST, arrivals)
        with db.unit_of_work() as session:
            session.execute(update(EscalationPolicy).where(EscalationPolicy.name == "ep-api").values(spec={
                "name": "ep-api", "repeat": 0, "triggers": [],
                "levels": [{"targets": [{"kind": "user", "name": "alice"}], "delay_s": 3600}]}))
            session.execute(update(Service).where(Service.name == "api").values(escalation_policy="ep-api"))
            alice = session.execute(select(User).where(User.name == "alice")).scalar_one()
            session.execute(delete(ContactMethod).where(ContactMethod.user_id == alice.id))
            session.add(ContactMethod(user_id=alice.id, type="webhook", address=hook.url, position=0,
                                      verified_at=datetime(2026, 1, 1, tzinfo=UTC)))
            admin = session.execute(select(User).where(User.name == "admin")).scalar_one()
            actor = actor_for(admin, AccessRole.ADMIN, via="test")
        worker = _worker(env)
        try:
            assert _wait_for(lambda: _listening(db) == 1)
            took = []
            for i in range(6):  # the first warms the worker up (its connections, its HTTP client)
                committed = _declare(db, actor, f"Wake test {i}")
                assert _wait_for(lambda i=i: len(arrivals) > i, 5), "the page waited for the worker's tick"
                took.append(arrivals[i] - committed)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
            db.dispose()
    # The median, not the slowest: the test shares two cores with whatever else runs (at a load of 6,
    # 50-90 ms each); every one is still far inside the worker's 30 s tick.
    figures = [f"{t * 1000:.0f} ms" for t in took]
    assert sorted(took[1:])[2] < 0.1 and max(took) < 1.0, f"commit to page at the receiver: {figures}"


def _timed(handle: Callable[[Any], None], arrivals: list[float]) -> Callable[[Any], None]:
    def timed(self: Any) -> None:
        handle(self)
        arrivals.append(time.monotonic())
    return timed
