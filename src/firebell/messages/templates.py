"""What the templates are and what they say: the one service behind `firebell template ...`,
/api/v1/templates and the console's editor (/admin/templates).

Reading only: the config tree's `templates:` section stays the source of truth (config apply writes
the overrides), so a preview of text not yet saved renders it without storing it, and without the
timeline event a failing template writes when a real message is sent (messages/render.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import yaml
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.errors import Invalid, NotFound
from firebell.incidents import queries
from firebell.messages import catalogue, context, render, variables
from firebell.messages.reference import reference
from firebell.messages.sandbox import check

SAMPLE = "sample"
UNSAVED = "unsaved"
_UNSAVED_SCOPE = "\x00unsaved"  # an override scope no configured service can have: the unsaved text wins


@dataclass(frozen=True)
class PartText:
    part: str
    source: str  # built-in, organisation, service api
    text: str
    services: tuple[str, ...] = ()  # services with their own override of this part (listing only)


@dataclass(frozen=True)
class ChannelParts:
    channel: str
    parts: list[PartText]


@dataclass(frozen=True)
class PurposeTexts:
    name: str
    title: str
    wording: str  # where the built-in's words come from
    channels: list[ChannelParts]


@dataclass(frozen=True)
class Problem:
    part: str
    line: int
    message: str


@dataclass(frozen=True)
class Preview:
    purpose: str
    channel: str
    incident: str  # its reference, or "sample"
    parts: dict[str, str]
    sources: dict[str, str]
    fell_back: list[Problem] = field(default_factory=list)  # failed while rendering: the line is 0


class TemplateProblems(Invalid):
    """Unsaved template text that does not parse or uses a variable its purpose lacks."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.part} line {p.line}: {p.message}" for p in problems))
        self.problems = problems


def purpose_of(name: str) -> catalogue.Purpose:
    found = catalogue.PURPOSES.get(name)
    if found is None:
        raise NotFound(f"no template {name!r}; templates: {', '.join(catalogue.PURPOSES)}")
    return found


def channel_of(purpose: catalogue.Purpose, channel: str | None) -> str:
    if channel is None:
        return purpose.channels[0]
    if channel not in purpose.channels:
        raise Invalid(f"'{purpose.name}' is not rendered for channel '{channel}'; its channels: "
                      f"{', '.join(purpose.channels)}")
    return channel


def effective(session: Session, name: str, service: str | None = None) -> PurposeTexts:
    """The text of every part on every channel: the service's override, else the organisation's, else
    the built-in. Without `service`, each part also names the services that override it."""
    purpose = purpose_of(name)
    channels = []
    for channel in purpose.channels:
        found = render.overrides(session, name, channel)
        parts = []
        for part in catalogue.parts_of(channel):
            having = {o.service: o for o in found if part in o.parts}
            chosen = having.get(service or "") or having.get("")
            others = () if service else tuple(sorted(s for s in having if s))
            if chosen is not None:
                parts.append(PartText(part, chosen.source, chosen.parts[part], others))
            else:
                parts.append(PartText(part, render.BUILT_IN, catalogue.builtin(name, channel, part), others))
        channels.append(ChannelParts(channel, parts))
    return PurposeTexts(purpose.name, purpose.title, purpose.source, channels)


def listing(session: Session) -> list[PurposeTexts]:
    return [effective(session, name) for name in catalogue.PURPOSES]


def variables_of(name: str) -> list[tuple[str, str]]:
    """(dotted name, meaning) for every variable the purpose's templates may use."""
    out: list[tuple[str, str]] = []
    for top, value in variables.known(purpose_of(name).name).items():
        if isinstance(value, dict):
            out += [(f"{top}.{field_name}", meaning) for field_name, meaning in value.items()]
        else:
            out.append((top, value))
    return out


def problems_in(name: str, channel: str, unsaved: Mapping[str, str]) -> list[Problem]:
    parts = catalogue.parts_of(channel)
    problems = [Problem(part, 1, f"channel '{channel}' has no part '{part}'; its parts: {', '.join(parts)}")
                for part in unsaved if part not in parts]
    for part, text in unsaved.items():
        if part in parts:
            problems += [Problem(part, p.line, p.message)
                         for p in check(text, name, catalogue.escaping(channel, part))]
    return problems


def preview(session: Session, actor: Actor, name: str, *, channel: str | None, now: datetime,
            incident_ref: str | None = None, service: str | None = None,
            unsaved: Mapping[str, str] | None = None, public_url: str = "") -> Preview:
    """Render (purpose, channel) against the incident (one the actor may see: else NotFound, as the
    incident API answers) or the sample, with `unsaved` texts winning over what is configured.
    Unsaved text with problems is refused (TemplateProblems) before anything is rendered."""
    purpose = purpose_of(name)
    channel = channel_of(purpose, channel)
    unsaved = {part: text for part, text in (unsaved or {}).items()}
    problems = problems_in(name, channel, unsaved)
    if problems:
        raise TemplateProblems(problems)
    if incident_ref and not catalogue.about_status_page(name):  # a subscriber's mail shows no internal incident
        incident = queries.find(session, actor, incident_ref)
        values = context.build(session, name, incident, now, public_url=public_url)
        services = list(values["incident"]["services"])
        shown = incident.ref
    else:
        values = context.sample(name, now, org_name=reference(session).org_name)
        services = list(values["incident"].get("services", []))
        if service and not catalogue.about_status_page(name):
            values["incident"] |= {"service": service, "services": [service]}
        shown = SAMPLE
    if service:
        services = [service, *[s for s in services if s != service]]
    found = render.overrides(session, name, channel)
    if unsaved:
        found.append(render.Override(_UNSAVED_SCOPE, unsaved))
        services = [_UNSAVED_SCOPE, *services]
    outcome = render.render(name, channel, values, found, services=services)
    rendered = outcome.rendered
    texts = {"subject": rendered.subject, "text": rendered.text, "html": rendered.html, "title": rendered.title}
    parts = {part: texts["text" if part == "body" else part] for part in catalogue.parts_of(channel)}
    sources = {part: UNSAVED if source == f"service {_UNSAVED_SCOPE}" else source
               for part, source in outcome.sources.items()}
    fell_back = [Problem(part, 0, f"{UNSAVED if source == f'service {_UNSAVED_SCOPE}' else source} template "
                                  f"failed, the built-in was used: {error}")
                 for part, source, error in outcome.fell_back]
    return Preview(name, channel, shown, parts, sources, fell_back)


class _EntryDumper(yaml.SafeDumper):
    """Lists indented under their key, and text of several lines as a literal block (`|`), as a
    person writes a template in the tree."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_EntryDumper.add_representer(str, _text)


def config_entry(name: str, channel: str, service: str | None, parts: Mapping[str, str]) -> str:
    """The config tree's `templates:` entry that makes `parts` what (name, channel[, service]) says:
    only the parts that differ from the built-in ("" when none does: no entry is needed)."""
    changed = {part: text for part, text in parts.items() if text.strip() != catalogue.builtin(name, channel, part)
               .strip()}
    if not changed:
        return ""
    entry: dict[str, str] = {"purpose": name, "channel": channel} | ({"service": service} if service else {})
    return yaml.dump({"templates": [entry | changed]}, Dumper=_EntryDumper, sort_keys=False, allow_unicode=True,
                     width=1000)
