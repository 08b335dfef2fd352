"""Live views (web/live.py): a committed change reaches the viewers of that incident and of the list,
once, without a query per viewer; a rolled-back one reaches nobody; on PostgreSQL a change committed
through another Database (another process's) arrives through LISTEN/NOTIFY; a viewer that reconnects
after a change it missed is told at once."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from firebell.auth.service import actor_for
from firebell.core.access import AccessRole
from firebell.effects import EFFECTS
from firebell.incidents import service
from firebell.org.models import User
from firebell.store.db import make_engine
from firebell.store.uow import Database
from firebell.web.live import LIST, LiveHub, _stream, now_ms
from tests.api.conftest import setup_org
from tests.web.conftest import BOTH_STORES

pytestmark = BOTH_STORES  # the live hub's wake-ups: LISTEN/NOTIFY on PostgreSQL

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)



def run_apart(coroutine: Coroutine[Any, Any, None]) -> None:
    """asyncio.run on a thread of its own: a browser test's Playwright (sync API) may have left this
    worker's main thread with a running event loop, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()

def _declare(db: Database, title: str) -> str:
    with db.unit_of_work() as session:
        user = session.query(User).filter_by(name="alice").one()
        actor = actor_for(user, AccessRole.RESPONDER, via="test")
        return service.declare(session, actor, service.Declaration(title=title, severity="P3", services=["api"]),
                               NOW, effects=EFFECTS).ref


def _note(db: Database, ref: str, *, fail: bool = False) -> None:
    with db.unit_of_work() as session:
        user = session.query(User).filter_by(name="alice").one()
        service.add_note(session, actor_for(user, AccessRole.RESPONDER, via="test"), ref, "still slow", NOW)
        if fail:
            raise RuntimeError("rolled back")


def _id(db: Database, ref: str) -> str:
    with db.unit_of_work(write=False) as session:
        from firebell.incidents.models import Incident
        return session.query(Incident).filter_by(number=int(ref[4:])).one().id


@pytest.fixture
def org(database: Database) -> Database:
    setup_org(database, NOW)
    return database


def test_a_commit_tells_the_viewers_of_its_incident_and_the_list_and_no_one_else(org: Database) -> None:
    ref, other = _declare(org, "Checkout down"), _declare(org, "Search slow")
    hub = LiveHub(org)
    statements: list[str] = []

    async def scenario() -> None:
        watching, elsewhere, listing = hub.join(_id(org, ref)), hub.join(_id(org, other)), hub.join(LIST)
        crowd = [hub.join(_id(org, ref)) for _ in range(200)]
        await asyncio.sleep(0)
        event.listen(org.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        await asyncio.to_thread(_note, org, ref)
        await asyncio.wait_for(watching.changed.wait(), 2)
        await asyncio.wait_for(listing.changed.wait(), 2)
        await asyncio.sleep(0.05)
        assert all(v.changed.is_set() for v in crowd)
        assert not elsewhere.changed.is_set()

    try:
        run_apart(scenario())
    finally:
        hub.close()
    # The note's own unit of work and nothing for the 202 viewers: the fan-out reads no database.
    assert not any("timeline_events" in s and s.lstrip().upper().startswith("SELECT") for s in statements
                   if "incident_members" not in s)


def test_a_rolled_back_change_tells_nobody(org: Database) -> None:
    ref = _declare(org, "Checkout down")
    hub = LiveHub(org)

    async def scenario() -> None:
        viewer = hub.join(_id(org, ref))
        with pytest.raises(RuntimeError):
            await asyncio.to_thread(_note, org, ref, fail=True)
        await asyncio.sleep(0.3)
        assert not viewer.changed.is_set()

    try:
        run_apart(scenario())
    finally:
        hub.close()


def test_a_change_committed_by_another_process_arrives_on_postgresql(org: Database) -> None:
    if org.dialect != "postgresql":
        pytest.skip("SQLite has no other process's wake-ups to carry (one writer process)")
    ref = _declare(org, "Checkout down")
    elsewhere = Database(make_engine(org.engine.url.render_as_string(hide_password=False)))
    hub = LiveHub(org)

    async def scenario() -> None:
        viewer = hub.join(_id(org, ref))
        await asyncio.sleep(0.5)  # the listener connects
        started = asyncio.get_running_loop().time()
        await asyncio.to_thread(_note, elsewhere, ref)
        await asyncio.wait_for(viewer.changed.wait(), 2)
        assert asyncio.get_running_loop().time() - started < 2

    try:
        run_apart(scenario())
    finally:
        hub.close()
        elsewhere.dispose()


def test_a_stream_says_changed_at_once_to_a_viewer_that_missed_a_change_then_on_each_change(org: Database) -> None:
    ref = _declare(org, "Checkout down")
    incident_id = _id(org, ref)
    hub = LiveHub(org)

    async def scenario() -> None:
        seen = now_ms()
        await asyncio.sleep(0.01)
        await asyncio.to_thread(_note, org, ref)  # while nobody watched (a reconnect)
        missed = _stream(hub, incident_id, seen, lifetime=5)
        assert (await anext(missed)).startswith("retry:")
        assert "event: changed" in await anext(missed)
        await missed.aclose()
        current = _stream(hub, incident_id, now_ms() + 1, lifetime=5)
        assert (await anext(current)).startswith("retry:")
        waiting = asyncio.ensure_future(anext(current))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await asyncio.to_thread(_note, org, ref)
        assert "event: changed" in await asyncio.wait_for(waiting, 2)
        await current.aclose()
        assert hub.viewers == 0

    try:
        run_apart(scenario())
    finally:
        hub.close()
