#!/usr/bin/env python3
"""Escalation benchmark: N open incidents whose first escalation step falls due at the same instant.

One engine (the same `EngineLoop` that `firebell serve` and `firebell worker` run) steps them all and
sends every page to a webhook receiver on loopback (in its own process). Printed: timer lateness
(when the transaction writing a step's outbox row committed, timed as it happens, minus when the
step was due) p50/p99/max, delivery lateness (arrival at the receiver minus due time), steps/s and
pages/s, peak RSS of this process (the engine runs in it; `--trace` adds traced allocations), and
the same figures for a baseline in the same run: claiming and releasing the same timers without
paging, the floor any engine pays for durable timers. Target: p99 timer lateness <= 1 s for 10,000 incidents.

    .venv/bin/python bench/escalation.py                 # SQLite, 10,000 incidents
    .venv/bin/python bench/escalation.py --db postgres   # throwaway cluster (tests/pgcluster.py)
    .venv/bin/python bench/escalation.py -n 2000
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import resource
import statistics
import sys
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONFIG = Path(__file__).with_name("escalation_config.yaml")
from paging_common import Receiver, database, pct  # noqa: E402  (bench/ is the script's directory)

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TARGET_P99_S = 1.0


def setup(url: str, n: int, due: datetime, hook_url: str) -> Any:
    from sqlalchemy import select

    from firebell.config import apply, load
    from firebell.core.escalation import IncidentFacts
    from firebell.escalation.engine import start
    from firebell.escalation.service import load_spec
    from firebell.org.models import ContactMethod, Service, User
    from firebell.store.base import new_id
    from firebell.store.db import make_engine
    from firebell.store.migrate import upgrade
    from firebell.store.rawsql import Statement, raw
    from firebell.store.uow import Database

    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    result = load(CONFIG)
    assert result.config is not None, result.errors
    insert = Statement("""INSERT INTO incidents (id, number, title, summary, impact, severity, status, stage, private,
        source, origin_service_id, group_key, tags, team_id, declared_at, updated_at, version)
        VALUES (:id, :number, :title, '', '', 'P1', 'triggered', 'detect', :private, 'alert', :service, :group,
        :tags, :team, :at, :at, 1)""")
    with db.unit_of_work() as session:
        apply(session, result.config, now=due)
        for user in session.execute(select(User)).scalars():
            session.add(ContactMethod(user_id=user.id, type="webhook", address=hook_url, position=0, verified_at=due))
        service = session.execute(select(Service).where(Service.name == "bench")).scalar_one()
        spec = load_spec(session, "ep-bench")
        assert spec is not None
        db_raw = raw(session)
        for i in range(n):
            incident_id = new_id()
            db_raw.run(insert, {"id": incident_id, "number": i + 1, "title": f"Bench incident {i}",
                                "private": False, "service": service.id, "group": f"g{i}",
                                "tags": db_raw.json([]), "team": service.team_id, "at": db_raw.ts(due)})
            start(session, incident_id, spec, IncidentFacts(severity="P1", status="triggered", declared_at=due,
                                                            acknowledged_at=None, last_update_at=None), due)
    return db


def baseline(db: Any, due: datetime, n: int) -> float:
    """Read the due timers in the engine's batch size, as many batches as the engine needs, without
    acting on them: the floor any engine pays to find its work in the database."""
    from firebell.escalation.engine import CLAIM_BATCH, claim_due

    started = time.perf_counter()
    for _ in range(max(1, -(-n // CLAIM_BATCH))):
        with db.unit_of_work(write=False) as session:
            claim_due(session, due, limit=CLAIM_BATCH)
    return time.perf_counter() - started


def commit_times(engine: Any) -> list[float]:
    """When each of the escalation thread's transactions committed (wall clock), in order."""
    from sqlalchemy import event

    commits: list[float] = []

    def note(_connection: Any) -> None:
        if threading.current_thread().name == "firebell-timers":
            commits.append(time.time())

    event.listen(engine, "commit", note)
    return commits


def committed_after(commits: list[float], stamped: float) -> float:
    """The first escalation commit at or after a row's stamp: when the row became durable."""
    i = bisect.bisect_left(commits, stamped)
    return commits[i] if i < len(commits) else float("nan")


def make_due(db: Any, at: datetime) -> None:
    from sqlalchemy import update

    from firebell.escalation.models import Escalation

    with db.unit_of_work() as session:
        session.execute(update(Escalation).values(next_due_at=at))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--incidents", type=int, default=10_000)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--trace", action="store_true",
                    help="also trace Python allocations (tracemalloc: slows the engine several times; not for timing)")
    args = ap.parse_args()
    # As `serve` and `worker` run the engine: SQLite's WAL is checkpointed by the engine's timer thread
    # between passes, not inside whichever commit crosses 1,000 WAL pages (set before any connection).
    os.environ.setdefault("FIREBELL_SQLITE_BACKGROUND_CHECKPOINT", "1")

    from sqlalchemy import select

    from firebell.engine.heap import settle_heap
    from firebell.jobs import engine_loop
    from firebell.notify.models import Notification
    from firebell.notify.settings import Channels

    receiver = Receiver(header="webhook-id")
    with database(args.db) as url:
        due = datetime.now(UTC).replace(microsecond=0)
        print(f"setting up {args.incidents} incidents due at {due:%H:%M:%S} on {args.db}...", flush=True)
        db = setup(url, args.incidents, due, receiver.url)
        base_s = baseline(db, datetime.now(UTC), args.incidents)
        if args.trace:
            tracemalloc.start()
        commits = commit_times(db.engine)
        # The engine's default tick: it sleeps until the next timer it knows of, so the tick only
        # bounds how late it notices timers other processes set.
        loop = engine_loop(db, lambda: datetime.now(UTC), channels=Channels(
            public_url="http://127.0.0.1:8080", default_webhook_secret=SECRET))
        # Every timer falls due at the same instant, as if the incidents had been opened together a
        # few minutes ago; the running engine's first pass finds nothing due and sleeps until then.
        due = datetime.now(UTC) + timedelta(seconds=1)
        make_due(db, due)
        settle_heap()  # as `serve` and `worker` do before starting the engine
        loop.start()
        t0 = time.perf_counter()
        deadline = time.monotonic() + 600
        while receiver.count() < args.incidents and time.monotonic() < deadline:
            time.sleep(0.05)
        loop.stop()
        t_all = time.perf_counter() - t0 - 1.0
        traced = tracemalloc.get_traced_memory()[1] if args.trace else None
        tracemalloc.stop()
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
        with db.unit_of_work(write=False) as session:
            rows = session.execute(select(Notification.idempotency_key, Notification.created_at)).all()
        db.dispose()
        arrivals = receiver.arrivals()
        receiver.close()
    due_ts = due.timestamp()
    # A step's outbox row is stamped with its pass's clock; it counts as done when that pass commits.
    timer_late = [committed_after(commits, created.timestamp()) - due_ts for _, created in rows]
    delivery_late = [arrivals[key] - due_ts for key, _ in rows if key in arrivals]
    p99 = pct(timer_late, 0.99)
    steps = len(rows)
    t_escalate = max(timer_late)
    t_send = max(delivery_late)
    sent = len(arrivals)
    print(f"\nFirebell escalation benchmark: {args.incidents} incidents due at once, db={args.db}, one engine"
          f" (the EngineLoop thread of `serve`/`worker`), pages to a webhook receiver on loopback")
    print(f"  steps written         {steps:>10}   in {t_escalate:8.2f} s   {steps / t_escalate:10.0f} steps/s")
    print(f"  pages delivered       {sent:>10}   in {t_send:8.2f} s   {sent / t_send:10.0f} pages/s"
          f"   (all done {t_all:.2f} s after the due instant)")
    print(f"  timer lateness   p50 {pct(timer_late, .5):8.3f} s  p99 {p99:8.3f} s  max {max(timer_late):8.3f} s")
    print(f"  delivery lateness p50 {pct(delivery_late, .5):8.3f} s  p99 {pct(delivery_late, .99):8.3f} s"
          f"  max {max(delivery_late):8.3f} s")
    print(f"  peak RSS (this process: engine, store, bench) {peak_rss / 2**20:8.1f} MiB"
          + (f"; peak traced Python allocations {traced / 2**20:.1f} MiB" if traced is not None else ""))
    print(f"  baseline (read the same timers in the engine's batches, no paging): {base_s:.3f} s; "
          f"ratio escalation/baseline {t_escalate / base_s:.1f}x")
    ok = p99 <= TARGET_P99_S and len(arrivals) == len(rows) == args.incidents
    print(f"  target p99 timer lateness <= {TARGET_P99_S:.0f} s: {p99:.3f} s  {'PASS' if ok else 'MISS'}")
    print("RESULT " + json.dumps({"db": args.db, "incidents": args.incidents, "steps_per_s": round(steps / t_escalate),
                                  "pages_per_s": round(sent / t_send), "timer_p50_s": round(pct(timer_late, .5), 3),
                                  "timer_p99_s": round(p99, 3), "timer_max_s": round(max(timer_late), 3),
                                  "median_delivery_s": round(statistics.median(delivery_late), 3),
                                  "peak_rss_mb": round(peak_rss / 2**20, 1),
                                  "target": "PASS" if ok else "MISS"}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
