"""`firebell schedule list`, `firebell override list|cancel|swap` as a person types them: the CLI's
requests are answered by the test app (the same routes as over the network), on both stores."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from firebell.cli.main import app
from tests.api.conftest import Api

Run = Callable[..., Result]
BOBS_WEEK = ["bob", "2026-11-23T08:00:00Z", "2026-11-30T08:00:00Z"]
ALICES_WEEK = ["alice", "2026-11-30T08:00:00Z", "2026-12-07T08:00:00Z"]


@pytest.fixture
def firebell(api: Api, monkeypatch: pytest.MonkeyPatch) -> Run:
    def answer(method: str, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.pop("timeout", None)
        return api.client.request(method, url, **kwargs)

    monkeypatch.setattr(httpx, "request", answer)
    runner = CliRunner()

    def run(*args: str, who: str = "alice", ok: bool = True) -> Result:
        env = {"FIREBELL_URL": "http://testserver", "FIREBELL_TOKEN": api.tokens[who], "COLUMNS": "200",
               "NO_COLOR": "1"}
        result = runner.invoke(app, list(args), env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


def test_schedule_list_says_who_is_on_call_and_next_in_the_schedules_zone(firebell: Run) -> None:
    out = firebell("schedule", "list", who="vera").output
    assert "primary" in out and "platform" in out and "Europe/Stockholm" in out
    assert "alice" in out and "bob" in out and "Mon 2026-11-23 09:00 CET" in out


def test_override_list_and_cancel(firebell: Run, api: Api) -> None:
    added = firebell("override", "add", "-s", "primary", "-u", "bob", "--from", "2026-11-30T10:00:00+01:00",
                     "--to", "2026-11-30T12:00:00+01:00", "-m", "dentist", "--json").output
    override_id = json.loads(added)["id"]
    listed = firebell("override", "list", "-s", "primary", "--from", "2026-11-30T00:00:00Z").output
    assert override_id in listed and "dentist" in listed and "Mon 2026-11-30 10:00 CET" in listed
    assert "No overrides" in firebell("override", "list", "-s", "primary", "--to", "2026-11-24T00:00:00Z").output
    refused = firebell("override", "cancel", override_id, "-s", "primary", who="sam", ok=False)
    assert "platform" in refused.output
    assert "viewers" in firebell("override", "cancel", override_id, "-s", "primary", who="vera", ok=False).output
    assert "Cancelled: bob" in firebell("override", "cancel", override_id, "-s", "primary").output
    assert "cancelled" in firebell("override", "list", "-s", "primary", "--all").output
    assert "already cancelled" in firebell("override", "cancel", override_id, "-s", "primary", ok=False).output


def test_override_swap(firebell: Run, api: Api) -> None:
    wrong = firebell("override", "swap", "-s", "primary", "--first", *ALICES_WEEK, "--second", "alice", *BOBS_WEEK[1:],
                     ok=False)
    assert "two people" in wrong.output
    stranger = firebell("override", "swap", "-s", "primary", "--first", *ALICES_WEEK, "--second", *BOBS_WEEK,
                        who="sam", ok=False)
    assert "platform" in stranger.output
    out = firebell("override", "swap", "-s", "primary", "--first", *ALICES_WEEK, "--second", *BOBS_WEEK,
                   "-m", "holiday").output
    assert "Swapped on primary (Europe/Stockholm)" in out and out.count("swap: holiday") == 2
    (now,) = api.get("/api/v1/schedules", at="2026-11-25T12:00:00Z").json()
    assert now["on_call"] == "alice"
