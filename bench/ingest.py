#!/usr/bin/env python3
"""Alert-ingestion benchmark: how many PagerDuty v2 events per second one Firebell server takes.

It starts a real server (`firebell db upgrade`, then `firebell serve --config bench/ingest_config.yaml`
as a subprocess), drives it with a separate load-generator (worker processes running a minimal
asyncio HTTP/1.1 keep-alive client), and prints throughput, latency percentiles and the server's
peak RSS for two endpoints of the same server stack, measured in the same run, one after the other:

  1. `POST /v2/noop`    routing, body read, JSON parse, threadpool hop; no database (the baseline)
  2. `POST /v2/enqueue` the real PagerDuty Events v2 ingestion (alerts, history, incidents)

then checks through the API and the database that the events were really written.

    .venv/bin/python bench/ingest.py                      # SQLite in a temp dir, 20k events
    .venv/bin/python bench/ingest.py --db postgres        # throwaway cluster (tests/pgcluster.py)
    .venv/bin/python bench/ingest.py --db postgresql+psycopg://u@host/db   # an existing database
    .venv/bin/python bench/ingest.py --profile -n 5000    # where the server's time goes

See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = Path(__file__).resolve().parent / "ingest_config.yaml"
ROUTING_KEY = "benchkey000000000000000000000000"  # must match the integration in the bench config
SERVICE = "bench"
ADMIN = "admin"
TARGETS = {"sqlite": (2000.0, 50.0), "postgresql": (1000.0, None)}  # (events/s >=, p99 ms <=)
PROFILE_TOP = 25


def _bin_dir() -> Path:
    here = Path(sys.executable).parent
    return here if (here / "firebell").exists() else ROOT / ".venv" / "bin"


BIN = _bin_dir()
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable


# --------------------------------------------------------------------------------------------
# Load generator: runs in worker processes, one asyncio loop each, raw HTTP/1.1 keep-alive.
# --------------------------------------------------------------------------------------------

UNSENT = "not sent (hard timeout)"


class _Closed(Exception):
    """The server closed the connection (or asked to)."""


def build_request(host: str, port: int, path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server wants to close). Minimal: status line, headers, Content-Length or chunked."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise _Closed from exc
    status = int(head[9:12])
    lower = head.lower()
    close = b"\r\nconnection: close" in lower
    i = lower.find(b"\r\ncontent-length:")
    if i >= 0:
        j = lower.find(b"\r\n", i + 2)
        body = await reader.readexactly(int(lower[i + 17 : j]))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        body = b"".join(parts)
    else:
        body, close = b"", True
    return status, body, close


@dataclass
class _ConnStats:
    latencies: array[float] = field(default_factory=lambda: array("d"))
    statuses: Counter[Any] = field(default_factory=Counter)
    by_kind: Counter[Any] = field(default_factory=Counter)  # "trigger 202", "resolve 500", ...
    samples: list[str] = field(default_factory=list)  # a few non-202 answers, for the report


async def _drive(
    host: str, port: int, requests: Any, stats: _ConnStats, req_timeout: float, deadline: float, record: bool
) -> None:
    """One connection: send the next request of the shared iterator, wait for the answer, repeat."""
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    writer: asyncio.StreamWriter | None = None
    perf = time.perf_counter
    try:
        for req, kind in requests:
            if time.monotonic() > deadline:
                stats.statuses[UNSENT] += 1
                continue
            try:
                if conn is None:
                    conn = await asyncio.wait_for(asyncio.open_connection(host, port), req_timeout)
                    sock = conn[1].get_extra_info("socket")
                    if sock is not None:
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader, writer = conn
                t = perf()
                writer.write(req)
                async with asyncio.timeout(req_timeout):
                    status, body, close = await _read_response(reader)
                elapsed = perf() - t
                if record:
                    stats.latencies.append(elapsed)
                stats.statuses[status] += 1
                stats.by_kind[f"{kind} {status}"] += 1
                if status != 202 and len(stats.samples) < 5:
                    stats.samples.append(f"{status}: {body[:300].decode('utf-8', 'replace')}")
                if close:
                    writer.close()
                    conn = writer = None
            except TimeoutError:
                stats.statuses["timeout"] += 1
                stats.by_kind[f"{kind} timeout"] += 1
                if writer is not None:
                    writer.close()
                conn = writer = None
            except (OSError, _Closed, asyncio.IncompleteReadError, ValueError) as exc:
                stats.statuses[f"connection error ({type(exc).__name__})"] += 1
                stats.by_kind[f"{kind} connection error"] += 1
                if writer is not None:
                    writer.close()
                conn = writer = None
                await asyncio.sleep(0.01)
    finally:
        if writer is not None:
            writer.close()


async def _worker_main(
    host: str,
    port: int,
    warm: list[tuple[bytes, str]],
    reqs: list[tuple[bytes, str]],
    conns: int,
    barrier: Any,
    deadline: float,
    req_timeout: float,
) -> dict[str, Any]:
    warm_stats = _ConnStats()
    it = iter(warm)
    await asyncio.gather(*(_drive(host, port, it, warm_stats, req_timeout, deadline, False) for _ in range(conns)))
    # Everyone (both workers and the parent) starts the measured part together.
    barrier.wait(timeout=max(1.0, deadline - time.monotonic()))
    stats = [_ConnStats() for _ in range(conns)]
    cpu0 = os.times()
    it = iter(reqs)
    t0 = time.perf_counter()
    await asyncio.gather(*(_drive(host, port, it, s, req_timeout, deadline, True) for s in stats))
    t1 = time.perf_counter()
    cpu1 = os.times()
    lat = array("d")
    statuses: Counter[Any] = Counter()
    by_kind: Counter[Any] = Counter(warm_stats.by_kind)
    samples: list[str] = []
    for s in stats:
        lat.extend(s.latencies)
        statuses.update(s.statuses)
        by_kind.update(s.by_kind)
        samples.extend(s.samples)
    return {
        "t0": t0,
        "t1": t1,
        "lat": lat.tobytes(),
        "statuses": dict(statuses),
        "by_kind": dict(by_kind),
        "warm_statuses": dict(warm_stats.statuses),
        "samples": (warm_stats.samples + samples)[:5],
        "cpu": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
    }


def _worker(
    wid: int,
    host: str,
    port: int,
    warm: list[tuple[bytes, str]],
    reqs: list[tuple[bytes, str]],
    conns: int,
    barrier: Any,
    deadline: float,
    req_timeout: float,
    out: Any,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and cleans up
    try:
        result = asyncio.run(_worker_main(host, port, warm, reqs, conns, barrier, deadline, req_timeout))
    except BaseException as exc:  # report instead of dying silently
        with contextlib.suppress(Exception):
            barrier.abort()
        result = {"error": f"worker {wid}: {type(exc).__name__}: {exc}"}
    out.put((wid, result))


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


def make_events(
    n: int, keys: int, group_size: int, seed: int, run_id: str, prefix: str, resolve_share: float = 0.2
) -> tuple[list[tuple[bytes, str]], Counter[str]]:
    """n PagerDuty v2 events over `keys` dedup keys: triggers and (resolve_share) resolves, severity
    critical, each unique in content (sequence number and run id in summary and custom_details),
    grouped `group_size` keys to an incident through payload.group (the bench config groups on it)."""
    rng = random.Random(seed)
    out: list[tuple[bytes, str]] = []
    kinds: Counter[Any] = Counter()
    for i in range(n):
        k = rng.randrange(keys)
        action = "resolve" if rng.random() < resolve_share else "trigger"
        kinds[action] += 1
        body = {
            "routing_key": ROUTING_KEY,
            "event_action": action,
            "dedup_key": f"bench-{k:05d}",
            "payload": {
                "summary": f"Bench alert {k} is {'firing' if action == 'trigger' else 'resolved'} ({prefix}#{i})",
                "source": f"bench-host-{k % 50:02d}",
                "severity": "critical",
                "component": "ingest-bench",
                "group": f"g{k // max(1, group_size):05d}",
                "custom_details": {"seq": i, "run": run_id, "phase": prefix, "value": rng.randrange(1000)},
            },
            "client": "firebell-bench",
        }
        out.append((json.dumps(body, separators=(",", ":")).encode(), action))
    return out, kinds


# --------------------------------------------------------------------------------------------
# Server process and database
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (a `serve --workers N` supervisor and its worker processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM in kB from /proc/<pid>/status, summed over the process tree."""
    out: dict[str, int] = {}
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = out.get(key, 0) + int(value.split()[0])
    return out


def reset_hwm(pid: int) -> bool:
    """Reset the peak-RSS counters (Linux: write 5 to clear_refs), so each phase gets its own peak."""
    try:
        for member in process_tree(pid):
            Path(f"/proc/{member}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def machine_busy() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat), to see what else ran during a phase."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process tree (all threads)."""
    total = 0.0
    try:
        for member in process_tree(pid):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")
    return total


def _http(method: str, url: str, token: str | None = None, timeout: float = 10.0) -> tuple[int, Any]:
    req = urllib.request.Request(url, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


class Server:
    """`firebell serve` in a subprocess, logging to a file."""

    def __init__(self, url: str, config: Path, workdir: Path, access_log: str, profiler: str | None,
                 server_workers: int = 1) -> None:
        self.url, self.config, self.workdir = url, config, workdir
        self.server_workers = server_workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.profiler = profiler
        self.cprofile_out = workdir / "server.prof"
        self.env = os.environ | {"FIREBELL_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
        # A PostgreSQL server needs its secret from the environment (SQLite makes a key file).
        self.env.setdefault("FIREBELL_SECRET_KEY", "bench-server-secret-" + uuid.uuid4().hex)
        self.proc: subprocess.Popen[bytes] | None = None
        has_level = self._has_log_level()
        # auto: keep logging out of the measurement when `serve` can; otherwise run it as shipped.
        self.access_log = access_log if access_log != "auto" else ("off" if has_level else "on")
        self.patch_access_log = self.access_log == "off" and not has_level
        self.log_option = ["--log-level", "warning" if self.access_log == "off" else "info"] if has_level else []
        self.logging_note = (
            "uvicorn access log on, to the server log file"
            if self.access_log == "on"
            else "uvicorn access log off (--log-level warning)"
            if has_level
            else "uvicorn access log off (bench launcher patch: this `serve` has no --log-level)"
        )

    @staticmethod
    def _has_log_level() -> bool:
        """Whether this Firebell's `serve` has --log-level (it had none when this benchmark was first
        written: uvicorn then logs every request at info level)."""
        try:
            helptext = subprocess.run(
                [str(BIN / "firebell"), "serve", "--help"],
                capture_output=True,
                text=True,
                timeout=30,
                env=os.environ | {"COLUMNS": "200"},
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            return False
        return "--log-level" in helptext

    def command(self) -> list[str]:
        serve_args = [
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--config",
            str(self.config),
            *self.log_option,
            *(["--workers", str(self.server_workers)] if self.server_workers > 1 else []),
        ]
        script = str(BIN / "firebell")
        if self.patch_access_log:
            # Measurement aid for a `serve` without --log-level: the same command with uvicorn's
            # access log switched off.
            script = str(self.workdir / "firebell_serve_quiet.py")
            Path(script).write_text(
                "import functools, sys, uvicorn\n"
                "uvicorn.run = functools.partial(uvicorn.run, access_log=False)\n"
                "sys.argv[0] = 'firebell'\n"
                "from firebell.cli.main import main\n"
                "main()\n"
            )
        if self.profiler == "cprofile":
            return [PYTHON, "-m", "cProfile", "-o", str(self.cprofile_out), script, *serve_args]
        return [PYTHON, script, *serve_args] if self.patch_access_log else [script, *serve_args]

    def upgrade(self) -> None:
        proc = subprocess.run(
            [str(BIN / "firebell"), "db", "upgrade"], env=self.env, capture_output=True, text=True, timeout=120
        )
        if proc.returncode != 0:
            raise RuntimeError(f"firebell db upgrade failed:\n{proc.stdout}\n{proc.stderr}")

    def start(self, timeout: float = 90.0) -> None:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode} while starting:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _ = _http("GET", f"{self.base}/readyz", timeout=2)
                if status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout:.0f} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly; cProfile then writes its file
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def create_token(self) -> str:
        proc = subprocess.run(
            [str(BIN / "firebell"), "token", "create", "--user", ADMIN, "--role", "admin", "--name", "bench"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"token create failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout.strip().splitlines()[-1].strip()


# --------------------------------------------------------------------------------------------
# One measured phase
# --------------------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    name: str
    path: str
    sent: int
    ok: int
    seconds: float
    latencies: list[float]
    statuses: Counter[Any]
    warm_statuses: Counter[Any]
    by_kind: Counter[Any]  # warm-up included
    samples: list[str]
    client_cpu: float
    server_cpu: float
    machine_cpu: float  # all processes, all cores, same window (includes database server processes)
    peak_rss_kb: int | None  # VmHWM at the end of the phase (reset at its start when the kernel allows)
    hwm_reset: bool
    errors: list[str]

    @property
    def other_cpu(self) -> float:
        """CPU seconds used by everything but the server and the load generator in the phase."""
        return self.machine_cpu - self.server_cpu - self.client_cpu

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        index = min(len(self.latencies) - 1, max(0, math.ceil(q / 100 * len(self.latencies)) - 1))
        return self.latencies[index] * 1000

    @property
    def max_ms(self) -> float:
        return self.latencies[-1] * 1000 if self.latencies else float("nan")

    @property
    def mean_ms(self) -> float:
        return sum(self.latencies) / len(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def non_ok(self) -> Counter[Any]:
        """Answers other than 202, and failed requests (warm-up included; unsent requests are not)."""
        return Counter({k: v for k, v in (self.statuses + self.warm_statuses).items() if k not in (202, UNSENT)})

    @property
    def unsent(self) -> int:
        return self.statuses.get(UNSENT, 0) + self.warm_statuses.get(UNSENT, 0)


def run_phase(
    name: str,
    server: Server,
    path: str,
    warm: list[tuple[bytes, str]],
    bodies: list[tuple[bytes, str]],
    conns: int,
    workers: int,
    deadline: float,
    req_timeout: float,
) -> PhaseResult:
    host = "127.0.0.1"
    warm_reqs = [(build_request(host, server.port, path, b), kind) for b, kind in warm]
    reqs = [(build_request(host, server.port, path, b), kind) for b, kind in bodies]
    ctx = mp.get_context("fork")
    workers = max(1, min(workers, conns))
    barrier = ctx.Barrier(workers + 1)
    out = ctx.Queue()
    per = [conns // workers + (1 if i < conns % workers else 0) for i in range(workers)]
    procs = [
        ctx.Process(
            target=_worker,
            args=(
                i,
                host,
                server.port,
                warm_reqs[i::workers],
                reqs[i::workers],
                per[i],
                barrier,
                deadline,
                req_timeout,
                out,
            ),
            daemon=True,
        )
        for i in range(workers)
    ]
    hwm_reset = reset_hwm(server.pid)
    for p in procs:
        p.start()
    errors: list[str] = []
    try:
        barrier.wait(timeout=max(1.0, deadline - time.monotonic()))
    except Exception as exc:  # BrokenBarrierError or timeout: a worker failed in the warm-up
        errors.append(f"warm-up did not finish: {type(exc).__name__}")
    cpu0, busy0 = proc_cpu(server.pid), machine_busy()
    results: dict[int, dict[str, Any]] = {}
    while len(results) < workers:
        try:
            wid, res = out.get(timeout=max(0.5, deadline - time.monotonic() + 10))
        except Exception:
            errors.append("load workers did not report before the hard timeout; killed")
            break
        results[wid] = res
    cpu1, busy1 = proc_cpu(server.pid), machine_busy()
    status = proc_status(server.pid)
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
            p.join(timeout=5)
    lat = array("d")
    statuses: Counter[Any] = Counter()
    warm_statuses: Counter[Any] = Counter()
    by_kind: Counter[Any] = Counter()
    samples: list[str] = []
    t0s, t1s, client_cpu = [], [], 0.0
    for res in results.values():
        if "error" in res:
            errors.append(res["error"])
            continue
        part = array("d")
        part.frombytes(res["lat"])
        lat.extend(part)
        statuses.update(res["statuses"])
        warm_statuses.update(res["warm_statuses"])
        by_kind.update(res["by_kind"])
        samples.extend(res["samples"])
        t0s.append(res["t0"])
        t1s.append(res["t1"])
        client_cpu += res["cpu"]
    seconds = (max(t1s) - min(t0s)) if t0s else 0.0
    return PhaseResult(
        name=name,
        path=path,
        sent=len(bodies),
        ok=statuses.get(202, 0),
        seconds=seconds,
        latencies=sorted(lat),
        statuses=statuses,
        warm_statuses=warm_statuses,
        by_kind=by_kind,
        samples=samples[:5],
        client_cpu=client_cpu,
        server_cpu=cpu1 - cpu0,
        machine_cpu=busy1 - busy0,
        peak_rss_kb=status.get("VmHWM"),
        hwm_reset=hwm_reset,
        errors=errors,
    )


# --------------------------------------------------------------------------------------------
# Profiling
# --------------------------------------------------------------------------------------------


def find_py_spy() -> str | None:
    candidate = BIN / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


class PySpy:
    """py-spy attached to the server for the ingest phase only: samples every thread (the
    threadpool threads doing the database work included), which cProfile cannot."""

    def __init__(self, exe: str, pid: int, out: Path, rate: int, gil: bool) -> None:
        self.out = out
        self.log = out.with_suffix(".log")
        self.gil = gil
        # --nonblocking: without it py-spy stops all ~18 threads at every sample and the server slows
        # down many times over (19 instead of ~110 events/s); the price is an occasional torn stack.
        self.cmd = [exe, "record", "--pid", str(pid), "--format", "raw", "--rate", str(rate), "--nonblocking"]
        self.cmd += ["--output", str(out), *(["--gil"] if gil else [])]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        time.sleep(1.0)  # attaching takes a moment
        if self.proc.poll() is not None:
            raise RuntimeError(f"py-spy exited at once: {self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")
# Frames every sample of a thread passes through (process start-up, thread bootstrap, the CLI):
# they would fill the cumulative table without saying anything.
_PLUMBING = (
    "threading.py",
    "typer/",
    "click/",
    "asyncio/runners.py",
    "uvicorn/main.py",
    "uvicorn/_compat.py",
    "firebell/cli/",
    "runpy.py",
    "<frozen runpy>",
)
_LOOP_CODE = ("starlette/", "fastapi/", "uvicorn/", "h11/", "anyio/", "asyncio/", "json/")
_PLUMBING_FUNCS = (
    "<module>",
    "BaseEventLoop.run_forever",
    "BaseEventLoop.run_until_complete",
    "Server.serve",
    "Server._serve",
    "Server.run",
    "main",
)


def _short_file(file: str) -> str:
    for marker in ("site-packages/", "/src/", "lib/python3.11/", "lib/python3.12/", "lib/python3.13/"):
        i = file.find(marker)
        if i >= 0:
            return file[i + len(marker) :]
    return file


def _parse_frame(frame: str) -> tuple[str, str, str]:
    """(function, short file, line)"""
    m = _FRAME.match(frame)
    if not m:
        return frame[:100], "", "?"
    file = m.group("file")
    if file.startswith("<sqlalchemy generated"):  # the "file" carries the wrapper's source code
        file = file.split(" for ", 1)[-1].split(">", 1)[0].split()[0] + " (generated)"
    return m.group("func")[:100], _short_file(file), m.group("line") or "?"


def _raw_records(path: Path) -> Iterator[tuple[str, int]]:
    """(stack, count) from py-spy's raw (collapsed) output. Some frame names span lines (SQLAlchemy's
    generated wrappers carry their source), so a record ends only at a line ending in ' <count>'."""
    pending = ""
    for line in path.read_text(errors="replace").splitlines():
        pending = f"{pending} {line}" if pending else line
        stack, _, count_text = pending.rpartition(" ")
        if stack and count_text.isdigit():
            yield stack, int(count_text)
            pending = ""


def report_py_spy(path: Path, rate: int, gil: bool, top: int = PROFILE_TOP) -> None:
    cumulative: Counter[Any] = Counter()
    own: Counter[Any] = Counter()
    sql_sites: Counter[Any] = Counter()
    threads: Counter[Any] = Counter()
    waits: Counter[Any] = Counter()
    total = idle = 0
    for stack, count in _raw_records(path):
        frames = [_parse_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        names = [fn for fn, _, _ in frames]
        if names[-1] in ("Condition.wait", "Event.wait") and (
            ("WorkerThread.run" in names and "Queue.get" in names and "QueuePool._do_get" not in names)
            or "EngineLoop._run" in names
        ):
            idle += count  # a threadpool thread waiting for work, the engine loop between ticks
            continue
        total += count
        funcs = [f"{fn} ({file})" for fn, file, _ in frames]
        for fn, key in {(fr[0], k) for fr, k in zip(frames, funcs, strict=True)}:
            if not any(p in key for p in _PLUMBING) and fn not in _PLUMBING_FUNCS:
                cumulative[key] += count
        own[f"{frames[-1][0]} ({frames[-1][1]}:{frames[-1][2]})"] += count
        files = [file for _, file, _ in frames]
        if "WorkerThread.run" in names:
            threads["threadpool threads (request work)"] += count
        elif "BaseEventLoop._run_once" in names:
            threads["event-loop thread (HTTP, routing, JSON, handing off)"] += count
        elif "EngineLoop._run" in names:
            threads["engine loop thread"] += count
        # py-spy --nonblocking sometimes reads a stack while it changes and gets only its top part:
        # attribute those by the code they show (request handlers run on the loop, the ORM in threads).
        elif any(f.startswith(_LOOP_CODE) for f in files):
            threads["event-loop thread, torn stacks"] += count
        elif any(f.startswith(("sqlalchemy/", "firebell/")) for f in files):
            threads["threadpool threads, torn stacks"] += count
        else:
            threads["other"] += count
        leaf = names[-1]
        if leaf in ("DefaultDialect.do_execute", "DefaultDialect.do_commit", "DefaultDialect.do_rollback"):
            ours = [(fn, file, ln) for fn, file, ln in frames if file.startswith("firebell/")]
            site = f"{ours[-1][0]} ({ours[-1][1]}:{ours[-1][2]})" if ours else "?"
            if leaf != "DefaultDialect.do_execute":
                site = f"{leaf.split('.')[-1]} <- {site}"
            sql_sites[site] += count
            waits["inside the DB driver (SQL execution, SQLite lock wait, commit)"] += count
        elif leaf == "Condition.wait" and "QueuePool._do_get" in names:
            waits["waiting for a pooled DB connection (QueuePool)"] += count
        elif leaf == "BaseSelectorEventLoop._write_to_self":
            waits["call_soon_threadsafe wake-up write (usually waiting for the GIL)"] += count
        elif leaf == "EpollSelector.select":
            waits["event loop in epoll (idle or waiting for the GIL)"] += count
    if not total:
        print(f"py-spy recorded no samples ({path})")
        return
    what = "the thread holding the GIL only (= Python CPU time)" if gil else "all threads not idle"
    print(
        f"\nProfile (py-spy {'--gil' if gil else ''}, ingest phase incl. warm-up; samples of {what}): "
        f"{total} samples at {rate} Hz = {total / rate:.1f} thread-seconds (idle threadpool/engine threads left "
        f"out: {idle / rate:.1f} s); raw stacks in {path}"
    )
    print("Samples by thread:")
    for name, count in threads.most_common():
        print(f"  {100 * count / total:6.1f}%  {count / rate:7.2f} s  {name}")
    print(
        f"Top {top} functions by cumulative time (% of samples; self = in the function itself; "
        "start-up/bootstrap frames omitted):"
    )
    print(f"  {'cum %':>6} {'cum s':>7} {'self %':>6}  function")
    own_by_func: Counter[Any] = Counter()
    for key, count in own.items():
        own_by_func[re.sub(r":(\d+|\?)\)$", ")", key)] += count
    for key, count in cumulative.most_common(top):
        print(f"  {100 * count / total:6.1f} {count / rate:7.2f} {100 * own_by_func[key] / total:6.1f}  {key}")
    print("Top 15 lines by self time:")
    for key, count in own.most_common(15):
        print(f"  {100 * count / total:6.1f} {count / rate:7.2f}  {key}")
    if sql_sites:
        print("Time inside the DB driver, by the Firebell line that issued the statement:")
        for key, count in sql_sites.most_common(12):
            print(f"  {100 * count / total:6.1f} {count / rate:7.2f}  {key}")
    if waits:
        print("Where samples end (leaf classes):")
        for key, count in waits.most_common():
            print(f"  {100 * count / total:6.1f} {count / rate:7.2f}  {key}")


def report_cprofile(path: Path, top: int = PROFILE_TOP) -> None:
    import pstats

    if not path.exists():
        print(f"cProfile wrote no profile ({path}); the server did not exit cleanly")
        return
    print(
        "\nProfile (cProfile: the server's MAIN THREAD only, i.e. the event loop; work done in "
        "threadpool threads, where the database calls run, is NOT included):"
    )
    pstats.Stats(str(path)).strip_dirs().sort_stats("cumulative").print_stats(top)


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------


def verify_api(server: Server, token: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    status, alerts = _http("GET", f"{server.base}/api/v1/alerts?limit=500&service={SERVICE}", token)
    if status != 200:
        out["alerts_error"] = f"GET /api/v1/alerts -> {status}: {str(alerts)[:200]}"
    else:
        out["alerts_page"] = len(alerts)
        out["alerts_page_status"] = Counter(a["status"] for a in alerts)
        out["alerts_page_with_incident"] = sum(1 for a in alerts if a.get("incident"))
    incidents: Counter[Any] = Counter()
    cursor, pages = None, 0
    while pages < 200:
        url = f"{server.base}/api/v1/incidents?limit=200&service={SERVICE}"
        if cursor:
            url += f"&cursor={cursor}"
        status, page = _http("GET", url, token, timeout=30)
        if status != 200:
            out["incidents_error"] = f"GET /api/v1/incidents -> {status}: {str(page)[:200]}"
            break
        incidents.update(i["status"] for i in page["items"])
        pages += 1
        cursor = page.get("next_cursor")
        if not cursor:
            break
    out["incidents"] = incidents
    return out


def verify_db(url: str, since: datetime) -> dict[str, Any]:
    """Counts and invariants straight from the database (rows written since `since`)."""
    from sqlalchemy import func, select

    from firebell.alerts.models import Alert, AlertEvent
    from firebell.incidents.models import Incident, TimelineEvent
    from firebell.store.db import make_engine
    from firebell.store.uow import Database

    db = Database(make_engine(url))
    out: dict[str, Any] = {}
    try:
        with db.unit_of_work(write=False) as s:
            def count_by(column: Any, *where: Any) -> Counter[Any]:
                return Counter(dict(s.execute(select(column, func.count()).where(*where).group_by(column)).all()))

            out["alerts"] = count_by(Alert.status, Alert.last_seen_at >= since)
            out["alert_events"] = count_by(AlertEvent.action, AlertEvent.received_at >= since)
            out["incidents"] = count_by(Incident.status, Incident.declared_at >= since, Incident.source == "alert")
            out["timeline"] = count_by(TimelineEvent.type, TimelineEvent.recorded_at >= since)
            # Invariants of the ingestion model at rest (all requests answered):
            out["groups_with_2+_open_incidents"] = len(
                s.execute(
                    select(Incident.group_key)
                    .where(Incident.status != "resolved", Incident.source == "alert", Incident.declared_at >= since)
                    .group_by(Incident.origin_service_id, Incident.group_key)
                    .having(func.count() > 1)
                ).all()
            )
            resolved = select(Incident.id).where(Incident.status == "resolved")
            out["open_alerts_in_resolved_incident"] = s.execute(
                select(func.count())
                .select_from(Alert)
                .where(Alert.status != "resolved", Alert.incident_id.in_(resolved), Alert.last_seen_at >= since)
            ).scalar_one()
            out["open_alerts_without_incident"] = s.execute(
                select(func.count())
                .select_from(Alert)
                .where(Alert.status != "resolved", Alert.incident_id.is_(None), Alert.last_seen_at >= since)
            ).scalar_one()
            has_open_alert = (
                select(Alert.id).where(Alert.incident_id == Incident.id, Alert.status != "resolved").exists()
            )
            out["open_incidents_without_open_alert"] = s.execute(
                select(func.count())
                .select_from(Incident)
                .where(
                    Incident.status != "resolved",
                    Incident.source == "alert",
                    Incident.declared_at >= since,
                    ~has_open_alert,
                )
            ).scalar_one()
    finally:
        db.dispose()
    return out


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _fmt_counter(c: Counter[Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))) or "none"


def print_results(
    backend: str,
    noop: PhaseResult | None,
    ingest: PhaseResult,
    args: argparse.Namespace,
    startup_rss: dict[str, int],
    overall_hwm_kb: int | None,
    server_note: str = "",
) -> dict[str, Any]:
    def mb(kb: int | None) -> str:
        return f"{kb / 1024:.1f}" if kb else "n/a"

    rows: list[tuple[str, Callable[[PhaseResult], str]]] = [
        ("requests measured", lambda p: f"{len(p.latencies)}/{p.sent}"),
        ("answered 202", lambda p: f"{p.ok}"),
        ("wall time (s)", lambda p: f"{p.seconds:.2f}"),
        ("events/s", lambda p: f"{p.rate:,.0f}"),
        ("latency p50 (ms)", lambda p: f"{p.pct(50):.2f}"),
        ("latency p90 (ms)", lambda p: f"{p.pct(90):.2f}"),
        ("latency p99 (ms)", lambda p: f"{p.pct(99):.2f}"),
        ("latency max (ms)", lambda p: f"{p.max_ms:.2f}"),
        ("latency mean (ms)", lambda p: f"{p.mean_ms:.2f}"),
        ("server peak RSS (MB)", lambda p: mb(p.peak_rss_kb)),
        ("server CPU (% of 1 core)", lambda p: f"{100 * p.server_cpu / p.seconds:.0f}" if p.seconds else "n/a"),
        ("client CPU (% of 1 core)", lambda p: f"{100 * p.client_cpu / p.seconds:.0f}" if p.seconds else "n/a"),
        (
            f"other CPU (% of {os.cpu_count()} cores)",  # everything else: the DB server, other jobs
            lambda p: f"{max(0.0, 100 * p.other_cpu / p.seconds / (os.cpu_count() or 1)):.0f}" if p.seconds else "n/a",
        ),
        ("non-202 answers", lambda p: _fmt_counter(p.non_ok)),
    ]
    phases = [p for p in (noop, ingest) if p is not None]
    print(
        f"\nFirebell ingestion benchmark: db={backend}, {args.events} events over {args.keys} dedup keys "
        f"({args.group_size} keys per incident group), server with {args.server_workers} HTTP worker process(es), "
        f"{args.concurrency} connections in {args.workers} client "
        f"processes, warm-up {args.warmup} requests per phase; phases run one after the other "
        f"(noop, then ingest); {server_note}"
    )
    header = f"  {'':28}" + "".join(f"{p.name + ' ' + p.path:>26}" for p in phases)
    print(header)
    print("  " + "-" * (len(header) - 2))
    for label, fn in rows:
        print(f"  {label:28}" + "".join(f"{fn(p):>26}" for p in phases))
    print(
        f"  server RSS after start-up: {mb(startup_rss.get('VmRSS'))} MB; "
        f"process high-water mark at the end (VmHWM): {mb(overall_hwm_kb)} MB"
    )
    ratio = ingest.rate / noop.rate if noop and noop.rate else float("nan")
    p99_ratio = ingest.pct(99) / noop.pct(99) if noop and noop.latencies else float("nan")
    if noop:
        print(f"  ratio ingest/noop: throughput {ratio:.2f}x, p99 latency {p99_ratio:.1f}x")
    rate_target, p99_target = TARGETS.get(backend, (None, None))
    verdict = "n/a"
    if rate_target is not None:
        ok_rate = ingest.rate >= rate_target
        ok_p99 = p99_target is None or ingest.pct(99) <= p99_target
        clean = not ingest.non_ok and not ingest.errors and ingest.ok == ingest.sent
        complete = ingest.unsent == 0
        verdict = "PASS" if ok_rate and ok_p99 and clean else "MISS"
        print(f"\nTargets ({backend}):")
        print(f"  events/s >= {rate_target:,.0f}: {ingest.rate:,.0f}  {'PASS' if ok_rate else 'MISS'}")
        if p99_target is not None:
            print(f"  p99 <= {p99_target:.0f} ms: {ingest.pct(99):.1f} ms  {'PASS' if ok_p99 else 'MISS'}")
        print(
            f"  every request answered 202: {'PASS' if clean else 'MISS'}"
            + ("" if complete else f" ({ingest.unsent} not sent before the hard timeout, --max-seconds)")
        )
    for p in phases:
        for e in p.errors:
            print(f"  ! {p.name}: {e}")
        for s in p.samples:
            print(f"  ! {p.name} sample answer {s}")
    return {"ratio": ratio, "p99_ratio": p99_ratio, "verdict": verdict}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Firebell alert-ingestion benchmark (see bench/README.md)")
    ap.add_argument(
        "--db",
        default="sqlite",
        help="sqlite (temp file, default), postgres (throwaway cluster via tests/pgcluster.py), "
        "or a SQLAlchemy URL of a THROWAWAY database (the bench config is applied to it)",
    )
    ap.add_argument("-n", "--events", type=int, default=20_000, help="measured events per phase (20000)")
    ap.add_argument("-k", "--keys", type=int, default=200, help="distinct dedup keys (200)")
    ap.add_argument("-c", "--concurrency", type=int, default=16, help="concurrent keep-alive connections (16)")
    ap.add_argument("--workers", type=int, default=2, help="client processes the connections are spread over (2)")
    ap.add_argument("--server-workers", type=int, default=1,
                    help="HTTP worker processes of the server (`serve --workers`; 1)")
    ap.add_argument("--warmup", type=int, default=500, help="unmeasured requests before each phase (500)")
    ap.add_argument(
        "--group-size",
        type=int,
        default=2,
        help="dedup keys per incident group (2): a new alert joins its group's open incident",
    )
    ap.add_argument("--resolve-share", type=float, default=0.2, help="share of resolve events (0.2)")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the event mix")
    ap.add_argument("--no-noop", action="store_true", help="skip the /v2/noop baseline phase")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="org config the server applies")
    ap.add_argument(
        "--access-log",
        choices=("auto", "on", "off"),
        default="auto",
        help="uvicorn's per-request access log (always written to the server log file, never the terminal). "
        "auto (default): off when `serve` has --log-level (then --log-level warning), else on as shipped; "
        "on: --log-level info; off: --log-level warning, or a launcher patch where --log-level is missing",
    )
    ap.add_argument("--profile", action="store_true", help="profile the server during the ingest phase")
    ap.add_argument(
        "--profiler",
        choices=("auto", "py-spy", "cprofile"),
        default="auto",
        help="auto: py-spy if installed, else cProfile (main thread only)",
    )
    ap.add_argument(
        "--profile-gil",
        action="store_true",
        help="py-spy --gil: sample only the thread holding the GIL, i.e. where Python CPU time goes",
    )
    ap.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second (100)")
    ap.add_argument("--request-timeout", type=float, default=30.0, help="per-request timeout, s (30)")
    ap.add_argument(
        "--max-seconds",
        type=float,
        default=150.0,
        help="hard limit for start-up and the load phases together; requests not sent by then are "
        "reported, in-flight ones are awaited (150)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (database, server log, profile)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="firebell-bench-"))
    cluster = None
    server: Server | None = None
    spy: PySpy | None = None
    profiler = None
    if args.profile:
        profiler = "py-spy" if args.profiler == "auto" and find_py_spy() else args.profiler
        if profiler == "auto":
            profiler = "cprofile"
        if profiler == "py-spy" and not find_py_spy():
            print("py-spy is not installed (.venv/bin/pip install py-spy); use --profiler cprofile", file=sys.stderr)
            return 2
    try:
        if args.db == "sqlite":
            url = f"sqlite:///{workdir / 'firebell.db'}"
        elif args.db in ("postgres", "postgresql", "pg"):
            sys.path.insert(0, str(ROOT))
            from tests.pgcluster import start_cluster

            print("starting a throwaway PostgreSQL cluster (tests/pgcluster.py) ...", flush=True)
            cluster = start_cluster()
            url = cluster.url()
        else:
            url = args.db
        from sqlalchemy.engine import make_url

        backend = make_url(url).get_backend_name()
        server = Server(url, args.config.resolve(), workdir, access_log=args.access_log, profiler=profiler,
                        server_workers=args.server_workers)
        server.upgrade()
        server.start()
        token = server.create_token()
        startup_rss = proc_status(server.pid)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run", flush=True)
        print(
            f"server pid {server.pid} on {server.base}, db={backend}, log {server.log_path}; {server.logging_note}",
            flush=True,
        )

        run_id = uuid.uuid4().hex[:8]
        deadline = time.monotonic() + args.max_seconds - (time.monotonic() - started)
        bodies, kinds = make_events(args.events, args.keys, args.group_size, args.seed, run_id, "m", args.resolve_share)
        warm, warm_kinds = make_events(
            args.warmup, args.keys, args.group_size, args.seed + 1000, run_id, "w", args.resolve_share
        )
        noop = None
        if not args.no_noop:
            # The noop phase is cheaper; give it at most a third of the remaining time.
            noop_deadline = time.monotonic() + (deadline - time.monotonic()) / 3
            print(f"noop phase: {args.warmup} warm-up + {args.events} requests to /v2/noop ...", flush=True)
            noop = run_phase(
                "noop",
                server,
                "/v2/noop",
                warm,
                bodies,
                args.concurrency,
                args.workers,
                noop_deadline,
                args.request_timeout,
            )
        since = datetime.now(UTC)
        if profiler == "py-spy":
            spy = PySpy(
                find_py_spy() or "py-spy", server.pid, workdir / "ingest.pyspy.txt", args.profile_rate, args.profile_gil
            )
            spy.start()
        print(
            f"ingest phase: {args.warmup} warm-up + {args.events} events to /v2/enqueue "
            f"({kinds['trigger']} triggers, {kinds['resolve']} resolves) ...",
            flush=True,
        )
        ingest = run_phase(
            "ingest",
            server,
            "/v2/enqueue",
            warm,
            bodies,
            args.concurrency,
            args.workers,
            deadline,
            args.request_timeout,
        )
        if spy is not None:
            spy.stop()
        overall_hwm = proc_status(server.pid).get("VmHWM")
        if noop is not None and noop.peak_rss_kb:
            overall_hwm = max(overall_hwm or 0, noop.peak_rss_kb, startup_rss.get("VmHWM", 0))
        summary = print_results(backend, noop, ingest, args, startup_rss, overall_hwm, server.logging_note)

        # Verification: through the API, then straight from the database.
        api = verify_api(server, token)
        dbv = verify_db(url, since)
        bk = ingest.by_kind
        sent_triggers = sum(v for k, v in bk.items() if k.startswith("trigger "))
        print("\nVerification (ingest phase, warm-up included):")
        print(
            f"  generated: {kinds['trigger'] + warm_kinds['trigger']} triggers + "
            f"{kinds['resolve'] + warm_kinds['resolve']} resolves; answered: {_fmt_counter(bk)}; "
            f"not sent (hard timeout): {ingest.unsent}; failed or non-202: {_fmt_counter(ingest.non_ok)}"
        )
        if "alerts_error" in api:
            print(f"  API: {api['alerts_error']}")
        else:
            print(
                f"  API GET /api/v1/alerts?limit=500: {api['alerts_page']} alerts on the page "
                f"({_fmt_counter(api['alerts_page_status'])}; {api['alerts_page_with_incident']} attached to "
                "an incident)"
            )
        if "incidents_error" in api:
            print(f"  API: {api['incidents_error']}")
        print(
            f"  API GET /api/v1/incidents (all pages): {sum(api['incidents'].values())} incidents "
            f"({_fmt_counter(api['incidents'])})"
        )
        ev = dbv["alert_events"]
        print(f"  DB alerts: {sum(dbv['alerts'].values())} ({_fmt_counter(dbv['alerts'])})")
        print(
            f"  DB alert history: {sum(ev.values())} rows ({_fmt_counter(ev)}); "
            f"resolves dropped (no open alert for the key, PagerDuty semantics): "
            f"{bk.get('resolve 202', 0) - ev.get('resolve', 0)}"
        )
        print(f"  DB incidents opened by alerts: {sum(dbv['incidents'].values())} ({_fmt_counter(dbv['incidents'])})")
        tl = dbv["timeline"]
        print(f"  DB timeline: {sum(tl.values())} events ({_fmt_counter(tl)})")
        checks = [
            (
                "every accepted trigger has a history row",
                ev.get("trigger", 0) == bk.get("trigger 202", 0) if sent_triggers == bk.get("trigger 202", 0) else None,
                f"{ev.get('trigger', 0)} rows for {bk.get('trigger 202', 0)} triggers answered 202",
            ),
            ("no event taken as a duplicate", ev.get("duplicate", 0) == 0, f"{ev.get('duplicate', 0)}"),
            (
                "API incident count = DB count",
                sum(api["incidents"].values()) == sum(dbv["incidents"].values())
                if args.db in ("sqlite", "postgres", "postgresql", "pg")
                else None,
                f"{sum(api['incidents'].values())} vs {sum(dbv['incidents'].values())}",
            ),
            (
                "at most one open incident per group",
                dbv["groups_with_2+_open_incidents"] == 0,
                f"{dbv['groups_with_2+_open_incidents']} groups with 2+",
            ),
            (
                "no open alert in a resolved incident",
                dbv["open_alerts_in_resolved_incident"] == 0,
                f"{dbv['open_alerts_in_resolved_incident']}",
            ),
            (
                "every open (paging) alert has an incident",
                dbv["open_alerts_without_incident"] == 0,
                f"{dbv['open_alerts_without_incident']}",
            ),
            (
                "no open incident without an open alert",
                dbv["open_incidents_without_open_alert"] == 0,
                f"{dbv['open_incidents_without_open_alert']}",
            ),
        ]
        failed = 0
        for label, ok, detail in checks:
            mark = "ok" if ok else ("skip" if ok is None else "FAIL")
            failed += ok is False
            print(f"  [{mark:4}] {label}: {detail}")

        if profiler == "py-spy" and spy is not None:
            report_py_spy(spy.out, args.profile_rate, args.profile_gil)
        n = ingest
        print(
            f"\nRESULT db={backend} events/s={n.rate:.0f} p50_ms={n.pct(50):.2f} p99_ms={n.pct(99):.2f} "
            f"max_ms={n.max_ms:.2f} peak_rss_mb={(overall_hwm or 0) / 1024:.1f} "
            f"noop_events/s={noop.rate if noop else float('nan'):.0f} ratio={summary['ratio']:.2f} "
            f"p99_ratio={summary['p99_ratio']:.2f} errors={sum(n.non_ok.values())} unsent={n.unsent} "
            f"checks_failed={failed} "
            f"target={summary['verdict']}",
            flush=True,
        )
        if profiler == "cprofile":
            server.stop()
            report_cprofile(server.cprofile_out)
        return 0 if summary["verdict"] != "MISS" and not failed else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if server is not None:
            print(f"--- server log tail ({server.log_path}) ---\n{server.log_tail()}", file=sys.stderr)
        return 2
    finally:
        if spy is not None:
            spy.stop()
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
