"""What bench/escalation.py and bench/page_latency.py share: a webhook receiver on loopback that
notes when each page arrives, the store to run against, and percentiles."""

from __future__ import annotations

import atexit
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Receiver:
    """A webhook receiver in its own process (the world outside Firebell, so it must not take the
    benchmarked process's CPU or GIL): answers every POST 200 and keeps the first arrival time of
    each page, keyed by a request header (`header`) or by the first group of `title` in the JSON
    body's incident title. Requests matching neither are ignored."""

    def __init__(self, *, header: str | None = None, title: str | None = None, slack: str | None = None) -> None:
        """`slack`: answer as Slack's Web API does (`{"ok": true, "ts": ...}`) and key arrivals by the first
        group of this pattern in the message's `text` (a stand-in for a Slack channel)."""
        spec = json.dumps({"header": header, "title": title, "slack": slack})
        self._proc = subprocess.Popen([sys.executable, __file__, "--receiver", spec], stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        port = int(self._proc.stdout.readline())
        self.url = f"http://127.0.0.1:{port}/hook"
        self._base = f"http://127.0.0.1:{port}"
        atexit.register(self.close)

    def count(self) -> int:
        with urllib.request.urlopen(self._base + "/count", timeout=10) as answer:
            return int(answer.read())

    def arrivals(self) -> dict[str, float]:
        with urllib.request.urlopen(self._base + "/arrivals", timeout=30) as answer:
            return {str(k): float(v) for k, v in json.loads(answer.read()).items()}

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=10)


def _serve_receiver(spec: dict[str, str | None]) -> None:
    arrivals: dict[str, float] = {}
    pattern = re.compile(spec["title"]) if spec.get("title") else None
    header = spec.get("header")
    slack = re.compile(spec["slack"]) if spec.get("slack") else None
    posted = [0]

    def key_of(headers: Any, body: dict[str, Any]) -> str | None:
        if header:
            return headers.get(header)
        if slack is not None:
            found = slack.search(json.dumps(body.get("blocks") or body.get("text") or ""))
            return found.group(1) if found else None
        found = pattern.search(body.get("incident", {}).get("title", "")) if pattern else None
        return found.group(1) if found else None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            data = (json.dumps(arrivals) if self.path == "/arrivals" else str(len(arrivals))).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:  # a form (Slack's users.info): not a message
                body = {}
            body = body if isinstance(body, dict) else {}
            key = key_of(self.headers, body)
            if key is not None:
                arrivals.setdefault(key, time.time())
            answer = b""
            if slack is not None:
                posted[0] += 1
                answer = json.dumps({"ok": True, "ts": f"{posted[0]}.000100", "channel": body.get("channel", "C1")}
                                    ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextmanager
def database(kind: str, workdir: Path | None = None) -> Iterator[str]:
    """A SQLite file (in `workdir`, else a temporary directory) or a throwaway PostgreSQL cluster."""
    if kind == "sqlite":
        if workdir is not None:
            yield f"sqlite:///{workdir}/bench.db"
            return
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    from tests.pgcluster import start_cluster

    cluster = start_cluster()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


if __name__ == "__main__" and sys.argv[1:2] == ["--receiver"]:
    _serve_receiver(json.loads(sys.argv[2]))
