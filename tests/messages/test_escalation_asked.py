"""`incident escalate` says what help is needed and what was done so far (TenSafe "Escalation
Communication"), from every surface: the API, the CLI, the console and Slack's `/incident escalate`.
The person the escalated level pages receives both in the `escalation` message (a real SMTP
server), and the timeline's event carries them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from firebell.slack.commands import parse_slash_command
from tests.api.conftest import Api
from tests.escalation.test_engine import use_policy
from tests.escalation.test_paging_end_to_end import EMAIL_LADDER, trigger
from tests.messages.test_escalation_message import run, text_of
from tests.messages.test_stakeholder_updates_end_to_end import cli_incident, routes
from tests.web.conftest import Web

HELP, ACTIONS = "a DBA to check replication lag", "restarted the primary; failed over to db-2"


def asked_in(mail: Any) -> None:
    assert str(mail["To"]) == "bob@example.com"
    text = text_of(mail)
    assert text.startswith("INC-1 needs help from level 2 of mail-p1")
    assert f"\nHelp needed: {HELP}" in text and f"\nActions taken: {ACTIONS}" in text, text


def escalated_event(api: Api) -> str:
    events = api.get("/api/v1/incidents/INC-1/timeline").json()["events"]
    (said,) = [e["text"] for e in events if e["type"] == "escalated"]
    return str(said)


def test_from_the_api(api: Api) -> None:
    (mail,) = run(api, lambda ref: api.post(f"/api/v1/incidents/{ref}/escalate",
                                            {"help_needed": HELP, "actions_taken": ACTIONS}))
    asked_in(mail)
    assert escalated_event(api).endswith(f"escalated to level 2 via the API: help needed: {HELP}; "
                                         f"actions taken: {ACTIONS}")


def test_from_the_cli(api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def escalate(ref: str) -> None:
        out = cli_incident(api, monkeypatch, tmp_path, "escalate", ref, "--help-needed", HELP,
                           "--actions-taken", ACTIONS)
        assert f"{ref} escalated" in out
    (mail,) = run(api, escalate)
    asked_in(mail)


def test_from_the_console(api: Api) -> None:
    web = Web(app=api.client.app, db=api.db, clock=api.clock, tokens=api.tokens)  # type: ignore[arg-type]

    def escalate(ref: str) -> None:
        answer = web.signed_in("alice").post(f"/incidents/{ref}/escalate",
                                              {"level": "", "help_needed": HELP, "actions_taken": ACTIONS})
        assert answer.status_code == 303, answer.text
    (mail,) = run(api, escalate)
    asked_in(mail)


def test_from_slack(api: Api) -> None:
    with routes(api) as r:
        use_policy(api, EMAIL_LADDER)
        trigger(api)
        r.loop.run_once()
        reply = r.slack.command(f"escalate INC-1 {HELP} actions: {ACTIONS}").json()
        assert reply["response_type"] == "in_channel" and "INC-1 escalated by Alice" in reply["text"], reply
        r.loop.run_once()
        (mail,) = [m for m in r.sink.received if str(m["To"]) == "bob@example.com"]
        asked_in(mail)
        assert "via Slack: help needed" in escalated_event(api)


def test_without_words_the_actions_default_to_the_latest_update(api: Api) -> None:
    (mail,) = run(api, lambda ref: api.post(f"/api/v1/incidents/{ref}/escalate", {"help_needed": HELP}))
    assert "\nActions taken: Failed over to the replica" in text_of(mail)


@pytest.mark.parametrize(("text", "ref", "help_needed", "actions"), [
    ("escalate", None, "", ""),
    ("escalate INC-4", "INC-4", "", ""),
    ("escalate INC-4 need a DBA actions: restarted it", "INC-4", "need a DBA", "restarted it"),
    ("escalate 2 people needed", None, "2 people needed", ""),
    ("escalate Actions: rolled back", None, "", "rolled back"),
])
def test_the_slash_command_reads_help_and_actions(text: str, ref: str | None, help_needed: str,
                                                  actions: str) -> None:
    command = parse_slash_command(text)
    assert (command.verb, command.ref, command.text, command.actions) == ("escalate", ref, help_needed, actions)


def test_too_long_is_refused(api: Api) -> None:
    def act(ref: str) -> None:
        answer = api.post(f"/api/v1/incidents/{ref}/escalate", {"help_needed": "x" * 2001})
        assert answer.status_code == 422
    assert run(api, act) == []


