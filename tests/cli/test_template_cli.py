"""`firebell template ...` against a live server: list, show, vars and preview (the sample, a real
incident, an unsaved file, and a file with a mistake reported at its line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli_live import Live, live  # noqa: F401  (the live server fixture)

# The API under it is tested on both stores (tests/messages/test_templates_api.py); this checks the command.
pytestmark = [pytest.mark.live, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_a_responder_lists_shows_and_previews_templates(live: Live, tmp_path: Path) -> None:  # noqa: F811
    alice = live.token("alice", "responder")
    listing = live.run("template", "list", token=alice).stdout
    assert "escalation" in listing and "status_page" in listing and "subject: built-in" in listing

    shown = live.run("template", "show", "escalation", "--channel", "sms", token=alice).stdout
    assert "--- sms text (built-in)" in shown and "{{ escalation.help or incident.title }}" in shown
    assert "slack" not in shown.split("\n", 1)[1]
    wrong = live.run("template", "show", "escalation", "--channel", "voice", token=alice, ok=False)
    assert wrong.returncode == 1 and "its channels: slack, email, sms" in wrong.stderr

    variables = live.run("template", "vars", "escalation", token=alice).stdout
    assert "{{ escalation.help }}" in variables and "the help needed" in variables

    sample = live.run("template", "preview", "page", "--channel", "sms", token=alice).stdout
    assert "rendered against the sample incident" in sample and "Firebell INC-42 P1:" in sample
    assert "--- text (from built-in)" in sample

    live.run("incident", "declare", "Checkout down", "--severity", "P1", "--service", "api", token=alice)
    real = live.run("template", "preview", "escalation", "--incident", "INC-1", "--channel", "email",
                    token=alice).stdout
    assert "rendered against INC-1" in real and "[P1] INC-1 needs help: Checkout down" in real

    draft = tmp_path / "page.sms.j2"
    draft.write_text("WAKE {{ incident.ref }} {{ incident.title }}\n")
    mine = live.run("template", "preview", "page", "--incident", "INC-1", "--channel", "sms", "--file", str(draft),
                    token=alice).stdout
    assert "WAKE INC-1 Checkout down" in mine and "(from unsaved)" in mine
    as_json = json.loads(live.run("template", "preview", "page", "--channel", "sms", "--file", str(draft),
                                  "--json", token=alice).stdout)
    assert as_json["sources"] == {"text": "unsaved"}

    draft.write_text("WAKE\n{{ incident.titel }}\n")
    broken = live.run("template", "preview", "page", "--channel", "sms", "--file", str(draft), token=alice, ok=False)
    assert broken.returncode == 1
    assert "text line 2: unknown variable 'incident.titel'" in broken.stderr and "(HTTP 422)" in broken.stderr
