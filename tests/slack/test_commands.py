"""`/incident` text as people type it, and the errors they see when they get it wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from firebell.slack.commands import (
    HELP_TEXT,
    USAGE,
    SlashCommand,
    SlashCommandError,
    Verb,
    mentioned_user_id,
    normalise_ref,
    parse_slash_command,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", SlashCommand("help")),
        ("   ", SlashCommand("help")),
        ("help", SlashCommand("help")),
        ("HELP me", SlashCommand("help")),
        ("create Checkout is down", SlashCommand("create", title="Checkout is down")),
        ("create Checkout is down P1", SlashCommand("create", title="Checkout is down", severity="P1")),
        ("Create  DB   lag p3", SlashCommand("create", title="DB   lag", severity="P3")),
        ("create P1 checkout", SlashCommand("create", title="P1 checkout")),
        ("create upgrade to P5", SlashCommand("create", title="upgrade to P5")),
        ("create a &lt; b &amp;&amp; c &gt; d", SlashCommand("create", title="a < b && c > d")),
        ("create literal &amp;lt;", SlashCommand("create", title="literal &lt;")),
        ("ack", SlashCommand("ack")),
        ("ack INC-12", SlashCommand("ack", ref="INC-12")),
        ("ACK inc-12", SlashCommand("ack", ref="INC-12")),
        ("ack 12", SlashCommand("ack", ref="INC-12")),
        ("ack INC-007", SlashCommand("ack", ref="INC-7")),
        ("resolve", SlashCommand("resolve")),
        ("resolve 42", SlashCommand("resolve", ref="INC-42")),
        ("update rolled back to v41", SlashCommand("update", text="rolled back to v41")),
        ("update INC-12 rolled back", SlashCommand("update", ref="INC-12", text="rolled back")),
        ("update 12 pods restarted", SlashCommand("update", text="12 pods restarted")),
        ("update\nline one\nline two", SlashCommand("update", text="line one\nline two")),
        ("severity P2", SlashCommand("severity", severity="P2")),
        ("severity p1 INC-9", SlashCommand("severity", severity="P1", ref="INC-9")),
        ("oncall", SlashCommand("oncall")),
        ("oncall Platform primary", SlashCommand("oncall", schedule="Platform primary")),
        (
            "override primary bob 4h",
            SlashCommand("override", schedule="primary", user="bob", duration=timedelta(hours=4)),
        ),
        (
            "override primary &lt;@U024BE7LH|bob&gt; 30m",
            SlashCommand("override", schedule="primary", user="<@U024BE7LH|bob>", duration=timedelta(minutes=30)),
        ),
        (
            "override db-secondary Bob Smith 2D",
            SlashCommand("override", schedule="db-secondary", user="Bob Smith", duration=timedelta(days=2)),
        ),
    ],
)
def test_commands_parse_as_people_type_them(text: str, expected: SlashCommand) -> None:
    assert parse_slash_command(text) == expected


@pytest.mark.parametrize(
    "text, verb, problem",
    [
        ("create", "create", "needs a title"),
        ("create   P2", "create", "needs a title"),
        ("ack INC-12 INC-13", "ack", "at most one incident reference"),
        ("ack twelve", "ack", "'twelve' is not an incident reference"),
        ("resolve INC-", "resolve", "is not an incident reference"),
        ("update", "update", "needs some text"),
        ("update INC-12", "update", "needs some text"),
        ("severity", "severity", "Say which severity"),
        ("severity P5", "severity", "'P5' is not a severity"),
        ("severity high INC-3", "severity", "'high' is not a severity"),
        ("severity P2 nope", "severity", "'nope' is not an incident reference"),
        ("override primary bob", "override", "needs a schedule, a person and how long"),
        ("override primary bob 4", "override", "'4' needs a unit"),
        ("override primary bob 4w", "override", "'4w' is not a duration"),
        ("override primary bob 0h", "override", "longer than zero"),
        ("override primary bob 366d", "override", "at most 365d"),
        ("override primary bob 999999h", "override", "at most 365d"),
    ],
)
def test_bad_input_says_what_is_wrong_and_shows_that_commands_usage(text: str, verb: Verb, problem: str) -> None:
    with pytest.raises(SlashCommandError) as caught:
        parse_slash_command(text)
    message = str(caught.value)
    assert problem in message
    assert f"Usage: `{USAGE[verb]}`" in message


def test_an_unknown_command_lists_the_commands_there_are() -> None:
    with pytest.raises(SlashCommandError) as caught:
        parse_slash_command("page bob")
    message = str(caught.value)
    assert "Unknown command 'page'" in message
    assert "create, ack, resolve, update, escalate, severity, oncall, override, help" in message
    assert "/incident help" in message


def test_an_error_repeating_the_users_words_cannot_turn_them_into_markup() -> None:
    with pytest.raises(SlashCommandError) as caught:
        parse_slash_command("ack &lt;!channel&gt;")
    assert "'&lt;!channel&gt;' is not an incident reference" in str(caught.value)
    assert "<!channel>" not in str(caught.value)


def test_the_longest_override_allowed_is_a_year() -> None:
    assert parse_slash_command("override primary bob 365d").duration == timedelta(days=365)


def test_help_lists_every_command_with_its_usage() -> None:
    for usage in USAGE.values():
        assert usage in HELP_TEXT


@pytest.mark.parametrize(
    "word, ref",
    [
        ("INC-12", "INC-12"),
        ("inc-0012", "INC-12"),
        ("12", "INC-12"),
        ("#12", None),
        ("INC12", None),
        ("\u0661\u0662", None),
    ],
)
def test_refs_normalise_to_one_form(word: str, ref: str | None) -> None:
    assert normalise_ref(word) == ref


@pytest.mark.parametrize(
    "user, user_id", [("<@U024BE7LH|bob>", "U024BE7LH"), ("<@W0ENTERPRISE>", "W0ENTERPRISE"), ("@bob", None)]
)
def test_a_slack_mention_yields_the_user_id(user: str, user_id: str | None) -> None:
    assert mentioned_user_id(user) == user_id
