"""The `firebell` command end to end: a real server process, real HTTP, the CLI as a user runs it."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import child_env
from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
ORG = ROOT / "tests" / "fixtures" / "org.yaml"
FIREBELL = [sys.executable, "-m", "firebell.cli"]
pytestmark = pytest.mark.live
# CI time: the CLI speaks HTTP to the server, so what these check does not depend on the store; the
# API behind them is tested on both, and so are several worker processes sharing one database (here).
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Live:
    url: str
    env: dict[str, str]
    log: Path  # what the server wrote to stdout and stderr

    def run(self, *args: str, token: str | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if token is not None:
            env["FIREBELL_TOKEN"] = token
        proc = subprocess.run([*FIREBELL, *args], env=env, capture_output=True, text=True, timeout=60)
        if ok:
            assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
        return proc

    def token(self, user: str, role: str) -> str:
        out = self.run("token", "create", "--user", user, "--role", role).stdout.strip().splitlines()
        return out[-1]


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[Live]:
    with serving(database_url, tmp_path) as server:
        yield server


@contextlib.contextmanager
def serving(database_url: str, tmp_path: Path, *serve_args: str, extra_env: dict[str, str] | None = None
            ) -> Iterator[Live]:
    port = free_port()
    env = child_env() | (extra_env or {})
    env |= {"FIREBELL_DATABASE_URL": database_url, "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "FIREBELL_URL": f"http://127.0.0.1:{port}", "FIREBELL_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "COLUMNS": "200", "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "server.log"
    with log.open("w") as sink:  # a file, not a pipe nobody reads: a pipe fills up and blocks the server
        server = subprocess.Popen([*FIREBELL, "serve", "--port", str(port), "--config", str(ORG), *serve_args],
                                  env=env, stdout=sink, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text()}")
            time.sleep(0.1)
        yield Live(url=f"http://127.0.0.1:{port}", env=env, log=log)
    finally:
        server.terminate()
        server.wait(timeout=10)


@ON_SQLITE
def test_responder_works_an_incident_from_the_command_line(live: Live) -> None:
    alice = live.token("alice", "responder")
    declared = live.run("incident", "declare", "Checkout 5xx above 5%", "--severity", "P1", "--service", "api",
                        "--tag", "payments", token=alice)
    assert "Declared INC-1 (P1): Checkout 5xx above 5%" in declared.stdout

    listing = live.run("incident", "list", token=alice).stdout
    assert "INC-1" in listing and "triggered" in listing and "Checkout 5xx" in listing

    assert "INC-1 acknowledged" in live.run("incident", "ack", "INC-1", token=alice).stdout
    live.run("incident", "role", "INC-1", "commander", "alice", token=alice)
    live.run("incident", "stage", "INC-1", "contain", token=alice)
    live.run("incident", "note", "INC-1", "rolled back release 42", token=alice)
    live.run("incident", "update", "INC-1", "Mitigated, monitoring", "--status", "Monitoring", token=alice)
    assert "now P2" in live.run("incident", "severity", "INC-1", "P2", "--reason", "EU only", token=alice).stdout
    assert "Next update" in live.run("incident", "show", "INC-1", token=alice).stdout  # P2: every 30 minutes
    live.run("incident", "resolve", "INC-1", "-m", "rollback fixed it", token=alice)

    shown = live.run("incident", "show", "INC-1", token=alice).stdout
    for text in ("RESOLVED", "commander: alice", "rolled back release 42", "severity_changed", "P1 -> P2",
                 "Alice Andersson via cli", "Ack SLA", "met with"):
        assert text in shown, text

    as_json = json.loads(live.run("incident", "show", "INC-1", "--json", token=alice).stdout)
    assert as_json["incident"]["status"] == "resolved"
    assert [e["type"] for e in as_json["timeline"]][:3] == ["declared", "acknowledged", "stage_changed"]


@ON_SQLITE
def test_errors_are_one_line_with_non_zero_exit(live: Live) -> None:
    alice = live.token("alice", "responder")
    live.run("incident", "declare", "x", "--severity", "P3", "--service", "api", token=alice)
    live.run("incident", "resolve", "INC-1", token=alice)
    again = live.run("incident", "resolve", "INC-1", token=alice, ok=False)
    assert again.returncode == 1
    assert again.stderr.strip() == "error: INC-1 is already resolved (HTTP 409)"
    missing = live.run("incident", "show", "INC-42", token=alice, ok=False)
    assert missing.returncode == 1 and "incident INC-42 not found (HTTP 404)" in missing.stderr
    bad_token = live.run("incident", "list", token="fb_nope", ok=False)
    assert bad_token.returncode == 1 and "HTTP 401" in bad_token.stderr
    env_down = dict(live.env, FIREBELL_URL="http://127.0.0.1:9")
    down = subprocess.run([*FIREBELL, "incident", "list"], env=env_down | {"FIREBELL_TOKEN": alice},
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 3 and "cannot reach Firebell" in down.stderr and "Traceback" not in down.stderr


@ON_SQLITE
def test_login_assess_and_scripting(live: Live) -> None:
    vera = live.token("vera", "viewer")
    env = {k: v for k, v in live.env.items() if k != "FIREBELL_URL"}
    login = subprocess.run([*FIREBELL, "login", "--url", live.url, "--token", vera], env=env,
                           capture_output=True, text=True, timeout=60)
    assert login.returncode == 0 and "as vera (viewer)" in login.stdout
    # Later commands use the saved login with no environment variables at all.
    assessed = subprocess.run([*FIREBELL, "severity", "assess", "--error-rate", "12", "--latency-multiple", "3",
                               "--users-affected", "30", "--json"], env=env, capture_output=True, text=True,
                              timeout=60)
    assert assessed.returncode == 0, assessed.stderr
    result = json.loads(assessed.stdout)
    assert result["severity"] == "P2"
    assert {m["name"] for m in result["matched"]} == {"error-rate-high", "latency-degraded", "users-many"}
    denied = subprocess.run([*FIREBELL, "incident", "declare", "x", "--severity", "P1", "--service", "api"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert denied.returncode == 1 and "HTTP 403" in denied.stderr


def test_several_worker_processes_share_one_database_without_losing_or_doubling_an_alert(
        database_url: str, tmp_path: Path) -> None:
    """`serve --workers 2`: events spread over two processes still dedup and group as one server."""
    import concurrent.futures

    with serving(database_url, tmp_path, "--workers", "2", "--log-level", "warning") as live:
        def send(i: int) -> int:
            body = {"routing_key": "pdapikey0000000000000000000000aa", "event_action": "trigger",
                    "dedup_key": f"w-{i % 10}", "payload": {"summary": f"worker test {i}", "source": "db1",
                                                            "severity": "critical", "group": "workers"}}
            return httpx.post(f"{live.url}/v2/enqueue", json=body, timeout=30).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(send, range(60)))
        assert codes == [202] * 60
        token = live.token("admin", "admin")
        alerts = httpx.get(f"{live.url}/api/v1/alerts", params={"limit": 100},
                           headers={"Authorization": f"Bearer {token}"}).json()
    open_keys = sorted(a["dedup_key"] for a in alerts if a["status"] != "resolved")
    assert open_keys == sorted(f"w-{i}" for i in range(10)), "an alert was lost or opened twice"
    assert sum(a["event_count"] for a in alerts) == 60


@ON_SQLITE
def test_calendar_feed_urls_from_the_command_line_and_revoking_a_leaked_one(live: Live) -> None:
    alice = live.token("alice", "responder")
    mine = live.run("me", "feed", token=alice).stdout.strip()
    assert mine.startswith(live.url + "/ical/") and httpx.get(mine, timeout=10).status_code == 200
    rotated = live.run("me", "feed", "--rotate", token=alice).stdout.strip().splitlines()
    assert "no longer works" in rotated[0] and rotated[-1] != mine
    assert httpx.get(mine, timeout=10).status_code == 404 and httpx.get(rotated[-1], timeout=10).status_code == 200
    schedule = live.run("schedule", "feed", "primary", token=alice).stdout.strip()
    assert "BEGIN:VCALENDAR" in httpx.get(schedule, timeout=10).text
    # Another team's responder neither revokes the schedule's feed nor puts anyone on call over it.
    sam = live.token("sam", "responder")
    rotate = live.run("schedule", "feed", "primary", "--rotate", token=sam, ok=False)
    assert rotate.returncode == 1 and "belongs to team platform" in rotate.stderr and "HTTP 403" in rotate.stderr
    assert httpx.get(schedule, timeout=10).status_code == 200
    cover = live.run("override", "add", "--schedule", "primary", "--user", "sam", "--from", "2026-01-01T00:00:00Z",
                     "--to", "2026-01-02T00:00:00Z", token=sam, ok=False)
    assert cover.returncode == 1 and "HTTP 403" in cover.stderr


@ON_SQLITE
def test_incident_show_prints_the_timeline_as_sentences_at_local_time(live: Live) -> None:
    alice = live.token("alice", "responder")
    live.run("incident", "declare", "Checkout 5xx", "--severity", "P1", "--service", "api", token=alice)
    live.run("incident", "ack", "INC-1", token=alice)
    live.run("incident", "severity", "INC-1", "P2", "--reason", "EU tenants too", token=alice)
    in_india = replace(live, env=live.env | {"TZ": "Asia/Kolkata"})
    shown = in_india.run("incident", "show", "INC-1", token=alice).stdout
    for sentence in ("Alice Andersson declared P1 \u201cCheckout 5xx\u201d affecting api via the CLI",
                     "Alice Andersson acknowledged via the CLI",
                     "Alice Andersson lowered the severity P1 -> P2: EU tenants too", "When (IST)"):
        assert sentence in shown, sentence
    events = json.loads(live.run("incident", "show", "INC-1", "--json", token=alice).stdout)["timeline"]
    declared = datetime.fromisoformat(events[0]["occurred_at"].replace("Z", "+00:00"))
    assert f"{declared.astimezone(ZoneInfo('Asia/Kolkata')):%Y-%m-%d %H:%M:%S}" in shown
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", shown), "no microseconds"
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", shown), "no ids"
    assert "severity: P1" not in shown, "no key: value dumps"
