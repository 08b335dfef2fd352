"""Pieces of the sentences events render to: one line each, whatever people typed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from firebell.core.timeline.schema import Who

_CHANNELS = {"sms": "SMS", "voice": "voice call", "email": "email", "slack": "Slack", "webhook": "webhook",
             "chat": "chat", "slack_mention": "Slack mention", "google_chat": "Google Chat",
             "teams": "Microsoft Teams", "api": "the API", "cli": "the CLI", "web": "the web console",
             "link": "a link in the page"}
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def line(text: object) -> str:
    """`text` on one line: every run of white space (newlines included) as one space."""
    return " ".join(str(text).split())


def name(value: object) -> str:
    """A key or name (a severity, a stage) as written, or "(none)" when it is empty."""
    return line(value) or "(none)"


def colon(text: object) -> str:
    """": text" after a sentence's head, or nothing when there is no text."""
    shown = line(text)
    return f": {shown}" if shown else ""


def quoted(text: object) -> str:
    return f"\u201c{line(text)}\u201d"


def channel(name: str) -> str:
    return _CHANNELS.get(name, line(name) or "an unknown channel")


def subject(who: Who) -> str:
    """Who did it, as the sentence's subject."""
    return (line(who.name) if who.name is not None else "") or "Firebell"


def through(who: Who) -> str:
    """" via Slack", or nothing when the channel is not known."""
    return f" via {channel(who.via)}" if who.via else ""


def person(name: str | None, people: Mapping[str, str]) -> str:
    if name is None:
        return "someone"
    return line(people.get(name) or name) or "someone"


def listing(items: Iterable[str], people: Mapping[str, str] | None = None) -> str:
    """"a, b and c"; "nobody" for none."""
    shown = [person(i, people) if people is not None else line(i) for i in items]
    shown = [s for s in shown if s]
    if not shown:
        return "nobody"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def target(label: str) -> str:
    """An escalation target's label as words: "schedule:primary" -> "schedule primary"."""
    kind, _, name = label.partition(":")
    return line(f"{kind} {name}" if name else kind) or "an unnamed target"


def words(name: str) -> str:
    """A configured name as words: "communications_lead" -> "communications lead"."""
    return line(name.replace("_", " ")) or "(unnamed)"


def clock(iso: str) -> str:
    """An ISO instant as "14:05 UTC"; as written when it is not one."""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return line(iso) or "an unknown time"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return f"{at.astimezone(UTC):%H:%M} UTC"


def severity_move(before: str, after: str) -> str:
    """"raised" when `after` is the more severe of two numbered levels (P2 -> P1), "lowered" for
    the opposite, "changed" when the keys do not say."""
    a, b = _TRAILING_NUMBER.match(before), _TRAILING_NUMBER.match(after)
    if a and b and a.group(1) == b.group(1) and int(a.group(2)) != int(b.group(2)):
        return "raised" if int(b.group(2)) < int(a.group(2)) else "lowered"
    return "changed"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
