"""`firebell demo`: one command from a fresh clone to a working server with the example organisation."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live


def test_demo_starts_and_its_printed_commands_work(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")} | {"NO_COLOR": "1",
                                                                                    "COLUMNS": "200"}
    demo = subprocess.Popen([sys.executable, "-m", "firebell.cli", "demo", "--port", str(port), "--data-dir",
                             str(tmp_path / "demo")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert demo.stdout is not None
        while not any("incident ack INC-1" in line for line in lines):
            line = demo.stdout.readline()
            if (not line and demo.poll() is not None) or time.monotonic() > deadline:
                pytest.fail("demo exited or stalled:\n" + "".join(lines))
            lines.append(line)
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}" in output
        exports = next(line for line in lines if line.strip().startswith("export FIREBELL_URL"))
        for assignment in shlex.split(exports.strip())[1:]:
            key, _, value = assignment.partition("=")
            env[key] = value
        assert env["FIREBELL_TOKEN"].startswith("fb_")
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # One set of integration keys, the one that works: none printed by the config apply before it.
        assert "(shown once)" not in output.replace("Admin API token (shown once)", "")
        _the_welcome_link_signs_the_admin_in(output, port)
        # The demo's folder, database and signing key file are readable by its user only.
        data = tmp_path / "demo"
        modes = [stat.S_IMODE(path.stat().st_mode) for path in (data, data / "firebell.db", data / "firebell.db.key")]
        assert modes == [0o700, 0o600, 0o600], [oct(m) for m in modes]
        commands = [line.strip() for line in lines if re.match(r"\s+\.venv/bin/firebell ", line)]
        assert len(commands) == 3
        results = []
        for command in commands:
            argv = shlex.split(command)
            proc = subprocess.run([sys.executable, "-m", "firebell.cli", *argv[1:]], env=env, capture_output=True,
                                  text=True, timeout=60)
            assert proc.returncode == 0, proc.stderr
            results.append(proc.stdout)
        assert "Declared INC-1 (P1)" in results[0]
        assert "INC-1" in results[1] and "triggered" in results[1]
        assert "INC-1 acknowledged" in results[2]
        services = httpx.get(f"http://127.0.0.1:{port}/api/v1/services",
                             headers={"Authorization": f"Bearer {env['FIREBELL_TOKEN']}"}).json()
        assert {"api", "database", "auth", "workflow-engine", "ai-inference", "billing", "dashboard",
                "training-api"} <= {s["name"] for s in services}
        # The P1 reaches both Slack channels of the example (written to the log: the demo sends nothing),
        # including the exec channel that in production posts through an incoming webhook.
        wanted = ("SLACK post in C07INCACTV", "SLACK post in C07EXECINC")
        threading.Thread(target=lambda: lines.extend(iter(demo.stdout.readline, "")), daemon=True).start()
        until = time.monotonic() + 30  # a reader thread: readline() would block for good if nothing comes
        while not all(any(w in line for line in list(lines)) for w in wanted):
            if time.monotonic() > until:
                pytest.fail("no Slack message for INC-1 in the demo log:\n" + "".join(lines[-30:]))
            time.sleep(0.05)
    finally:
        demo.terminate()
        demo.wait(timeout=10)


def _the_welcome_link_signs_the_admin_in(output: str, port: int) -> None:
    (link,) = re.findall(rf"http://127\.0\.0\.1:{port}/invite/\S+", output)
    with httpx.Client(follow_redirects=False) as browser:
        form = browser.get(link)
        assert form.status_code == 200 and "choose a password" in form.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        password = "demo password for the admin"
        signed = browser.post(link, data={"csrf_token": csrf.group(1), "password": password, "again": password})
        assert signed.status_code == 303 and signed.headers["location"] == "/incidents"
        landed = browser.get(f"http://127.0.0.1:{port}/incidents")
        assert landed.status_code == 200 and "Sign out" in landed.text
