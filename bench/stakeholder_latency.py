#!/usr/bin/env python3
"""Stakeholder updates: from an update's commit to its arrival in the stakeholder Slack channel
(issue 16). Target: p99 under 1 s with 50 incidents being updated at once.

It starts a real `firebell serve` (SQLite by default, `--db postgres` for a throwaway cluster) whose
configuration has one `purpose: stakeholders` Slack channel, points the Slack bot at a stand-in
Slack on loopback (its own process; it answers as Slack's Web API does and notes when each message
arrives), declares `--incidents` P2 incidents, then posts a structured update to each of them in turn,
open loop, at `--rate` updates a second for `--seconds`. Each update carries a marker in "what we
know"; its latency is from the API's 201 (the update is committed before it answers) to the arrival of
the Slack message carrying the marker. Baseline, same run: the update request's own latency.

    .venv/bin/python bench/stakeholder_latency.py                       # 50 incidents, 10 updates/s, 30 s
    .venv/bin/python bench/stakeholder_latency.py --db postgres --rate 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
TARGET_P99_S = 1.0
from page_latency import _wait_ready  # noqa: E402  (bench/ is the script's directory)
from paging_common import Receiver, database, pct  # noqa: E402
from tests.pgcluster import free_port  # noqa: E402

CONFIG = """\
organisation: {name: Bench, timezone: UTC}
teams: [{name: comms}]
users:
  - {name: admin, full_name: Bench Admin, email: admin@bench.example.com, access: admin, teams: [comms]}
services:
  - {name: checkout, title: Checkout, team: comms}
slack:
  channels:
    - {channel: C0STAKEHOLD, name: "#incident-comms", severities: [P1, P2, P3, P4], purpose: stakeholders}
"""


async def drive(base: str, token: str, refs: list[str], rate: float, seconds: float) -> dict[str, tuple[float, float]]:
    """Update i goes to incident i % len(refs) at start + i/rate. Returns {marker: (sent, answered 201)}."""
    answered: dict[str, tuple[float, float]] = {}
    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30, headers=headers) as client:
        async def one(i: int) -> None:
            marker = f"mk{i:06d}"
            sent = time.time()
            response = await client.post(f"/api/v1/incidents/{refs[i % len(refs)]}/updates", json={
                "status": "identified", "known": f"cause {marker} found", "doing": "rolling back"})
            if response.status_code in (200, 201):
                answered[marker] = (sent, time.time())
            else:
                print("update refused:", response.status_code, response.text[:200], file=sys.stderr)

        start = time.monotonic()
        tasks = []
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return answered


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--incidents", type=int, default=50)
    ap.add_argument("--rate", type=float, default=10.0, help="updates per second over all incidents (10)")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = ap.parse_args()
    slack = Receiver(slack=r"(mk\d{6})")
    workdir = Path(tempfile.mkdtemp(prefix="firebell-stakeholders-"))
    try:
        with database(args.db, workdir) as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")}
            env |= {"FIREBELL_DATABASE_URL": url, "FIREBELL_SLACK_BOT_TOKEN": "xoxb-bench",
                    "FIREBELL_SECRET_KEY": "bench-secret-0123456789abcdef0123456789abcdef",
                    "FIREBELL_SLACK_API_URL": slack.url.rsplit("/", 1)[0]}
            config = workdir / "config.yaml"
            config.write_text(CONFIG)
            firebell = str(BIN / "firebell")
            subprocess.run([firebell, "db", "upgrade"], env=env, check=True, capture_output=True)
            applied = subprocess.run([firebell, "config", "apply", str(config)], env=env, capture_output=True,
                                     text=True)
            if applied.returncode:
                raise SystemExit(f"config apply failed: {applied.stdout}{applied.stderr}")
            made = subprocess.run([firebell, "token", "create", "--user", "admin", "--role", "admin"], env=env,
                                  check=True, capture_output=True, text=True).stdout
            token = next(word for word in made.split() if word.startswith("fb_"))
            port = free_port()
            server = subprocess.Popen([firebell, "serve", "--port", str(port), "--log-level", "warning",
                                       "--config", str(config)], env=env,
                                      stdout=(workdir / "server.log").open("wb"), stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_ready(base)
                refs = []
                with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=30) as client:
                    for i in range(args.incidents):
                        made_incident = client.post("/api/v1/incidents", json={
                            "title": f"Checkout slow {i}", "severity": "P2", "services": ["checkout"]})
                        made_incident.raise_for_status()
                        refs.append(made_incident.json()["ref"])
                time.sleep(2)  # the "declared" messages go out first
                answered = asyncio.run(drive(base, token, refs, args.rate, args.seconds))
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not set(answered) <= set(slack.arrivals()):
                    time.sleep(0.25)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
        arrivals = slack.arrivals()
        slack.close()
    finally:
        if os.environ.get("KEEP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    latency = [arrivals[m] - done for m, (_, done) in answered.items() if m in arrivals]
    request = [done - sent for sent, done in answered.values()]
    missing = len(answered) - len(latency)
    p99 = pct(latency, 0.99)
    print(f"\nStakeholder updates: {args.incidents} incidents, {args.rate:g} updates/s for {args.seconds:g} s, "
          f"db={args.db}, each to one stakeholder Slack channel")
    print(f"  updates answered        {len(answered):>8} of {int(args.rate * args.seconds)}")
    print(f"  messages arrived        {len(latency):>8}   missing {missing}")
    print(f"  commit -> Slack arrival p50 {pct(latency, .5) * 1000:8.0f} ms  p99 {p99 * 1000:8.0f} ms"
          f"  max {max(latency, default=float('nan')) * 1000:8.0f} ms")
    print(f"  baseline: the update request  p50 {pct(request, .5) * 1000:8.1f} ms"
          f"  p99 {pct(request, .99) * 1000:8.1f} ms")
    ok = p99 <= TARGET_P99_S and missing == 0
    print(f"  target p99 <= {TARGET_P99_S * 1000:.0f} ms: {p99 * 1000:.0f} ms  {'PASS' if ok else 'MISS'}")
    print("RESULT " + json.dumps({"db": args.db, "p50_ms": round(pct(latency, .5) * 1000), "p99_ms": round(p99 * 1000),
                                  "missing": missing, "target": "PASS" if ok else "MISS"}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
