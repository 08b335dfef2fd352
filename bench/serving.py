"""What the benchmarks that drive a real `firebell serve` share (bench/ingest.py, bench/storm.py): the
server as a subprocess on a database of choice, a minimal HTTP/1.1 client on asyncio streams, and
the server's CPU and memory read from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _bin_dir() -> Path:
    here = Path(sys.executable).parent
    return here if (here / "firebell").exists() else ROOT / ".venv" / "bin"


BIN = _bin_dir()
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable


class ServerClosed(Exception):
    """The server closed the connection (or asked to)."""


def build_request(host: str, port: int, path: str, body: bytes = b"", *, method: str = "POST",
                  token: str | None = None) -> bytes:
    """The bytes of one HTTP/1.1 request (keep-alive): a JSON body for POST, a bearer token if given."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    content = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if method == "POST" else ""
    return f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}{content}\r\n".encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server wants to close). Minimal: status line, headers, Content-Length or chunked."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise ServerClosed from exc
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


def http_json(method: str, url: str, token: str | None = None, timeout: float = 10.0) -> tuple[int, Any]:
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
    """`firebell serve` in a subprocess, logging to a file. With `server_src` (another checkout's
    src/, e.g. a git worktree of an older commit) the server, its migrations and the token command
    run that code: it goes first on their PYTHONPATH, ahead of this checkout's editable install."""

    def __init__(self, url: str, config: Path, workdir: Path, access_log: str, profiler: str | None,
                 server_workers: int = 1, server_src: Path | None = None) -> None:
        self.url, self.config, self.workdir = url, config, workdir
        self.server_workers = server_workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.profiler = profiler
        self.cprofile_out = workdir / "server.prof"
        # FIREBELL_BENCHMARK_ROUTES: the server registers the /v2/noop baseline only when asked.
        self.env = os.environ | {"FIREBELL_DATABASE_URL": url, "PYTHONUNBUFFERED": "1",
                                 "FIREBELL_BENCHMARK_ROUTES": "1"}
        # A PostgreSQL server needs its secret from the environment (SQLite makes a key file).
        self.env.setdefault("FIREBELL_SECRET_KEY", "bench-server-secret-" + uuid.uuid4().hex)
        if server_src is not None:
            self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(server_src), os.environ.get("PYTHONPATH")]))
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

    def _has_log_level(self) -> bool:
        """Whether this Firebell's `serve` has --log-level (it had none when this benchmark was first
        written: uvicorn then logs every request at info level)."""
        try:
            helptext = subprocess.run(
                [str(BIN / "firebell"), "serve", "--help"],
                capture_output=True,
                text=True,
                timeout=30,
                env=self.env | {"COLUMNS": "200"},
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
        log = self.log_path.open("ab")  # a restart appends
        self.proc = subprocess.Popen(
            self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode} while starting:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _ = http_json("GET", f"{self.base}/readyz", timeout=2)
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

    def source(self) -> str:
        """Where the server's `firebell` package is imported from."""
        proc = subprocess.run([PYTHON, "-c", "import firebell; print(firebell.__file__)"], env=self.env,
                              capture_output=True, text=True, timeout=60)
        return str(Path(proc.stdout.strip()).parent) if proc.returncode == 0 else f"? ({proc.stderr.strip()})"

    def create_token(self, user: str = "admin") -> str:
        proc = subprocess.run(
            [str(BIN / "firebell"), "token", "create", "--user", user, "--role", "admin", "--name", "bench"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"token create failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout.strip().splitlines()[-1].strip()


def open_database(db: str, workdir: Path) -> tuple[str, Any]:
    """(SQLAlchemy URL, throwaway cluster or None) for `--db`: sqlite (a file in `workdir`), postgres
    (a throwaway cluster from tests/pgcluster.py; the caller stops it) or any URL, used as given."""
    if db == "sqlite":
        return f"sqlite:///{workdir / 'firebell.db'}", None
    if db in ("postgres", "postgresql", "pg"):
        sys.path.insert(0, str(ROOT))
        from tests.pgcluster import start_cluster

        print("starting a throwaway PostgreSQL cluster (tests/pgcluster.py) ...", flush=True)
        cluster = start_cluster()
        return cluster.url(), cluster
    return db, None


def drop_workdir(workdir: Path, *, keep: bool) -> None:
    """Remove the benchmark's temp dir, or say where it was kept (`--keep`)."""
    if keep:
        print(f"kept {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
