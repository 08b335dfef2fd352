"""The catalogue: each event kind's payload schema, and the sentence any stored event renders to.

Readers (the API, the CLI through it, Slack, post-mortems, KPIs, exports) go through `render`, so
an old row whose kind is unknown or whose payload does not fit its schema still reads as a
sentence (a generic one) and never as an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from firebell.core.timeline import incident, messages, paging, status_page
from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.schema import Payload, Unfit, Who
from firebell.core.timeline.words import line, subject, through, words

CATALOGUE: dict[EventKind, type[Payload]] = {cls.event_kind: cls for cls in (
    incident.Declared, incident.Acknowledged, incident.Resolved, incident.Reopened, incident.StageChanged,
    incident.NoteAdded, incident.StatusUpdate, incident.SeverityChanged, incident.RoleAssigned,
    incident.RoleUnassigned, incident.ResponderAdded, incident.DetailsChanged, incident.UpdateDue,
    incident.UpdateOverdue, incident.Escalated, incident.Reassigned,
    paging.AlertAttached, paging.AlertRefired, paging.AlertResolved, paging.EscalationStep,
    paging.EscalationTrigger, paging.EscalationExhausted, paging.NotificationSent, paging.NotificationFailed,
    paging.NotificationFailover, paging.NotificationCancelled, paging.NotificationUncertain,
    paging.NotificationHeld, paging.NotificationBundled, paging.NotificationUndelivered,
    paging.PageUndeliverable, paging.SlackMessageFailed, messages.MessageSent, messages.TemplateFellBack,
    messages.CustomerEmailDrafted, messages.CustomerEmailApproved, messages.CustomerEmailSent,
    messages.CustomerEmailDiscarded, status_page.PublicIncidentOpened, status_page.PublicIncidentUpdated,
    status_page.PublicResolutionProposed)}


@dataclass(frozen=True)
class Rendered:
    text: str
    data: Payload | None  # None: the kind is unknown or the payload does not fit its schema


def read(type_: str, payload: object) -> Payload | None:
    """The typed payload of a stored event, or None when it is not one the catalogue knows."""
    try:
        cls = CATALOGUE[EventKind(type_)]
    except ValueError:
        return None
    try:
        return cls.from_json(payload)
    except Unfit:
        return None


def render(type_: str, payload: object, actor: str, people: Mapping[str, str] | None = None,
           stages: Mapping[str, str] | None = None) -> Rendered:
    """The sentence for a stored event. `actor` is its actor label; `people` maps the user names
    its payload holds to full names (see `user_names`), where the reader looked them up; `stages`
    maps lifecycle stage keys to their titles ("contain" -> "Contain")."""
    return render_read(type_, read(type_, payload), actor, people, stages)


def render_read(type_: str, data: Payload | None, actor: str, people: Mapping[str, str] | None = None,
                stages: Mapping[str, str] | None = None) -> Rendered:
    """`render` of an event whose payload was already `read`: a page that first collects the names
    its events hold (`names_in`) then renders them parses each payload once, not twice."""
    who = Who.from_label(actor)
    if data is None:
        return Rendered(generic(type_, who), None)
    return Rendered(data.titled(stages or {}).sentence(who, people or {}), data)


def generic(type_: str, who: Who) -> str:
    """The sentence of an event the catalogue cannot read: its name as words, and who."""
    what = words(type_) if line(type_) else "an event"
    return f"{subject(who)}: {what}{through(who)}"


def user_names(events: list[tuple[str, object]]) -> set[str]:
    """The user names the (type, payload) events refer to, for looking up their full names."""
    return names_in([read(type_, payload) for type_, payload in events])


def names_in(read_payloads: list[Payload | None]) -> set[str]:
    """`user_names` of payloads already `read`."""
    found: set[str] = set()
    for data in read_payloads:
        if data is not None:
            found.update(data.user_names())
    return found
