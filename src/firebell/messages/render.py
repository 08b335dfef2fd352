"""Rendering one purpose for one channel: choose the template, render each part in the sandbox, enforce
the channel's limits, and fall back to the built-in when a configured template fails.

Which template: a service's override (the incident's services, in order) before the organisation's,
before the built-in; per part, so an override of an email's text keeps the built-in subject.

The failure rule: a template from the config tree that fails at run time (an undefined variable, a
sandbox refusal, a filter given the wrong type) never costs the message. The built-in text is
rendered instead and the failure is an event on the incident's timeline, once per (template, part)
and incident. A built-in that fails is a bug and raises.

Limits, after rendering (a template cannot know how long the incident's title is): Slack text
3,000 characters (a section block's limit); an SMS one segment where the text allows (the title
shortened first, see `_fit_sms`); an email subject one line of at most 200 characters; a call's words
1,000 characters. Each cut shows a visible mark (core/message_text.TRUNCATION_MARK).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firebell.core.message_text import clip
from firebell.core.timeline.messages import TemplateFellBack
from firebell.incidents import timeline
from firebell.incidents.models import Incident
from firebell.messages import catalogue, context
from firebell.messages.reference import reference
from firebell.messages.sandbox import compiled
from firebell.notify.channels.base import Rendered
from firebell.notify.channels.phone import fits_one_sms

log = logging.getLogger(__name__)
SLACK_TEXT_MAX = 3000
SUBJECT_MAX = 200
VOICE_MAX = 1000
CHAT_TEXT_MAX = 4000
ORGANISATION = "organisation"
BUILT_IN = "built-in"


@dataclass(frozen=True)
class Override:
    service: str  # "" for the organisation's
    parts: Mapping[str, str]
    origin: str = ""

    @property
    def source(self) -> str:
        return f"service {self.service}" if self.service else ORGANISATION


@dataclass(frozen=True)
class Outcome:
    rendered: Rendered
    sources: Mapping[str, str]  # part -> "built-in", "organisation", "service api"
    fell_back: list[tuple[str, str, str]] = field(default_factory=list)  # (part, source, error)


def overrides(session: Session, purpose: str, channel: str) -> list[Override]:
    """The config tree's templates for (purpose, channel), from the reference cache."""
    return [Override(service, parts, origin)
            for service, parts, origin in reference(session).templates.get((purpose, channel), [])]


def _choose(part: str, services: Sequence[str], found: Iterable[Override]) -> Override | None:
    by_service = {o.service: o for o in found if part in o.parts}
    for service in services:
        if service in by_service:
            return by_service[service]
    return by_service.get("")


def render(purpose: str, channel: str, values: Mapping[str, Any], found: Iterable[Override] = (), *,
           services: Sequence[str] = ()) -> Outcome:
    """Every part of (purpose, channel) from `values` (messages/context.py). `found`: the config
    tree's overrides for this purpose and channel; `services`: the incident's, most specific first."""
    if purpose not in catalogue.PURPOSES or channel not in catalogue.PURPOSES[purpose].channels:
        raise KeyError(f"no message {purpose!r} for channel {channel!r}")
    found = list(found)
    out: dict[str, str] = {}
    sources: dict[str, str] = {}
    fell_back: list[tuple[str, str, str]] = []
    for part in catalogue.parts_of(channel):
        builtin_text = catalogue.builtin(purpose, channel, part)
        chosen = _choose(part, services, found)
        escaping = catalogue.escaping(channel, part)
        if chosen is not None:
            try:
                out[part] = _finish(channel, part, compiled(escaping, chosen.parts[part]).render(values), values,
                                    chosen.parts[part], escaping)
                sources[part] = chosen.source
                continue
            except Exception as exc:  # any failure of a user's template: fall back, never lose the message
                fell_back.append((part, chosen.source, f"{type(exc).__name__}: {exc}"[:500]))
        out[part] = _finish(channel, part, compiled(escaping, builtin_text).render(values) if builtin_text else "",
                            values, builtin_text, escaping)
        sources[part] = BUILT_IN
    return Outcome(Rendered(**{k: v for k, v in out.items() if k in ("subject", "text", "html", "title")},
                            **({"text": out["body"]} if "body" in out else {})), sources, fell_back)


def _finish(channel: str, part: str, text: str, values: Mapping[str, Any], source: str, escaping: str) -> str:
    text = text.strip("\n")
    if channel == "slack":
        return clip(text, SLACK_TEXT_MAX)
    if channel == "sms":
        return _fit_sms(text, values, source, escaping)
    if part == "subject":
        return clip(" ".join(text.split()), SUBJECT_MAX)
    if channel == "voice":
        return clip(" ".join(text.split()), VOICE_MAX)
    if channel == "chat":
        return clip(text, CHAT_TEXT_MAX)
    return text


def _fit_sms(text: str, values: Mapping[str, Any], source: str, escaping: str) -> str:
    """One SMS segment where the text allows: the incident's title (then summary) is shortened before
    anything else, so the reply codes at the end survive; only if that is not enough is the end cut."""
    text = " ".join(text.split())
    if fits_one_sms(text):
        return text
    incident = values.get("incident")
    if isinstance(incident, Mapping):
        for name in ("title", "summary"):
            original = str(incident.get(name) or "")
            low, high = 0, len(original)
            best = None
            while low <= high:  # the longest shortened value that still fits
                middle = (low + high) // 2
                shortened = dict(values) | {"incident": dict(incident) | {name: clip(original, middle, "...")}}
                candidate = " ".join(compiled(escaping, source).render(shortened).split())
                if fits_one_sms(candidate):
                    best, low = candidate, middle + 1
                else:
                    high = middle - 1
            if best is not None:
                return best
    return text  # the channel cuts it at the provider's limit


def for_incident(session: Session, purpose: str, channel: str, incident: Incident, now: datetime, *,
                 public_url: str = "", extra: Mapping[str, Mapping[str, Any]] | None = None,
                 links: Mapping[str, str] | None = None, values: Mapping[str, Any] | None = None) -> Rendered:
    """`render` against the incident as it is now; a configured template that failed is a timeline
    event (in the caller's transaction) and its part is the built-in's. `values`: a context built
    before (`context.build`), when one message goes to many channels or recipients."""
    if values is None:
        values = context.build(session, purpose, incident, now, public_url=public_url, extra=extra, links=links)
    outcome = with_overrides(session, purpose, channel, values)
    record_fallbacks(session, incident, purpose, channel, outcome, now)
    return outcome.rendered


def with_overrides(session: Session, purpose: str, channel: str, values: Mapping[str, Any]) -> Outcome:
    """`render` with the config tree's overrides for the incident's services in `values`; writes nothing."""
    return render(purpose, channel, values, overrides(session, purpose, channel),
                  services=list(values["incident"]["services"]))


def record_fallbacks(session: Session, incident: Incident, purpose: str, channel: str, outcome: Outcome,
                     now: datetime) -> None:
    """Each configured part that failed and was replaced by the built-in, on the incident's timeline."""
    for part, source, error in outcome.fell_back:
        log.warning("template %s/%s.%s (%s) failed on %s: %s", purpose, channel, part, source, incident.ref, error)
        timeline.append(session, incident.id, TemplateFellBack(purpose=purpose, channel=f"{channel}", source=source,
                                                               error=f"{part}: {error}"), at=now)
