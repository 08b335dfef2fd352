"""The `/incident` slash command: its text parsed into a `SlashCommand`. Pure: no I/O, no lookups.

Grammar (verbs are case-insensitive; REF is "INC-12", "inc-12" or "12" and comes back as "INC-12"):

    create TITLE [P1-P4]         severity only when it is the last word: "create DB down p1"
    ack [REF]                    without REF: the incident of the channel the command was typed in
    resolve [REF]
    update [INC-n] [STATUS] [TEXT] [known: ...] [doing: ...] [next: 30m]
                                 a leading ref must carry "INC-" so "update 12 pods restarted" stays text;
                                 STATUS is a first word Investigating, Identified, Monitoring or Resolved;
                                 each label runs to the next; at least one of TEXT, known and doing
    escalate [INC-n] [HELP NEEDED] [actions: ...]
                                 page the next level now; the text says what help is needed, `actions:`
                                 what was done so far (default: the latest status update)
    severity P1-P4 [REF]
    oncall [SCHEDULE]            without SCHEDULE: every schedule
    override SCHEDULE USER DURATION
                                 SCHEDULE is one word, DURATION the last word (30m, 4h, 2d),
                                 USER everything between, e.g. "@bob" or Slack's "<@U123|bob>"
    help                         also what empty text means

Slack sends the text with &, < and > escaped as HTML entities; they are unescaped here so titles are
stored as people typed them (rendering escapes them again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from firebell.core.stakeholder_updates import STATUSES
from firebell.notify.channels.slack_blocks import clip_mrkdwn

COMMAND = "/incident"
SEVERITIES = ("P1", "P2", "P3", "P4")
MAX_OVERRIDE = timedelta(days=365)

Verb = Literal["create", "ack", "resolve", "update", "escalate", "severity", "oncall", "override", "help"]

USAGE: dict[Verb, str] = {
    "create": f"{COMMAND} create TITLE [P1-P4]",
    "ack": f"{COMMAND} ack [INC-12]",
    "resolve": f"{COMMAND} resolve [INC-12]",
    "update": f"{COMMAND} update [INC-12] [identified] [TEXT] [known: ...] [doing: ...] [next: 30m]",
    "escalate": f"{COMMAND} escalate [INC-12] [HELP NEEDED] [actions: ...]",
    "severity": f"{COMMAND} severity P1-P4 [INC-12]",
    "oncall": f"{COMMAND} oncall [SCHEDULE]",
    "override": f"{COMMAND} override SCHEDULE USER DURATION",
    "help": f"{COMMAND} help",
}

_DESCRIPTIONS: dict[Verb, str] = {
    "create": "open an incident (severity optional)",
    "ack": "acknowledge this channel's incident, or the one named",
    "resolve": "resolve this channel's incident, or the one named",
    "update": "post a stakeholder update: the timeline, the stakeholder channels, lists and webhooks",
    "escalate": "page the next escalation level now, saying what help is needed and what was done",
    "severity": "change the severity",
    "oncall": "who is on call now, for one schedule or all",
    "override": "put someone on call for a while, e.g. `override primary @bob 4h` (30m, 4h, 2d)",
    "help": "show this list",
}

HELP_TEXT = "Incident commands:\n" + "\n".join(f"• `{USAGE[verb]}`: {_DESCRIPTIONS[verb]}" for verb in USAGE)

_REF = re.compile(r"(?:INC-)?0*([0-9]{1,12})", re.IGNORECASE)
_PREFIXED_REF = re.compile(r"INC-0*([0-9]{1,12})", re.IGNORECASE)
_SEVERITY = re.compile(r"P[1-4]", re.IGNORECASE)
_DURATION = re.compile(r"([0-9]{1,6})([mhd])", re.IGNORECASE)
_DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_SLACK_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_UPDATE_STATUSES = {status.lower() for status in STATUSES}
_UPDATE_LABEL = re.compile(r"(?:^|(?<=\s))(known|doing|next):", re.IGNORECASE)
_ACTIONS_LABEL = re.compile(r"(?:^|(?<=\s))actions:", re.IGNORECASE)


@dataclass(frozen=True)
class SlashCommand:
    """One parsed `/incident` invocation. Only the fields its verb uses are set."""

    verb: Verb
    ref: str | None = None
    title: str | None = None
    text: str | None = None
    severity: str | None = None
    schedule: str | None = None
    user: str | None = None
    duration: timedelta | None = None
    status: str | None = None  # update: the status word
    known: str | None = None
    doing: str | None = None
    next_in: str | None = None
    actions: str | None = None  # escalate: what was done so far (`text` is the help needed)


class SlashCommandError(ValueError):
    """Input that cannot be acted on. The message says what is wrong and how the command is written.

    The message is safe to send back as mrkdwn: any of the user's words it repeats are escaped.
    """

    def __init__(self, problem: str, verb: Verb | None = None) -> None:
        usage = f"Usage: `{USAGE[verb]}`" if verb is not None else f"Try `{USAGE['help']}`."
        super().__init__(f"{problem}\n{usage}")
        self.problem = problem
        self.verb = verb


def _quoted(words: str) -> str:
    """The user's own words, quoted for an error reply: short, and escaped so they cannot become markup."""
    return "'" + clip_mrkdwn(words, 60) + "'"


def unescape_slack_text(text: str) -> str:
    """Undo Slack's escaping of &, < and > (`&amp;` last, so "&amp;lt;" stays the literal "&lt;")."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentioned_user_id(user: str) -> str | None:
    """The Slack user id in an escaped mention such as "<@U123|bob>", or None for a plain name."""
    match = _SLACK_USER.fullmatch(user.strip())
    return match.group(1) if match else None


def normalise_ref(word: str) -> str | None:
    """ "INC-12", "inc-012" or "12" as "INC-12"; None when `word` is not an incident reference."""
    match = _REF.fullmatch(word)
    return f"INC-{int(match.group(1))}" if match else None


def _first_word(text: str) -> tuple[str, str]:
    """The first word and the rest, split at any whitespace (people type tabs and newlines too)."""
    parts = text.split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0] if parts else "", "")


def _optional_ref(words: list[str], verb: Verb) -> str | None:
    if not words:
        return None
    if len(words) > 1:
        raise SlashCommandError(f"`{verb}` takes at most one incident reference, got {_quoted(' '.join(words))}.", verb)
    ref = normalise_ref(words[0])
    if ref is None:
        raise SlashCommandError(f"{_quoted(words[0])} is not an incident reference such as INC-12.", verb)
    return ref


def _parse_create(rest: str) -> SlashCommand:
    words = rest.split()
    severity = None
    if words and _SEVERITY.fullmatch(words[-1]):
        severity = words[-1].upper()
        words = words[:-1]
    if not words:
        raise SlashCommandError("An incident needs a title.", "create")
    # Keep the title's own spacing; only drop the severity word and surrounding blanks.
    title = rest.strip()
    if severity is not None:
        title = title[: -len(severity)].rstrip()
    return SlashCommand("create", title=title, severity=severity)


def _parse_update(rest: str) -> SlashCommand:
    ref = status = None
    first, remainder = _first_word(rest)
    if _PREFIXED_REF.fullmatch(first):
        ref = normalise_ref(first)
        rest = remainder
    first, remainder = _first_word(rest)
    if first.rstrip(":").lower() in _UPDATE_STATUSES:
        status, rest = first.rstrip(":").capitalize(), remainder
    pieces = _UPDATE_LABEL.split(rest)  # [text, label, value, label, value, ...]
    labelled: dict[str, str] = {}
    for label, value in zip(pieces[1::2], pieces[2::2], strict=True):
        label = label.lower()
        if label in labelled:
            raise SlashCommandError(f"`{label}:` is given twice.", "update")
        labelled[label] = value.strip()
    text = pieces[0].strip()
    if not (text or labelled.get("known") or labelled.get("doing")):
        raise SlashCommandError("An update needs some text to post: what we know, what we are doing, or both.",
                                "update")
    return SlashCommand("update", ref=ref, text=text, status=status, known=labelled.get("known"),
                        doing=labelled.get("doing"), next_in=labelled.get("next"))


def _parse_escalate(rest: str) -> SlashCommand:
    ref = None
    first, remainder = _first_word(rest)
    if _PREFIXED_REF.fullmatch(first):  # "INC-" needed, as for update: "escalate 2 people needed" is text
        ref, rest = normalise_ref(first), remainder
    pieces = _ACTIONS_LABEL.split(rest, maxsplit=1)
    actions = pieces[1].strip() if len(pieces) == 2 else ""
    return SlashCommand("escalate", ref=ref, text=pieces[0].strip(), actions=actions)


def _parse_severity(words: list[str]) -> SlashCommand:
    if not words:
        raise SlashCommandError("Say which severity: P1, P2, P3 or P4.", "severity")
    if not _SEVERITY.fullmatch(words[0]):
        raise SlashCommandError(f"{_quoted(words[0])} is not a severity; use P1, P2, P3 or P4.", "severity")
    return SlashCommand("severity", severity=words[0].upper(), ref=_optional_ref(words[1:], "severity"))


def parse_duration(word: str) -> timedelta:
    """ "30m", "4h" or "2d" as a timedelta; raises SlashCommandError (for `override`) otherwise."""
    match = _DURATION.fullmatch(word)
    if match is None:
        hint = " needs a unit" if word.isdigit() else " is not a duration"
        raise SlashCommandError(f"{_quoted(word)}{hint}: write it like 30m, 4h or 2d.", "override")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount == 0:
        raise SlashCommandError("An override must last longer than zero.", "override")
    # Caps the amount before timedelta sees it: "999999d" would overflow.
    if amount > MAX_OVERRIDE / timedelta(**{_DURATION_UNITS[unit]: 1}):
        raise SlashCommandError(
            f"{_quoted(word)} is too long; an override lasts at most {MAX_OVERRIDE.days}d.", "override"
        )
    return timedelta(**{_DURATION_UNITS[unit]: amount})


def _parse_override(words: list[str]) -> SlashCommand:
    if len(words) < 3:
        raise SlashCommandError("An override needs a schedule, a person and how long.", "override")
    schedule, user, duration = words[0], " ".join(words[1:-1]), parse_duration(words[-1])
    return SlashCommand("override", schedule=schedule, user=user, duration=duration)


def parse_slash_command(text: str) -> SlashCommand:
    """Parse the `text` field of an `/incident` request (everything after the command)."""
    verb_word, rest = _first_word(unescape_slack_text(text))
    verb = verb_word.lower()
    words = rest.split()
    if verb in ("", "help"):
        return SlashCommand("help")
    if verb == "create":
        return _parse_create(rest)
    if verb == "ack":
        return SlashCommand("ack", ref=_optional_ref(words, "ack"))
    if verb == "resolve":
        return SlashCommand("resolve", ref=_optional_ref(words, "resolve"))
    if verb == "update":
        return _parse_update(rest)
    if verb == "escalate":
        return _parse_escalate(rest)
    if verb == "severity":
        return _parse_severity(words)
    if verb == "oncall":
        return SlashCommand("oncall", schedule=" ".join(words) or None)
    if verb == "override":
        return _parse_override(words)
    commands = ", ".join(verb for verb in USAGE)
    raise SlashCommandError(f"Unknown command {_quoted(verb_word)}. Commands: {commands}.")
