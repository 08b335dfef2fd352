"""`firebell me add-method | rules | quiet-hours | remove-method`: API clients of /api/v1/me, run here
against the app in process (httpx's request goes to a TestClient)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from firebell.cli.me_cmd import me_app
from tests.web.conftest import Web

runner = CliRunner()


@pytest.fixture
def as_bob(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(web.app)

    def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        return client.request(method, url.removeprefix("http://firebell.test"), json=kwargs.get("json"),
                              params=kwargs.get("params"), headers=kwargs.get("headers"))

    monkeypatch.setattr(httpx, "request", request)
    monkeypatch.setenv("FIREBELL_URL", "http://firebell.test")
    monkeypatch.setenv("FIREBELL_TOKEN", web.tokens["bob"])


def _run(*args: str) -> str:
    result = runner.invoke(me_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("as_bob")
def test_a_person_sets_up_methods_rules_and_quiet_hours_from_the_command_line() -> None:
    assert "verify it: `firebell me verify +46701234567`" in _run("add-method", "sms", "+46701234567",
                                                                   "--label", "work phone")
    _run("add-method", "email", "bob.home@example.com")
    shown = _run("rules", "--high", "sms", "--high", "bob.home@example.com=10", "--low", "email")
    assert shown.count("high") == 2 and "10 min" in shown and "low" in shown
    assert "low" not in _run("rules", "--low", "none").replace("Urgency", "")
    assert "Quiet hours 23:00 to 06:30 (Europe/Stockholm)" in _run("quiet-hours", "--start", "23:00", "--end", "06:30")
    _run("remove-method", "work phone")
    assert "+46701234567" not in _run("rules")
    refused = runner.invoke(me_app, ["quiet-hours", "--start", "23:00"])
    assert refused.exit_code == 1 and "both --start and --end" in refused.output
