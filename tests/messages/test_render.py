"""Rendering without a database: built-ins carry the runbooks' words, overrides win per part and scope,
a broken override falls back, escaping and limits are per channel."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.message_text import TRUNCATION_MARK
from firebell.messages import catalogue
from firebell.messages.context import sample
from firebell.messages.render import BUILT_IN, Override, render
from firebell.messages.sandbox import check
from firebell.notify.channels.phone import fits_one_sms

NOW = datetime(2026, 12, 7, 10, 31, tzinfo=UTC)


def words(text: str) -> list[str]:
    """The words of a text without Markdown/mrkdwn markup or emoji codes: what a reader compares."""
    text = re.sub(r":[a-z_]+:", " ", text)
    return re.findall(r"[A-Za-z']+", text.replace("*", " "))


def test_every_built_in_renders_for_the_sample_on_every_channel() -> None:
    for purpose in catalogue.PURPOSES.values():
        for channel in purpose.channels:
            outcome = render(purpose.name, channel, sample(purpose.name, NOW))
            assert not outcome.fell_back
            assert outcome.rendered.text.strip(), (purpose.name, channel)
            assert set(outcome.sources.values()) == {BUILT_IN}
            for part in catalogue.parts_of(channel):
                assert not check(catalogue.builtin(purpose.name, channel, part), purpose.name,
                                 catalogue.escaping(channel, part)), (purpose.name, channel, part)


# The fixed words of TenSafe's "Communication Templates" (the runbook's own text between its placeholders).
@pytest.mark.parametrize(("purpose", "fixed"), [
    ("declared", ["INCIDENT", "DECLARED", "Summary", "Impact", "Status", "Investigating",
                                            "Incident", "Commander", "Updates", "will", "be", "posted", "every"]),
    ("update", ["INCIDENT", "UPDATE", "elapsed", "Current", "Status", "What", "we", "know",
                                        "What", "we're", "doing", "Next", "update"]),
    ("resolved", ["INCIDENT", "RESOLVED", "Summary", "Duration", "Impact", "Resolution"]),
])
def test_the_slack_messages_say_what_tensafe_says(purpose: str, fixed: list[str]) -> None:
    text = render(purpose, "slack", sample(purpose, NOW)).rendered.text
    said = words(text)
    position = 0
    for word in fixed:  # in the runbook's order
        assert word in said[position:], f"{word!r} missing after {said[:position]}"
        position = said.index(word, position) + 1


def test_the_status_page_and_customer_email_follow_tensafe() -> None:
    investigating = render("status_investigating", "status_page", sample("status_investigating", NOW)).rendered
    assert investigating.title == "Investigating elevated error rates"
    assert "We are currently investigating reports of elevated error rates affecting\nthe API." in investigating.text
    assert "Our engineering team is actively investigating the issue. We will provide\nupdates as more " \
           "information becomes available." in investigating.text
    resolved = render("status_resolved", "status_page", sample("status_resolved", NOW)).rendered
    assert "Duration: 1 hour 5 minutes" in resolved.text and "within 48 hours" in resolved.text
    mail = render("customer_email", "email", sample("customer_email", NOW)).rendered
    assert mail.subject == "Example Service Incident - 2026-12-07"
    for heading in ("INCIDENT SUMMARY", "IMPACT", "ROOT CAUSE", "REMEDIATION", "PREVENTION"):  # TenSafe's sections
        assert f"\n{heading}\n" in mail.text
    assert mail.text.startswith("Dear Customer Name,")
    assert "or support@example.com." in mail.text and mail.text.rstrip().endswith("Example Operations Team")


def test_the_card_has_ops1_8_1_fields() -> None:
    text = render("card", "slack", sample("card", NOW)).rendered.text
    for label in ("Time:", "Lead:", "Impact:", "Next Update:", "Root-Cause Status:"):
        assert f"\n{label} " in text
    assert text.startswith(":rotating_light: *P1 INCIDENT* — API error rate above 5 %")
    assert "Lead: <@U0ALICE>" in text  # a Slack mention, not escaped


def test_overrides_win_per_part_service_before_organisation() -> None:
    values = sample("page", NOW)
    found = [Override("", {"subject": "ORG {{ incident.ref }}"}), Override("payments", {"subject": "PAY"}),
             Override("the API", {"text": "API {{ incident.title }}"})]
    outcome = render("page", "email", values, found, services=["the API"])
    assert outcome.rendered.subject == "ORG INC-42"  # the API's override has no subject
    assert outcome.rendered.text == "API API error rate above 5 %"
    assert outcome.sources == {"subject": "organisation", "text": "service the API", "html": BUILT_IN}
    assert render("page", "email", values, found, services=["payments"]).rendered.subject == "PAY"


def test_a_broken_override_falls_back_to_the_built_in_and_says_why() -> None:
    values = sample("page", NOW)
    builtin = render("page", "sms", values).rendered.text
    for broken in ("{{ incident.no_such }}", "{{ incident.title.__class__ }}", "{{ 1 / 0 }}"):
        outcome = render("page", "sms", values, [Override("", {"text": broken})])
        assert outcome.rendered.text == builtin
        assert outcome.fell_back and outcome.fell_back[0][:2] == ("text", "organisation")


def test_slack_escapes_values_but_not_the_templates_own_markup() -> None:
    values = sample("update", NOW)
    values["update"]["known"] = "<!channel> & <script>"
    mine = Override("", {"text": "<@U123> {{ update.known }} {{ incident.commander_mention }}"})
    text = render("update", "slack", values, [mine]).rendered.text
    assert text == "<@U123> &lt;!channel&gt; &amp; &lt;script&gt; <@U0ALICE>"


def test_email_html_is_escaped_and_the_text_is_not() -> None:
    values = sample("page", NOW)
    values["incident"]["title"] = "<b>disk</b> & co"
    rendered = render("page", "email", values).rendered
    assert "&lt;b&gt;disk&lt;/b&gt; &amp; co" in rendered.html and "<b>disk" not in rendered.html
    assert "<b>disk</b> & co" in rendered.text and "<b>disk</b> & co" in rendered.subject


def test_slack_text_is_cut_at_3000_with_a_visible_mark() -> None:
    values = sample("update", NOW)
    values["update"]["known"] = "x " * 4000
    text = render("update", "slack", values).rendered.text
    assert len(text) <= 3000 and text.endswith(TRUNCATION_MARK)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=400))
def test_an_sms_page_is_one_segment_and_keeps_its_reply_codes(title: str) -> None:
    values = sample("page", NOW)
    values["incident"]["title"] = title
    text = render("page", "sms", values).rendered.text
    assert fits_one_sms(text)
    assert text.endswith("- Reply ack 42 / resolve 42")
    assert text.startswith("Firebell INC-42 P1:")
