#!/usr/bin/env python3
"""The public status page's speed, against a real `firebell serve` (SQLite by default, `--db postgres`
for a throwaway cluster), with status_page.export_dir set and one webhook subscriber (a receiver in
this process on 127.0.0.1).

1. Reads: `GET /api/v2/summary.json` and `GET /status/` over `--connections` keep-alive connections for
   `--seconds` each, in `--rounds` rounds interleaved with the same server's `POST /v2/noop` (routing
   and a JSON parse, no database): requests/s and p99 per endpoint, the no-op's beside them.
2. Freshness: `--updates` public incident updates through the API; for each, the time from sending the
   update (before its commit: conservative) to (a) the live summary.json showing it, (b) the exported
   api/v2/summary.json on disk showing it, (c) the webhook subscriber receiving it. p50/p99/max.

    .venv/bin/python bench/statuspage.py                 # SQLite in a temp dir
    .venv/bin/python bench/statuspage.py --db postgres   # throwaway cluster (tests/pgcluster.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from serving import Server, build_request, drop_workdir, open_database, read_response

CONFIG = Path(__file__).with_name("ingest_config.yaml")
STATUS_PAGE = """
status_page:
  name: Bench Status
  url: https://status.bench.example
  time_zone: UTC
  export_dir: {export_dir}
  components:
    - {{name: API}}
    - {{name: Website}}
  groups:
    - name: Data
      components:
        - {{name: Database}}
"""
WEBHOOK_SECRET = "whsec_" + "YmVuY2gtc3Vic2NyaWJlci1zZWNyZXQtMDEyMzQ1Njc="
TARGET_RATE, TARGET_P99_MS, TARGET_FRESH_S = 5_000, 20.0, 1.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def load(port: int, path: str, seconds: float, connections: int) -> tuple[float, list[float]]:
    """(requests/s, seconds per request) of a closed loop over `connections` keep-alive connections."""
    post = path == "/v2/noop"
    body = json.dumps({"routing_key": "x", "event_action": "trigger"}).encode() if post else b""
    request = build_request("127.0.0.1", port, path, body, method="POST" if post else "GET")
    took: list[float] = []
    ends = time.monotonic() + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < ends:
            started = time.perf_counter()
            writer.write(request)
            status, answer, _ = await read_response(reader)
            if status not in (200, 202):
                raise RuntimeError(f"{path}: {status} {answer[:200]!r}")
            took.append(time.perf_counter() - started)
        writer.close()

    begun = time.monotonic()
    await asyncio.gather(*(one() for _ in range(connections)))
    return len(took) / (time.monotonic() - begun), took


class Receiver:
    """A webhook subscriber: when each marker first arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                at = time.monotonic()
                try:
                    updates = json.loads(body).get("incident", {}).get("incident_updates") or []
                except ValueError:
                    updates = []
                if updates:
                    box.arrived.setdefault(updates[0]["body"], at)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def api(server: Server, method: str, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    import urllib.request

    request = urllib.request.Request(f"{server.base}{path}", method=method, data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        found: dict[str, Any] = json.loads(answer.read())
        return found


async def freshness(server: Server, token: str, incident: str, site: Path, hook: Receiver,
                    updates: int) -> dict[str, list[float]]:
    """Seconds from sending each update to the live JSON, the export and the webhook showing it."""
    out: dict[str, list[float]] = {"update's own request": [], "live JSON": [], "static export": [],
                                   "webhook subscriber": []}
    summary = build_request("127.0.0.1", server.port, "/api/v2/summary.json", method="GET")
    exported = site / "api" / "v2" / "summary.json"
    for n in range(updates):
        marker = f"bench update {n} {time.time_ns()}"
        sent = time.monotonic()
        await asyncio.to_thread(api, server, "POST", f"/api/v1/status-page/incidents/{incident}/updates", token,
                                {"status": "identified", "body": marker})
        seen: dict[str, float] = {"update's own request": time.monotonic()}
        deadline = sent + 5.0
        while len(seen) < 4 and time.monotonic() < deadline:
            if "live JSON" not in seen:
                # A fresh connection each time, as a reader arriving at the page would come.
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(summary)
                _, body, _ = await read_response(reader)
                writer.close()
                if marker.encode() in body:
                    seen["live JSON"] = time.monotonic()
            if "static export" not in seen:
                try:
                    if marker.encode() in exported.read_bytes():
                        seen["static export"] = time.monotonic()
                except OSError:
                    pass
            if "webhook subscriber" not in seen and marker in hook.arrived:
                seen["webhook subscriber"] = hook.arrived[marker]
            await asyncio.sleep(0.002)
        for name, found in out.items():
            found.append(seen[name] - sent if name in seen else float("inf"))
            if name not in seen:
                print(f"update {n}: not seen by the {name} within 5 s", file=sys.stderr)
        await asyncio.sleep(0.1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgres, or a SQLAlchemy URL")
    parser.add_argument("--seconds", type=float, default=3.0, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="firebell-statuspage-"))
    site = workdir / "site"
    tree = workdir / "config"
    tree.mkdir()
    shutil.copy(CONFIG, tree / "org.yaml")
    (tree / "status-page.yaml").write_text(STATUS_PAGE.format(export_dir=site))
    url, cluster = open_database(args.db, workdir)
    server = Server(url, tree, workdir, "auto", None)
    hook = Receiver()
    rates: dict[str, list[float]] = {}
    took: dict[str, list[float]] = {}
    try:
        server.upgrade()
        server.start()
        token = server.create_token()
        api(server, "POST", "/api/v1/status-page/subscribers", token, {"mode": "webhook", "endpoint": hook.url,
                                                                  "secret": WEBHOOK_SECRET})
        for name in ("Elevated API errors", "Slow website"):
            opened = api(server, "POST", "/api/v1/status-page/incidents", token, {
                "name": name, "body": "We are investigating.", "components": {"API": "partial_outage"}})
        for _ in range(args.rounds):
            for path in ("/v2/noop", "/api/v2/summary.json", "/status/"):
                rate, each = asyncio.run(load(server.port, path, args.seconds, args.connections))
                rates.setdefault(path, []).append(rate)
                took.setdefault(path, []).extend(each)
        fresh = asyncio.run(freshness(server, token, opened["id"], site, hook, args.updates))
    finally:
        server.stop()
        hook.server.shutdown()
        if cluster is not None:
            cluster.stop()
        drop_workdir(workdir, keep=args.keep)
    noop_rate, noop_p99 = statistics.median(rates["/v2/noop"]), pct(took["/v2/noop"], 99) * 1000
    print(f"\nstatus page benchmark on {args.db}: {args.rounds} rounds x {args.seconds:.0f} s per endpoint, "
          f"{args.connections} connections, interleaved (median round's rate; p99 over all rounds)")
    for path in ("/v2/noop", "/api/v2/summary.json", "/status/"):
        rate, p99 = statistics.median(rates[path]), pct(took[path], 99) * 1000
        verdict = "" if path == "/v2/noop" else (
            f"  (target >= {TARGET_RATE:,}/s and p99 < {TARGET_P99_MS:.0f} ms: "
            f"{'PASS' if rate >= TARGET_RATE and p99 < TARGET_P99_MS else 'MISS'}; no-op {noop_rate:,.0f}/s, "
            f"p99 {noop_p99:.1f} ms)")
        print(f"  {path:<22} {rate:8,.0f} requests/s  p99 {p99:6.1f} ms  "
              f"rounds {', '.join(f'{r:,.0f}' for r in rates[path])}{verdict}")
    for name, values in fresh.items():
        missed = sum(1 for v in values if v == float("inf"))
        p99 = pct(values, 99)
        print(f"  update -> {name:<21} p50 {statistics.median(values) * 1000:6.0f} ms  p99 {p99 * 1000:6.0f} ms  "
              f"max {max(values) * 1000:6.0f} ms  missed {missed}  (target p99 < {TARGET_FRESH_S:.0f} s: "
              f"{'PASS' if p99 < TARGET_FRESH_S else 'MISS'})")


if __name__ == "__main__":
    main()
