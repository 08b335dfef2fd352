"""Subscriber mail from the messages catalogue's templates, on both stores, against a real SMTP
server: the config tree's override is what the subscriber reads, with the unsubscribe footer and the
RFC 8058 headers whatever it says; a template that fails while rendering still delivers, with the
built-in words; a confirmation template that forgets its link still carries it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from firebell.config import apply, load
from tests.config.helpers import error_at_line
from tests.statuspage.conftest import tree
from tests.statuspage.subscriptions.conftest import CONFIRM_LINK, UNSUBSCRIBE_LINK, Subs, mail_text, notice

OVERRIDE = """
templates:
  - purpose: status_subscriber_incident
    channel: email
    subject: "{{ page.name }} | {{ incident.name }} ({{ incident.status }})"
    text: |
      Hello! {{ notice.heading }}.
      {{ incident.body }}
    html: "<p>Hello! <b>{{ incident.body }}</b></p>"
  - purpose: status_subscriber_confirmation
    channel: email
    subject: "Please confirm: {{ page.name }}"
    text: "One click and you are in."
"""
BROKEN = """
templates:
  - purpose: status_subscriber_incident
    channel: email
    subject: "{{ 1 // 0 }}"
    text: "{{ incident.affected[7].name }}"
    html: "<p>{{ 1 // 0 }}</p>"
"""


def _configure(subs: Subs, tmp_path: Path, text: str) -> None:
    result = load(tree(tmp_path, text))
    assert not result.errors and result.config is not None, result.errors
    with subs.db.unit_of_work() as session:
        apply(session, result.config, now=subs.clock())


def test_an_overridden_template_is_what_subscribers_read_with_the_way_out_kept(subs: Subs, tmp_path: Path) -> None:
    _configure(subs, tmp_path, OVERRIDE)
    subs.subscribe("reader@example.com")
    subs.send_due()
    [confirmation] = subs.mails_to("reader@example.com")
    assert confirmation["Subject"] == "Please confirm: the status page"
    said = mail_text(confirmation)
    assert said.startswith("One click and you are in.") and CONFIRM_LINK.search(said)  # the link is added
    assert subs.browser().client.post(CONFIRM_LINK.search(said).group(1)).status_code == 200  # type: ignore[union-attr]

    subs.queue(notice("n1"))
    subs.send_due()
    mail = subs.mails_to("reader@example.com")[-1]
    assert mail["Subject"] == "Acme | Elevated API errors (Investigating)"
    text = mail_text(mail).replace("\r\n", "\n")
    assert text.startswith("Hello! New incident.\nWe are investigating <errors>.")
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<p>Hello! <b>We are investigating &lt;errors&gt;.</b></p>" in html  # values escaped in HTML
    unsubscribe = UNSUBSCRIBE_LINK.search(mail["List-Unsubscribe"])
    assert unsubscribe is not None and unsubscribe.group(1) in text and unsubscribe.group(1) in html
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_template_that_fails_still_delivers_with_the_built_in_words(subs: Subs, tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    _configure(subs, tmp_path, BROKEN)
    subs.confirmed("reader@example.com")
    subs.queue(notice("n1"))
    with caplog.at_level(logging.WARNING):
        assert subs.send_due() == 1
    mail = subs.mails_to("reader@example.com")[-1]
    assert mail["Subject"] == "[Acme] New incident: Elevated API errors"
    text = mail_text(mail).replace("\r\n", "\n")
    assert text.startswith("Status: Investigating\nImpact: Major\n\nWe are investigating <errors>.")
    assert "&lt;errors&gt;" in mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert UNSUBSCRIBE_LINK.search(mail["List-Unsubscribe"]) and "Unsubscribe:" in text
    assert subs.deliveries("reader@example.com")[-1].status == "sent"
    failed = [r.getMessage() for r in caplog.records if "status_subscriber_incident" in r.getMessage()]
    assert {m.split(".")[1].split(" ")[0] for m in failed} == {"subject", "text", "html"}


TREE = """\
organisation: {name: Acme}
templates:
  - purpose: status_subscriber_maintenance
    channel: email
    subject: "{{ incident.name }}"
    text: |
      Window: {{ incident.scheduled_for }}
      Status: {{ incident.status }}
"""


@pytest.mark.parametrize(("old", "new", "line", "fragment"), [
    ("Status: {{ incident.status }}", "Paged: {{ incident.commander }}", 8, "unknown variable 'incident.commander'"),
    ('subject: "{{ incident.name }}"', 'subject: "{{ links.incident }}"', 5, "unknown variable 'links'"),
    ("    channel: email", "    channel: email\n    service: api", 5, "has no service"),
])
def test_a_subscriber_template_sees_only_the_public_page(tmp_path: Path, old: str, new: str, line: int,
                                                         fragment: str) -> None:
    error_at_line(tmp_path, TREE, old, new, line, fragment)
