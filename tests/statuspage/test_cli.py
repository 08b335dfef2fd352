"""`firebell statuspage ...` goes through the API (here a test client standing in for the server)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from firebell.cli.main import app
from tests.api.conftest import Api


def test_the_comms_lead_drives_the_page_from_the_cli(page_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def request(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.pop("timeout", None)
        return page_api.client.request(method, url.removeprefix("http://firebell.test"), **kwargs)

    monkeypatch.setattr("firebell.cli.client.httpx.request", request)
    monkeypatch.setenv("FIREBELL_URL", "http://firebell.test")
    monkeypatch.setenv("FIREBELL_TOKEN", page_api.tokens["alice"])
    runner = CliRunner()
    done = runner.invoke(app, ["statuspage", "component", "set", "Database", "degraded_performance"])
    assert done.exit_code == 0 and "Database: degraded_performance" in done.output, done.output
    opened = runner.invoke(app, ["statuspage", "incident", "open", "API errors", "--body", "Looking.",
                                 "-c", "API=major_outage", "--json"])
    assert opened.exit_code == 0, opened.output
    public_id = json.loads(opened.output)["id"]
    resolved = runner.invoke(app, ["statuspage", "incident", "resolve", public_id, "--body", "Fixed."])
    assert resolved.exit_code == 0 and "resolved" in resolved.output, resolved.output
    planned = runner.invoke(app, ["statuspage", "maintenance", "schedule", "Upgrade", "--start",
                                  "2026-12-10T22:00:00+01:00", "--end", "2026-12-10T23:00:00+01:00", "-c", "Database"])
    assert planned.exit_code == 0 and "scheduled" in planned.output, planned.output
    maintenance_id = planned.output.split()[0]
    moved = runner.invoke(app, ["statuspage", "maintenance", "reschedule", maintenance_id, "--start",
                                "2026-12-11T22:00:00+01:00", "--end", "2026-12-11T23:00:00+01:00", "--json"])
    assert moved.exit_code == 0 and json.loads(moved.output)["scheduled_for"].startswith("2026-12-11T21:00"), \
        moved.output
    monkeypatch.setenv("FIREBELL_TOKEN", page_api.tokens["bob"])
    refused = runner.invoke(app, ["statuspage", "component", "set", "API", "major_outage"])
    assert refused.exit_code != 0 and "editors" in refused.output
