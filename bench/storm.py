#!/usr/bin/env python3
"""Storm benchmark (issue 13, "Stay up in the storm"): does one Firebell server stay responsive
while a flood of alerts comes in?

It starts a real server (`firebell db upgrade`, then `firebell serve --config bench/storm_config.yaml`
as a subprocess, bound to 127.0.0.1) and, after a baseline of /healthz on the idle server:

  A. one big Alertmanager message: a single webhook message (version 4, one groupKey) holding
     10,000 firing alerts, while /healthz is probed every 50 ms and /readyz every second;
  B. a sustained open-loop mix for --duration seconds: 200 PagerDuty events/s (80 % triggers of
     fresh dedup keys, 20 % resolves of keys triggered earlier), 20 incident-list reads/s and
     /healthz probes, reported per 10-second window with the server's CPU and RSS.

    .venv/bin/python bench/storm.py                                  # SQLite in a temp dir
    .venv/bin/python bench/storm.py --db postgres --duration 60      # throwaway PostgreSQL cluster
    .venv/bin/python bench/storm.py --server-src ../old/src          # the same benchmark, older code

See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import signal
import sys
import tempfile
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openloop import Lane, on_schedule, pct_ms  # bench/ is the script's directory
from serving import Server, build_request, drop_workdir, machine_busy, open_database, proc_cpu, proc_status
from storm_report import database_size, fmt_size, print_targets, print_windows, sustained_verdicts

DEFAULT_CONFIG = Path(__file__).resolve().parent / "storm_config.yaml"
AM_KEY = "stormam00000000000000000000000000"  # must match the integrations in storm_config.yaml
PD_KEY = "stormpd00000000000000000000000000"
HOST = "127.0.0.1"
WINDOW_S = 10.0
BASELINE_S = 5.0
HEALTH_EVERY_S = 0.05  # phase A and the baseline
READY_EVERY_S = 1.0
SUSTAINED_HEALTH_RATE = 5.0  # /healthz probes a second in phase B


def _stop_on_sigterm(*_: Any) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C: server and cluster stopped


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

_CHECKS = ("http-5xx-rate", "latency-p99", "disk-free", "queue-depth", "cert-expiry", "replica-lag")


def alertmanager_message(alerts: int, run_id: str, now: datetime) -> bytes:
    """One Alertmanager webhook message (version 4) of `alerts` firing alerts in one group: a storm
    as a partition makes one, NodeDown firing for every node of a fleet, grouped by alertname. The
    labels every alert shares travel in commonLabels and each alert carries only its instance,
    which keeps 10,000 alerts near the ~0.8 MB of the issue's report (Alertmanager repeats the
    shared labels in every alert; the parser merges the two, so each alert gets the full set)."""
    common = {"alertname": "NodeDown", "cluster": "prod-eu-1", "job": "node", "severity": "critical",
              "env": "production"}
    items = [
        {
            "status": "firing",
            "labels": {"instance": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}:9100"},
            "startsAt": (now - timedelta(seconds=i % 600)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for i in range(alerts)
    ]
    message = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="NodeDown", storm="{run_id}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "firebell",
        "groupLabels": {"alertname": "NodeDown"},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": items,
    }
    return json.dumps(message, separators=(",", ":")).encode()


def pagerduty_events(count: int, rate: float, group_size: int, seed: int, run_id: str) -> tuple[list[bytes], int]:
    """`count` PagerDuty v2 events: 80 % triggers, each of a fresh dedup key, and 20 % resolves of a
    key triggered at least a second of schedule earlier (so its trigger has been answered). Returns
    the bodies and the number of resolves. Every `group_size` keys share an incident group; one key
    in four is a warning (no page, no incident), the rest critical."""
    rng = random.Random(seed)
    lag = max(1, int(rate))
    waiting: deque[tuple[int, int]] = deque()  # (event index, key) of triggers not yet resolvable
    resolvable: list[int] = []
    fresh = resolves = 0
    bodies = []
    for i in range(count):
        while waiting and waiting[0][0] <= i - lag:
            resolvable.append(waiting.popleft()[1])
        key = f"storm-{run_id}-{{:07d}}"
        if resolvable and rng.random() < 0.2:
            j = rng.randrange(len(resolvable))
            resolvable[j], resolvable[-1] = resolvable[-1], resolvable[j]
            body: dict[str, Any] = {"routing_key": PD_KEY, "event_action": "resolve",
                                    "dedup_key": key.format(resolvable.pop())}
            resolves += 1
        else:
            k, fresh = fresh, fresh + 1
            waiting.append((i, k))
            check = _CHECKS[k % len(_CHECKS)]
            host = f"web-{k % 400:03d}.prod-eu-1"
            body = {
                "routing_key": PD_KEY,
                "event_action": "trigger",
                "dedup_key": key.format(k),
                "payload": {
                    "summary": f"{check} failing on {host}",
                    "source": host,
                    "severity": "warning" if k % 4 == 3 else "critical",
                    "component": check,
                    "group": f"g{k // max(1, group_size):06d}",
                    "class": check,
                    "custom_details": {"run": run_id, "seq": i, "value": rng.randrange(1000)},
                },
                "client": "firebell-storm-bench",
            }
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies, resolves


# --------------------------------------------------------------------------------------------
# Phases (asyncio, in this process: a few hundred requests a second cost it little)
# --------------------------------------------------------------------------------------------


def _summary(lane: Lane, start: float = 0.0, end: float = math.inf) -> dict[str, Any]:
    lat = lane.latencies(start, end)
    statuses = lane.statuses(start, end)
    return {"n": len(lat), "p50_ms": pct_ms(lat, 50), "p99_ms": pct_ms(lat, 99),
            "max_ms": max(lat) * 1000 if lat else float("nan"),
            "statuses": {str(k): v for k, v in statuses.items()}, "timeouts": statuses.get("timeout", 0),
            "unsent": lane.unsent(start, end), "late": lane.late(start, end)}


async def idle_baseline(port: int, timeout: float) -> dict[str, Any]:
    health = Lane("healthz", HOST, port, max_in_flight=20, timeout=timeout)
    probe = build_request(HOST, port, "/healthz", method="GET")
    await on_schedule(health, 1 / HEALTH_EVERY_S, BASELINE_S, lambda _: probe)
    await health.drain(timeout)
    return _summary(health)


async def big_message(port: int, body: bytes, give_up_s: float, timeout: float) -> dict[str, Any]:
    """POST the message once, probing /healthz and /readyz from the moment it goes until a second
    after its answer (or until `give_up_s`, when it counts as not answered)."""
    t0 = time.perf_counter()
    post = Lane("alertmanager", HOST, port, max_in_flight=1, timeout=give_up_s, t0=t0)
    health = Lane("healthz", HOST, port, max_in_flight=100, timeout=timeout, t0=t0)
    ready = Lane("readyz", HOST, port, max_in_flight=10, timeout=timeout, t0=t0)
    health_probe = build_request(HOST, port, "/healthz", method="GET")
    ready_probe = build_request(HOST, port, "/readyz", method="GET")
    stop = asyncio.Event()
    probes = [asyncio.create_task(on_schedule(health, 1 / HEALTH_EVERY_S, give_up_s + 5, lambda _: health_probe, stop)),
              asyncio.create_task(on_schedule(ready, 1 / READY_EVERY_S, give_up_s + 5, lambda _: ready_probe, stop))]
    post.offer(build_request(HOST, port, f"/integrations/alertmanager/{AM_KEY}", body), t0, keep_body=lambda _: True)
    await post.drain(give_up_s + 5)
    answered_after = post.answers[0].seconds if post.answers else give_up_s
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*probes)
    await asyncio.gather(health.drain(timeout), ready.drain(timeout))
    status = post.answers[0].status if post.answers else "timeout"
    detail = post.samples[0] if post.samples else ""
    counted = re.search(r'"events":\s*(\d+)', detail)  # only the answer's first 300 bytes are kept
    events = int(counted.group(1)) if counted else None
    return {"status": status, "seconds": answered_after, "detail": detail[:300], "events": events,
            "health": _summary(health, 0.0, answered_after), "ready": _summary(ready, 0.0, answered_after),
            "health_after": _summary(health, answered_after)}


async def sustained(port: int, token: str, pid: int, args: argparse.Namespace, bodies: list[bytes]) -> dict[str, Any]:
    t0 = time.perf_counter()
    ingest = Lane("ingest", HOST, port, max_in_flight=args.max_in_flight, timeout=args.request_timeout, t0=t0)
    listing = Lane("list", HOST, port, max_in_flight=16, timeout=args.request_timeout, t0=t0)
    health = Lane("healthz", HOST, port, max_in_flight=20, timeout=args.request_timeout, t0=t0)
    enqueue = [build_request(HOST, port, "/v2/enqueue", b) for b in bodies]
    list_req = build_request(HOST, port, "/api/v1/incidents", method="GET", token=token)
    health_probe = build_request(HOST, port, "/healthz", method="GET")
    readings: list[dict[str, float]] = []  # the server's CPU and RSS at each window's edge

    async def read_server() -> None:
        edges = [min(w * WINDOW_S, args.duration) for w in range(math.ceil(args.duration / WINDOW_S) + 1)]
        for edge in edges:
            await asyncio.sleep(max(0.0, t0 + edge - time.perf_counter()))
            readings.append({"t": time.perf_counter() - t0, "cpu_s": proc_cpu(pid), "busy_s": machine_busy(),
                             "rss_kb": proc_status(pid).get("VmRSS", 0)})

    client0 = os.times()
    await asyncio.gather(
        on_schedule(ingest, args.rate, args.duration, enqueue.__getitem__, keep_body=lambda s: s != 202),
        on_schedule(listing, args.list_rate, args.duration, lambda _: list_req, keep_body=lambda s: s != 200),
        on_schedule(health, SUSTAINED_HEALTH_RATE, args.duration, lambda _: health_probe),
        read_server(),
    )
    await asyncio.gather(*(lane.drain(args.request_timeout) for lane in (ingest, listing, health)))
    client1 = os.times()
    windows = []
    for w in range(len(readings) - 1):
        start, end = w * WINDOW_S, min((w + 1) * WINDOW_S, args.duration)
        a, b = readings[w], readings[w + 1]
        span = max(1e-9, b["t"] - a["t"])
        windows.append({"start": start, "end": end, "ingest": _summary(ingest, start, end),
                        "list": _summary(listing, start, end), "health": _summary(health, start, end),
                        "server_cpu_pct": (b["cpu_s"] - a["cpu_s"]) / span * 100,
                        "machine_cpu_pct": (b["busy_s"] - a["busy_s"]) / span * 100, "rss_mb": b["rss_kb"] / 1024})
    client_cpu = (client1.user - client0.user) + (client1.system - client0.system)
    return {"windows": windows, "ingest": ingest, "list": listing, "health": health,
            "client_cpu_pct": client_cpu / max(1e-9, time.perf_counter() - t0) * 100,
            "samples": (ingest.samples + listing.samples)[:5]}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Firebell storm benchmark, issue 13 (see bench/README.md)")
    ap.add_argument("--db", default="sqlite", help="sqlite (temp file, default), postgres (throwaway cluster via "
                    "tests/pgcluster.py), or a SQLAlchemy URL of a THROWAWAY database")
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of the sustained mix, phase B (120)")
    ap.add_argument("--rate", type=float, default=200.0, help="PagerDuty events a second in phase B (200)")
    ap.add_argument("--list-rate", type=float, default=20.0, help="incident-list reads a second in phase B (20)")
    ap.add_argument("--big-alerts", type=int, default=10_000, help="alerts in the one message of phase A (10000)")
    ap.add_argument("--big-timeout", type=float, default=300.0,
                    help="give up on the big message after this many seconds: MISS, server restarted (300)")
    ap.add_argument("--skip-big", action="store_true", help="skip phase A, the big message")
    ap.add_argument("--skip-sustained", action="store_true", help="skip phase B, the sustained mix")
    ap.add_argument("--group-size", type=int, default=10, help="PagerDuty dedup keys per incident group (10)")
    ap.add_argument("--max-in-flight", type=int, default=64,
                    help="ingest requests awaiting an answer at once; one due beyond it is counted unsent (64)")
    ap.add_argument("--request-timeout", type=float, default=30.0, help="per-request timeout, s (30)")
    ap.add_argument("--server-src", type=Path, help="run the server from another checkout's src/ (put first on "
                    "its PYTHONPATH), e.g. a git worktree of an older commit")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="org config the server applies")
    ap.add_argument("--server-workers", type=int, default=1,
                    help="HTTP worker processes of `firebell serve --workers N` (1); more than 1 for PostgreSQL only")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the event mix")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (database, server log)")
    return ap.parse_args(argv)


def _fmt(summary: dict[str, Any]) -> str:
    return (f"p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms, max {summary['max_ms']:.1f} ms "
            f"({summary['n']} sent, {summary['timeouts']} of them timed out; "
            f"{summary['unsent']} not sent: in-flight cap)")


def run(args: argparse.Namespace, workdir: Path, cleanup: list[Any]) -> int:
    url, cluster = open_database(args.db, workdir)
    if cluster is not None:
        cleanup.append(cluster)
    server_src = args.server_src.resolve() if args.server_src else None
    server = Server(url, args.config.resolve(), workdir, access_log="auto", profiler=None,
                    server_workers=args.server_workers, server_src=server_src)
    cleanup.append(server)
    server.upgrade()
    server.start()
    token = server.create_token()
    backend = url.split(":", 1)[0].split("+", 1)[0]
    run_id = uuid.uuid4().hex[:8]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; server pid {server.pid} on "
          f"{server.base}, db={backend}, firebell from {server.source()}; {server.logging_note}", flush=True)
    figures: dict[str, Any] = {"db": backend, "args": {k: str(v) for k, v in vars(args).items()},
                               "started": datetime.now(UTC).isoformat()}

    baseline = asyncio.run(idle_baseline(server.port, args.request_timeout))
    figures["baseline_health"] = baseline
    print(f"\nbaseline, idle server, /healthz every {HEALTH_EVERY_S * 1000:.0f} ms for {BASELINE_S:.0f} s: "
          f"{_fmt(baseline)}", flush=True)

    if not args.skip_big:
        body = alertmanager_message(args.big_alerts, run_id, datetime.now(UTC))
        print(f"\nphase A: one Alertmanager message of {args.big_alerts:,} firing alerts ({len(body) / 1e6:.2f} MB), "
              f"/healthz every {HEALTH_EVERY_S * 1000:.0f} ms, /readyz every {READY_EVERY_S:.0f} s; giving up after "
              f"{args.big_timeout:.0f} s ...", flush=True)
        big = asyncio.run(big_message(server.port, body, args.big_timeout, args.request_timeout))
        big["bytes"] = len(body)
        figures["big"] = big
        answered = isinstance(big["status"], int)
        print(f"  answer: {big['status']} after {big['seconds']:.2f} s"
              + (f" ({big['events']} events)" if big["events"] is not None else "")
              + ("" if big["status"] == 202 or not big["detail"] else f": {big['detail']}"))
        print(f"  /healthz during it: {_fmt(big['health'])}   (idle baseline p50 {baseline['p50_ms']:.1f}, "
              f"p99 {baseline['p99_ms']:.1f} ms)")
        print(f"  /readyz during it: {_fmt(big['ready'])}")
        print(f"  /healthz in the second after it: {_fmt(big['health_after'])}", flush=True)
        if not answered and not args.skip_sustained:
            print("  the server is still busy with the message: restarting it before phase B", flush=True)
            server.stop()
            server.start()

    if not args.skip_sustained:
        count = math.ceil(args.duration * args.rate)
        bodies, resolves = pagerduty_events(count, args.rate, args.group_size, args.seed, run_id)
        figures["db_before_sustained"] = database_size(url)
        print(f"\nphase B: {args.duration:.0f} s of {args.rate:.0f} PagerDuty events/s ({count - resolves} triggers of "
              f"fresh keys, {resolves} resolves), {args.list_rate:.0f} incident-list reads/s, /healthz "
              f"{SUSTAINED_HEALTH_RATE:.0f}/s; open loop, at most {args.max_in_flight} ingest requests in flight ...",
              flush=True)
        result = asyncio.run(sustained(server.port, token, server.pid, args, bodies))
        figures["windows"] = result["windows"]
        figures["db_after"] = database_size(url)
        print_windows(result["windows"], baseline)
        print(f"  load generator CPU: {result['client_cpu_pct']:.0f} % of a core")
        for sample in result["samples"]:
            print(f"  ! sample answer {sample}")
        print(f"  database before phase B: {fmt_size(figures['db_before_sustained'])}; "
              f"at the end: {fmt_size(figures['db_after'])}")
        figures["sustained"] = sustained_verdicts(result, args.duration, WINDOW_S)

    verdicts = print_targets(figures, args.big_alerts)
    figures["verdicts"] = verdicts
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
        print(f"figures written to {args.json}")
    return 0 if all(v == "PASS" for v in verdicts.values()) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`cmd &`)
    workdir = Path(tempfile.mkdtemp(prefix="firebell-storm-"))
    cleanup: list[Any] = []
    try:
        return run(args, workdir, cleanup)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        for item in cleanup:
            if isinstance(item, Server):
                print(f"--- server log tail ({item.log_path}) ---\n{item.log_tail()}", file=sys.stderr)
        return 2
    finally:
        for item in reversed(cleanup):  # the server first, then its cluster
            item.stop()
        drop_workdir(workdir, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
