"""What bench/escalation.py and bench/page_latency.py share: a webhook receiver on loopback that
notes when each page arrives, the store to run against, and percentiles."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# Which page a request is: from its headers and JSON body; None to ignore it.
PageKey = Callable[[Any, dict[str, Any]], Hashable | None]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Receiver:
    """Answers every POST 200 and keeps the first arrival time of each page."""

    def __init__(self, key_of: PageKey) -> None:
        self.arrivals: dict[Hashable, float] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = key_of(self.headers, body)
                if key is not None:
                    outer.arrivals.setdefault(key, time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


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
