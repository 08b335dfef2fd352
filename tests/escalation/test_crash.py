"""Kill the server with SIGKILL in the middle of escalations, several times, at different points;
after each restart the engine carries on from the database. Every page that fell due arrives, and
an idempotency key arrives twice only where the documented crash rule says it may (a send that was
interrupted is repeated once, with the same key, and the row says so)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update

from firebell.escalation.models import EscalationPolicy
from firebell.notify.models import Notification
from firebell.org.models import ContactMethod, Service, User
from firebell.store.db import make_engine
from firebell.store.uow import Database
from tests.conftest import child_env
from tests.escalation.test_paging_end_to_end import receiver
from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
ORG = ROOT / "tests" / "fixtures" / "org.yaml"
FIREBELL = [sys.executable, "-m", "firebell.cli"]
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
INCIDENTS = 6
LEVELS = ("alice", "bob", "admin")
pytestmark = pytest.mark.live


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*FIREBELL, "serve", "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def settled(db: Database, received: Sequence[tuple[str, object]], expected: int) -> bool:
    if len({key for key, _ in received}) < expected:
        return False
    with db.unit_of_work(write=False) as session:
        states = session.execute(select(Notification.state)).scalars().all()
    return len(states) == expected and all(state == "sent" for state in states)


def test_pages_survive_sigkill_at_any_point(database_url: str) -> None:
    env = child_env()
    env |= {"FIREBELL_DATABASE_URL": database_url, "FIREBELL_WEBHOOK_SECRET": SECRET,
            "FIREBELL_SEND_DEADLINE_S": "2"}
    subprocess.run([*FIREBELL, "config", "apply", str(ORG)], env=env, check=True, capture_output=True)
    db = Database(make_engine(database_url))
    rng = random.Random(7)
    with receiver() as hook:
        hook.failing = False
        with db.unit_of_work() as session:
            session.execute(update(EscalationPolicy).where(EscalationPolicy.name == "ep-api").values(spec={
                "name": "ep-api", "repeat": 0, "triggers": [],
                "levels": [{"targets": [{"kind": "user", "name": name}], "delay_s": 2} for name in LEVELS]}))
            session.execute(update(Service).where(Service.name == "api").values(escalation_policy="ep-api"))
            for user in session.execute(select(User).where(User.name.in_(LEVELS))).scalars():
                session.execute(delete(ContactMethod).where(ContactMethod.user_id == user.id))
                session.add(ContactMethod(user_id=user.id, type="webhook", address=hook.url, position=0,
                                          verified_at=datetime(2026, 1, 1, tzinfo=UTC)))
        port = free_port()
        server = start(env, port)
        try:
            for i in range(INCIDENTS):
                body = {"routing_key": "pdapikey0000000000000000000000aa", "event_action": "trigger",
                        "dedup_key": f"crash-{i}", "payload": {"summary": f"Crash test {i}", "source": "db1",
                                                               "severity": "critical", "group": f"crash-{i}"}}
                assert httpx.post(f"http://127.0.0.1:{port}/v2/enqueue", json=body, timeout=10).status_code == 202
                time.sleep(rng.uniform(0.1, 0.4))
            for _ in range(4):  # kill at different points of the ladders, then start again
                time.sleep(rng.uniform(0.2, 1.8))
                server.send_signal(signal.SIGKILL)
                server.wait(timeout=10)
                server = start(env, port)
            expected = INCIDENTS * len(LEVELS)
            # Settled means every page arrived and its row says sent: an interrupted send is
            # repeated once under the crash rule, so its key can arrive before its row settles.
            deadline = time.monotonic() + 120  # each restart may wait out the dead sender's lease
            while time.monotonic() < deadline and not settled(db, hook.received, expected):
                time.sleep(0.2)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
        with db.unit_of_work(write=False) as session:
            rows = session.execute(select(Notification.idempotency_key, Notification.state,
                                          Notification.uncertain)).all()
        db.dispose()
    arrived = Counter(key for key, _ in hook.received)
    assert len(rows) == expected, f"{len(rows)} pages written for {expected} that fell due"
    assert {key for key, _, _ in rows} == set(arrived), "a page that fell due never arrived"
    assert all(state == "sent" for _, state, _ in rows)
    repeated = {key for key, count in arrived.items() if count > 1}
    allowed = {key for key, _, uncertain in rows if uncertain}
    assert repeated <= allowed, f"keys arrived twice without an interrupted send: {repeated - allowed}"
