#!/usr/bin/env python3
"""The web console's speed: the incidents page and the incident page of a big database, and live
viewers, against a real `firebell serve` (SQLite by default, `--db postgres` for a throwaway cluster).

1. Seeds 100,000 incidents (1,000 open) and one open incident of 5,000 timeline events
   (bench/console_seed.py), straight into the tables after the server applied its configuration.
2. Signs a browser session in (made in the store, as the tests do) and measures, one request at a
   time over one keep-alive connection, `GET /incidents` and `GET /incidents/INC-<big>`: p50/p99 as
   the client sees it on loopback (server time plus well under a millisecond).
3. Connects `--viewers` server-sent-event streams to the big incident's live view, then makes
   `--changes` changes through the API (a note each) and times, per viewer and change, from the
   moment the change's request was sent (before its commit: conservative) to its `changed` event.
4. Measures the same server's `/v2/noop` rate (routing and a JSON parse, no database) in the same run,
   and reports the server's peak RSS.

    .venv/bin/python bench/console.py                 # SQLite in a temp dir
    .venv/bin/python bench/console.py --db postgres   # throwaway cluster (tests/pgcluster.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from console_seed import seed  # noqa: E402
from serving import Server, drop_workdir, open_database, proc_status, read_response  # noqa: E402
from sqlalchemy import select  # noqa: E402

from firebell.auth.web_sessions import start_session  # noqa: E402
from firebell.org.models import User  # noqa: E402
from firebell.store.db import make_engine  # noqa: E402
from firebell.store.uow import Database  # noqa: E402
from firebell.web.settings import web_settings_from_env  # noqa: E402

CONFIG = Path(__file__).with_name("ingest_config.yaml")
TARGETS_MS = {"incidents page": 100.0, "incident page": 150.0}
LIVE_TARGET_S = 1.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _request(port: int, path: str, *, method: str = "GET", cookie: str = "", token: str = "",
             body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    if token:
        head.append(f"Authorization: Bearer {token}")
    if method == "POST":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def timed(port: int, path: str, n: int, warmup: int, **kw: str) -> list[float]:
    """Seconds per request, one at a time over one keep-alive connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    took = []
    request = _request(port, path, **kw)  # type: ignore[arg-type]
    for i in range(warmup + n):
        started = time.perf_counter()
        writer.write(request)
        status, body, _ = await read_response(reader)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        if i >= warmup:
            took.append(time.perf_counter() - started)
    writer.close()
    return took


async def noop_rate(port: int, seconds: float, connections: int = 8) -> float:
    body = json.dumps({"routing_key": "x", "event_action": "trigger"}).encode()
    done = 0
    ends = time.monotonic() + seconds

    async def one() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = _request(port, "/v2/noop", method="POST", body=body)
        while time.monotonic() < ends:
            writer.write(request)
            await read_response(reader)
            done += 1
        writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return done / seconds


async def live_viewers(port: int, ref: str, cookie: str, token: str, viewers: int, changes: int) -> list[float]:
    """Seconds from each change's request to each viewer's `changed` event."""
    arrivals: list[list[float]] = [[] for _ in range(viewers)]
    since = int(time.time() * 1000) + 60_000  # nothing before now counts as missed

    async def watch(i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_request(port, f"/incidents/{ref}/live?since={since}", cookie=cookie))
        head = await reader.readuntil(b"\r\n\r\n")
        assert b" 200 " in head[:16], head
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"event: changed"):
                arrivals[i].append(time.monotonic())

    tasks = [asyncio.create_task(watch(i)) for i in range(viewers)]
    await asyncio.sleep(2.0)  # all connected
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    latencies: list[float] = []
    for n in range(changes):
        seen = [len(a) for a in arrivals]
        sent = time.monotonic()
        writer.write(_request(port, f"/api/v1/incidents/{ref}/notes", method="POST", token=token,
                              body=json.dumps({"text": f"bench change {n}"}).encode()))
        status, body, _ = await read_response(reader)
        assert status == 200, body[:300]
        deadline = time.monotonic() + 3
        while any(len(a) == s for a, s in zip(arrivals, seen, strict=True)) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for a, s in zip(arrivals, seen, strict=True):
            latencies.append(a[s] - sent if len(a) > s else float("inf"))
        await asyncio.sleep(0.5)
    writer.close()
    for task in tasks:
        task.cancel()
    return latencies


def session_cookie(url: str, public_url: str) -> str:
    settings = web_settings_from_env(public_url, {})
    db = Database(make_engine(url))
    try:
        with db.unit_of_work() as session:
            admin = session.execute(select(User).where(User.name == "admin")).scalar_one()
            started = start_session(session, admin, now=datetime.now(UTC), lifetimes=settings.lifetimes, via="bench")
    finally:
        db.dispose()
    return f"{settings.session_cookie}={started.secret}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgres, or a SQLAlchemy URL")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("-n", type=int, default=200, help="measured requests per page")
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--server-src", type=Path, help="run the server from another checkout's src/ (a before/after "
                        "pair on the same seed)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="firebell-console-"))
    url, cluster = open_database(args.db, workdir)
    server = Server(url, CONFIG, workdir, "auto", None, server_src=args.server_src)
    try:
        server.upgrade()
        server.start()
        started = time.monotonic()
        ref = seed(make_engine(url), total=args.incidents, open_=args.open, big_events=args.events)
        print(f"seeded {args.incidents:,} incidents ({args.open:,} open) and {ref} with {args.events:,} events "
              f"in {time.monotonic() - started:.0f} s", flush=True)
        os.environ["FIREBELL_SECRET_KEY"] = server.env["FIREBELL_SECRET_KEY"]  # the session's audit entry
        cookie = session_cookie(url, server.base)
        token = server.create_token()
        rows = []
        for name, path in (("incidents page", "/incidents"), ("incident page", f"/incidents/{ref}")):
            took = asyncio.run(timed(server.port, path, args.n, 10, cookie=cookie))
            rows.append((name, statistics.median(took) * 1000, pct(took, 99) * 1000))
        live = asyncio.run(live_viewers(server.port, ref, cookie, token, args.viewers, args.changes))
        rate = asyncio.run(noop_rate(server.port, 3.0))
        memory = proc_status(server.pid)
    finally:
        server.stop()
        if cluster is not None:
            cluster.stop()
        drop_workdir(workdir, keep=args.keep)
    print(f"\nconsole benchmark on {args.db}: {args.incidents:,} incidents, {args.open:,} open, "
          f"{ref} with {args.events:,} events")
    for name, p50, p99 in rows:
        target = TARGETS_MS[name]
        print(f"  {name:<16} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  (target p99 < {target:.0f} ms: "
              f"{'PASS' if p99 < target else 'MISS'})")
    missed = sum(1 for x in live if x == float("inf"))
    p99_live = pct(live, 99)
    print(f"  live: {args.viewers} viewers x {args.changes} changes, change request to event p50 "
          f"{statistics.median(live) * 1000:.0f} ms, p99 {p99_live * 1000:.0f} ms, max "
          f"{max(live) * 1000:.0f} ms, missed {missed}  (target p99 < {LIVE_TARGET_S:.0f} s: "
          f"{'PASS' if p99_live < LIVE_TARGET_S else 'MISS'})")
    print(f"  server peak RSS {memory.get('VmHWM', 0) / 1024:.0f} MB; no-op rate {rate:,.0f} requests/s "
          f"(same server, same run, 8 connections)")


if __name__ == "__main__":
    main()
