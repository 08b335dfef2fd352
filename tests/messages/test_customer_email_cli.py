"""`firebell incident customer-email ...`: an API client, run here against the app in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from firebell.cli.incident import app
from tests.api.conftest import Api
from tests.messages.test_customer_email import WORDS, deliver, p1_with_alice_commanding, with_customers

runner = CliRunner()


def as_(api: Api, who: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        return api.client.request(method, url.removeprefix("http://firebell.test"), json=kwargs.get("json"),
                                  params=kwargs.get("params"), headers=kwargs.get("headers"))

    monkeypatch.setattr(httpx, "request", request)
    monkeypatch.setenv("FIREBELL_URL", "http://firebell.test")
    monkeypatch.setenv("FIREBELL_TOKEN", api.tokens[who])


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["customer-email", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_drafted_previewed_and_approved_from_the_command_line(api: Api, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with_customers(api, tmp_path)
    ref = p1_with_alice_commanding(api)
    as_(api, "alice", monkeypatch)
    shown = run("draft", ref, "--summary", WORDS["summary"], "--root-cause", WORDS["root_cause"])
    assert f"{ref} customer email: draft (written by Alice Andersson; a second person approves it)" in shown
    assert "Would go to: Acme Corp <ops@acme.example>, Globex <it@globex.example>" in shown
    preview = run("preview", ref)
    assert "To: Acme Corp <ops@acme.example>" in preview and "Dear Globex," in preview
    assert "second person" in run("approve", ref, code=1)
    as_(api, "bob", monkeypatch)
    sent = run("approve", ref)
    assert "sent" in sent and "Approved by Bob Berg" in sent
    assert "Sent to: Acme Corp" in run("show", ref)
    assert len(deliver(api).received) == 2
