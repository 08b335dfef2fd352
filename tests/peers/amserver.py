"""Helpers for the peer tests: a real `firebell serve` process and a real Prometheus Alertmanager.

Both run on free loopback ports with their own storage, log to files (a full pipe would stall the
process) and are killed when the `with` block ends. Nothing here depends on a system service.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.conftest import child_env
from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
ORG = ROOT / "tests" / "fixtures" / "org.yaml"
FIREBELL = [sys.executable, "-m", "firebell.cli"]

# Keys from tests/fixtures/org.yaml.
API_AM_KEY = "amapikey0000000000000000000000aa"
API_PD_KEY = "pdapikey0000000000000000000000aa"
DB_AM_KEY = "amdbkey00000000000000000000000aa"
DB_PD_KEY = "pddbkey00000000000000000000000aa"

START_TIMEOUT_S = 30.0
POLL_TIMEOUT_S = 30.0
T = TypeVar("T")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            state = f"exited with {proc.returncode}" if proc.poll() is not None else "timed out"
            raise RuntimeError(f"{what} did not become ready ({state}):\n{_tail(log)}")
        time.sleep(0.1)


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = POLL_TIMEOUT_S,
             on_timeout: Callable[[], str] | None = None) -> T:
    """Call `probe` until it returns something other than None (or False); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            extra = on_timeout() if on_timeout else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{extra}")
        time.sleep(0.2)


# --------------------------------------------------------------------------- Firebell


from tests.conftest import fresh_database  # noqa: E402,F401  (re-exported for the peer tests)


@dataclass
class Firebell:
    url: str
    env: dict[str, str]
    log: Path
    token: str = ""

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*FIREBELL, *args], env=self.env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"firebell {' '.join(args)}: {proc.stdout}\n{proc.stderr}"
        return proc

    def api(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10,
                             headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def alerts(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.api("/api/v1/alerts", limit=500, **params))

    def alert(self, alert_id: str) -> dict[str, Any]:
        return dict(self.api(f"/api/v1/alerts/{alert_id}"))

    def incident(self, ref: str) -> dict[str, Any]:
        return dict(self.api(f"/api/v1/incidents/{ref}"))

    def timeline(self, ref: str) -> list[dict[str, Any]]:
        return list(self.api(f"/api/v1/incidents/{ref}/timeline")["events"])

    def log_tail(self) -> str:
        return f"--- firebell log ---\n{_tail(self.log)}"


@contextmanager
def run_firebell(database_url: str, workdir: Path) -> Iterator[Firebell]:
    """Migrate, then serve tests/fixtures/org.yaml on a free loopback port, with an admin token."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = child_env()
    env |= {"FIREBELL_DATABASE_URL": database_url, "XDG_CONFIG_HOME": str(workdir / "xdg"),
            "FIREBELL_URL": f"http://127.0.0.1:{port}", "COLUMNS": "200", "NO_COLOR": "1"}
    fb = Firebell(url=f"http://127.0.0.1:{port}", env=env, log=workdir / "firebell.log")
    fb.cli("db", "upgrade")
    with fb.log.open("wb") as log:
        server = subprocess.Popen([*FIREBELL, "serve", "--port", str(port), "--config", str(ORG)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_ready(f"{fb.url}/readyz", server, fb.log, "firebell serve")
        fb.token = fb.cli("token", "create", "--user", "admin", "--role", "admin").stdout.strip().splitlines()[-1]
        yield fb
    finally:
        _stop(server)


# --------------------------------------------------------------------------- Alertmanager


def find_alertmanager() -> str | None:
    """Debian installs the binary as prometheus-alertmanager; upstream tarballs call it alertmanager."""
    for name in ("prometheus-alertmanager", "alertmanager"):
        found = shutil.which(name)
        if found:
            return found
    return None


# Each child route matches one value of the `receiver_kind` label; `group_by: [alertname]`, so the
# Alertmanager group key of an alert is  {}/{receiver_kind="<kind>"}:{alertname="<name>"}.
RECEIVERS = {
    "webhook": "firebell-webhook",  # webhook with the key in the URL
    "bearer": "firebell-bearer",  # webhook with the key as a bearer token
    "pd": "firebell-pd",  # pagerduty_configs (Events API v2) pointed at /v2/enqueue
}

AM_CONFIG = """\
global:
  resolve_timeout: 1m
route:
  receiver: blackhole
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: firebell-webhook
      matchers: ['receiver_kind="webhook"']
    - receiver: firebell-bearer
      matchers: ['receiver_kind="bearer"']
    - receiver: firebell-pd
      matchers: ['receiver_kind="pd"']
receivers:
  - name: blackhole
  - name: firebell-webhook
    webhook_configs:
      - url: "{fb}/integrations/alertmanager/{am_key}"
        send_resolved: true
        max_alerts: 0
  - name: firebell-bearer
    webhook_configs:
      - url: "{fb}/integrations/alertmanager"
        send_resolved: true
        http_config:
          authorization: {{type: Bearer, credentials: "{am_key}"}}
  - name: firebell-pd
    pagerduty_configs:
      - routing_key: "{pd_key}"
        url: "{fb}/v2/enqueue"
        severity: '{{{{ .CommonLabels.severity }}}}'
        send_resolved: true
"""


def group_key(kind: str, alertname: str) -> str:
    return f'{{}}/{{receiver_kind="{kind}"}}:{{alertname="{alertname}"}}'


def pd_dedup_key(kind: str, alertname: str) -> str:
    """What Alertmanager sends as dedup_key: the SHA-256 of the group key, as lowercase hex."""
    return hashlib.sha256(group_key(kind, alertname).encode()).hexdigest()


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Alertmanager:
    url: str
    log: Path
    version: str

    def post(self, alerts: list[dict[str, Any]]) -> None:
        response = httpx.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10)
        assert response.status_code == 200, f"Alertmanager refused the alerts: {response.status_code} {response.text}"

    def fire(self, *labelsets: dict[str, str], starts_at: datetime, summary: str = "") -> None:
        self.post([_am_alert(labels, starts_at, None, summary) for labels in labelsets])

    def resolve(self, *labelsets: dict[str, str], starts_at: datetime, summary: str = "") -> None:
        ended = datetime.now(UTC) - timedelta(seconds=1)
        self.post([_am_alert(labels, starts_at, ended, summary) for labels in labelsets])

    def log_tail(self) -> str:
        return f"--- alertmanager log ---\n{_tail(self.log)}"


def _am_alert(labels: dict[str, str], starts_at: datetime, ends_at: datetime | None, summary: str) -> dict[str, Any]:
    alert: dict[str, Any] = {"labels": labels, "annotations": {"summary": summary} if summary else {},
                             "startsAt": _rfc3339(starts_at), "generatorURL": "http://prometheus.invalid/graph"}
    if ends_at is not None:
        alert["endsAt"] = _rfc3339(ends_at)
    return alert


def alertmanager_version(binary: str) -> str:
    proc = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    first = (proc.stdout or proc.stderr).strip().splitlines()
    return first[0] if first else "unknown"


@contextmanager
def run_alertmanager(binary: str, firebell_url: str, workdir: Path) -> Iterator[Alertmanager]:
    """Alertmanager on its own loopback port, storage and config; clustering off."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "alertmanager.yml"
    config.write_text(AM_CONFIG.format(fb=firebell_url, am_key=API_AM_KEY, pd_key=API_PD_KEY))
    storage = workdir / "data"
    storage.mkdir(exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "alertmanager.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.path={storage}", f"--web.listen-address=127.0.0.1:{port}",
             f"--web.external-url={url}", "--cluster.listen-address=", "--log.level=debug"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
    try:
        _wait_ready(f"{url}/-/ready", proc, log_path, "alertmanager")
        yield Alertmanager(url=url, log=log_path, version=alertmanager_version(binary))
    finally:
        _stop(proc)
