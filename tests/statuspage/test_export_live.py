"""Survives our outage: a real `firebell serve` with status_page.export_dir set writes the site after
a public incident opens; the server stops; a plain static server (http.server on 127.0.0.1) still
serves the page and its JSON with the incident in them. `firebell statuspage export DIR` writes the
same site by hand."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from tests.cli.test_cli_live import FIREBELL, serving
from tests.statuspage.conftest import STATUS_PAGE, tree
from tests.statuspage.serve import static_server

pytestmark = pytest.mark.live
NAME = "Elevated API errors"


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as answer:
        body: bytes = answer.read()
        return body


def _summary_names(site: Path) -> list[str]:
    try:
        return [i["name"] for i in json.loads((site / "api/v2/summary.json").read_bytes())["incidents"]]
    except (OSError, ValueError):
        return []


# CI time: the export is files from the in-memory build; the build's reads are tested on both stores
# (tests/statuspage/test_public_json.py, test_live_site.py).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_exported_page_is_served_while_firebell_is_stopped(database_url: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    config = tree(tmp_path, STATUS_PAGE + f"  export_dir: {site}\n")
    with serving(database_url, tmp_path, "--config", str(config)) as live:
        token = live.token("admin", "admin")
        opened = httpx.post(f"{live.url}/api/v1/status-page/incidents", headers={"Authorization": f"Bearer {token}"},
                            json={"name": NAME, "body": "We are investigating.",
                                  "components": {"API": "partial_outage"}}, timeout=10)
        assert opened.status_code == 201, opened.text
        deadline = time.monotonic() + 10
        while NAME not in _summary_names(site):
            assert time.monotonic() < deadline, "the export never showed the incident"
            time.sleep(0.05)
        env = live.env
    # Firebell is stopped: only the files remain.
    with static_server(site) as base:
        index = _fetch(f"{base}/index.html").decode()
        summary = json.loads(_fetch(f"{base}/api/v2/summary.json"))
        page = _fetch(f"{base}/incidents/{opened.json()['id']}.html").decode()
    assert NAME in index and "Testorg Status" in index
    assert [i["name"] for i in summary["incidents"]] == [NAME]
    assert {c["name"]: c["status"] for c in summary["components"]}["API"] == "partial_outage"
    assert "We are investigating." in page
    by_hand = tmp_path / "by-hand"
    done = subprocess.run([*FIREBELL, "statuspage", "export", str(by_hand)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert NAME in (by_hand / "index.html").read_text() and _summary_names(by_hand) == [NAME]
