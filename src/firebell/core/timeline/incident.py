"""Events about the incident itself: its lifecycle, people and details (written by incidents/ and
escalation/), and its stakeholder-update reminders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.schema import OPTIONAL, Payload, Record, Who, stored_as
from firebell.core.timeline.words import (
    clock,
    colon,
    line,
    listing,
    name,
    person,
    quoted,
    severity_move,
    subject,
    through,
    words,
)


@dataclass(frozen=True)
class AlertRef(Record):
    """The alert an event is about, as ingestion describes it."""

    dedup_key: str
    summary: str
    source: str
    severity: str
    format: str
    alert_id: str


@dataclass(frozen=True)
class Declared(Payload):
    event_kind = EventKind.DECLARED
    title: str
    severity: str
    stage: str
    tags: list[str]
    services: list[str] | None = field(default=None, metadata=OPTIONAL)  # declared by a person
    private: bool | None = field(default=None, metadata=OPTIONAL)
    source: str | None = field(default=None, metadata=OPTIONAL)  # opened by an alert: "alert", its group and the alert
    group_key: str | None = field(default=None, metadata=OPTIONAL)
    alert: AlertRef | None = field(default=None, metadata=OPTIONAL)

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        if self.alert is not None:
            origin = line(self.alert.source or self.alert.format)
            return (f"Alert {quoted(self.alert.dedup_key)}" + (f" from {origin}" if origin else "")
                    + f" opened the incident at {name(self.severity)}: {quoted(self.title)}")
        affecting = f" affecting {listing(self.services)}" if self.services else ""
        private = " (private)" if self.private else ""
        return f"{subject(who)} declared {name(self.severity)} {quoted(self.title)}{affecting}{private}{through(who)}"


@dataclass(frozen=True)
class Acknowledged(Payload):
    event_kind = EventKind.ACKNOWLEDGED
    via: str | None = field(default=None, metadata=OPTIONAL)  # acknowledged by an alert: its format and key
    alert: str | None = field(default=None, metadata=OPTIONAL)

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        if self.alert is not None:
            return f"Acknowledged by alert {quoted(self.alert)}" + (f" ({line(self.via)})" if self.via else "")
        return f"{subject(who)} acknowledged{through(who)}"


@dataclass(frozen=True)
class Resolved(Payload):
    event_kind = EventKind.RESOLVED
    resolution: str
    automatic: bool | None = field(default=None, metadata=OPTIONAL)

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        if self.automatic:
            return f"Resolved automatically{colon(self.resolution)}"
        return f"{subject(who)} resolved the incident{through(who)}{colon(self.resolution)}"


@dataclass(frozen=True)
class Reopened(Payload):
    event_kind = EventKind.REOPENED
    reason: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"{subject(who)} reopened the incident{through(who)}{colon(self.reason)}"


@dataclass(frozen=True)
class StageChanged(Payload):
    event_kind = EventKind.STAGE_CHANGED
    from_: str = field(metadata=stored_as("from"))
    to: str
    # The status change that moved it ("acknowledged", "resolved"); None when a person moved it.
    reason: str | None = field(default=None, metadata=OPTIONAL)

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        move = f"from {words(self.from_)} to {words(self.to)}"
        if self.reason is not None:
            return f"Stage moved {move} as the incident was {line(self.reason) or 'changed'}"
        return f"{subject(who)} moved the stage {move}"

    def titled(self, stages: Mapping[str, str]) -> StageChanged:
        return replace(self, from_=stages.get(self.from_) or self.from_, to=stages.get(self.to) or self.to)


@dataclass(frozen=True)
class NoteAdded(Payload):
    event_kind = EventKind.NOTE_ADDED
    text: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"{subject(who)} noted{colon(self.text)}" if line(self.text) else f"{subject(who)} added a note"


@dataclass(frozen=True)
class StatusUpdate(Payload):
    """A stakeholder update (core/stakeholder_updates.py). `message` is its free text; the structured
    fields came later, so an update recorded before them reads with them empty."""

    event_kind = EventKind.STATUS_UPDATE
    message: str
    status: str
    known: str = ""
    doing: str = ""
    next_update_at: str | None = field(default=None, metadata=OPTIONAL)  # ISO instant; None: none promised

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        status = f" ({line(self.status)})" if line(self.status) else ""
        parts = [f"known{colon(self.known)}" if line(self.known) else "",
                 f"doing{colon(self.doing)}" if line(self.doing) else "", line(self.message),
                 f"next update at {clock(self.next_update_at)}" if self.next_update_at else ""]
        said = "; ".join(part.rstrip(".;") for part in parts if part)
        return f"{subject(who)} posted a status update{status}{through(who)}{colon(said)}"


@dataclass(frozen=True)
class SeverityChanged(Payload):
    event_kind = EventKind.SEVERITY_CHANGED
    from_: str = field(metadata=stored_as("from"))
    to: str
    reason: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        move = severity_move(self.from_, self.to)
        change = f"{name(self.from_)} -> {name(self.to)}"
        if who.name is None:
            return f"Severity {move} {change}{colon(self.reason)}"
        return f"{subject(who)} {move} the severity {change}{colon(self.reason)}"


@dataclass(frozen=True)
class RoleAssigned(Payload):
    event_kind = EventKind.ROLE_ASSIGNED
    role: str
    user: str
    previous: str | None

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        was = f" (was {person(self.previous, people)})" if self.previous is not None else ""
        return f"{subject(who)} made {person(self.user, people)} {words(self.role)}{was}"

    def user_names(self) -> tuple[str, ...]:
        return (self.user,) + ((self.previous,) if self.previous is not None else ())


@dataclass(frozen=True)
class RoleUnassigned(Payload):
    event_kind = EventKind.ROLE_UNASSIGNED
    role: str
    user: str | None

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"{subject(who)} took {words(self.role)} from {person(self.user, people)}"

    def user_names(self) -> tuple[str, ...]:
        return (self.user,) if self.user is not None else ()


@dataclass(frozen=True)
class ResponderAdded(Payload):
    event_kind = EventKind.RESPONDER_ADDED
    user: str
    message: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"{subject(who)} added {person(self.user, people)} as a responder{colon(self.message)}"

    def user_names(self) -> tuple[str, ...]:
        return (self.user,)


@dataclass(frozen=True)
class TextChange(Record):
    from_: str = field(metadata=stored_as("from"))
    to: str


@dataclass(frozen=True)
class TagsChange(Record):
    from_: list[str] = field(metadata=stored_as("from"))
    to: list[str]


@dataclass(frozen=True)
class FlagChange(Record):
    from_: bool = field(metadata=stored_as("from"))
    to: bool


@dataclass(frozen=True)
class DetailsChanged(Payload):
    """Only the details that changed are present."""

    event_kind = EventKind.DETAILS_CHANGED
    title: TextChange | None = field(default=None, metadata=OPTIONAL)
    summary: TextChange | None = field(default=None, metadata=OPTIONAL)
    impact: TextChange | None = field(default=None, metadata=OPTIONAL)
    tags: TagsChange | None = field(default=None, metadata=OPTIONAL)
    private: FlagChange | None = field(default=None, metadata=OPTIONAL)

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        parts = []
        if self.title is not None:
            parts.append(f"the title to {quoted(self.title.to)}")
        parts += [what for what, change in (("the summary", self.summary), ("the impact", self.impact)) if change]
        if self.tags is not None:
            parts.append(f"the tags to {listing(self.tags.to)}" if self.tags.to else "the tags to none")
        if self.private is not None:
            parts.append("made the incident private" if self.private.to else "made the incident visible to all")
        return f"{subject(who)} changed {listing(parts) if parts else 'nothing'}"


@dataclass(frozen=True)
class Escalated(Payload):
    """A person asked for a level to be paged now, saying what help is needed and what was done so far
    (TenSafe "Escalation Communication"; the pages of the level carry both)."""

    event_kind = EventKind.ESCALATED
    level: int
    loop: int
    manual: bool
    help: str | None = field(default=None, metadata=OPTIONAL)
    actions: str | None = field(default=None, metadata=OPTIONAL)

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        again = f" (round {self.loop + 1})" if self.loop > 0 else ""
        asked = "; ".join(part for part in (self.help and f"help needed: {line(self.help)}",
                                             self.actions and f"actions taken: {line(self.actions)}") if part)
        return f"{subject(who)} escalated to level {self.level}{again}{through(who)}{colon(asked)}"


@dataclass(frozen=True)
class Reassigned(Payload):
    event_kind = EventKind.REASSIGNED
    to: str  # "policy <name>" or "user <name>"

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"{subject(who)} reassigned the escalation to {line(self.to) or 'nobody'}"


@dataclass(frozen=True)
class _UpdateReminder(Payload):
    due_at: str  # ISO instant
    reminded: list[str]
    unreminded: str | None  # why nobody was reminded

    def _reminded(self, people: Mapping[str, str]) -> str:
        if self.reminded:
            return f"reminded {listing(self.reminded, people)}"
        return f"nobody reminded ({line(self.unreminded)})" if self.unreminded else "nobody reminded"

    def user_names(self) -> tuple[str, ...]:
        return tuple(self.reminded)


@dataclass(frozen=True)
class UpdateDue(_UpdateReminder):
    event_kind = EventKind.UPDATE_DUE

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"Stakeholder update due at {clock(self.due_at)}: {self._reminded(people)}"


@dataclass(frozen=True)
class UpdateOverdue(_UpdateReminder):
    event_kind = EventKind.UPDATE_OVERDUE

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"Stakeholder update due at {clock(self.due_at)} is overdue: {self._reminded(people)}"
