"""Events about what the public status page says of an incident (statuspage/): a public incident
opened for it, and each update of that public incident. The payload holds the public words only
(the public name and status), which anyone may read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.schema import Payload, Who
from firebell.core.timeline.words import line, subject


def _status_words(status: str) -> str:
    return " ".join(line(status).replace("_", " ").split()) or "updated"


@dataclass(frozen=True)
class PublicIncidentOpened(Payload):
    """A public incident now speaks for this incident; `draft`: it waits for the comms lead to publish."""

    event_kind = EventKind.PUBLIC_INCIDENT_OPENED
    public_incident: str  # its public id
    name: str  # its public name
    status: str
    draft: bool = False
    automatic: bool = False  # opened by the severity's policy, not by a person

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        how = "The severity's policy opened" if self.automatic else f"{subject(who)} opened"
        state = "a draft public incident" if self.draft else "a public incident"
        return f"{how} {state} on the status page: {line(self.name) or 'untitled'} ({_status_words(self.status)})"


@dataclass(frozen=True)
class PublicIncidentUpdated(Payload):
    """The public incident that speaks for this incident was updated (or published, or resolved)."""

    event_kind = EventKind.PUBLIC_INCIDENT_UPDATED
    public_incident: str
    name: str
    status: str
    published: bool = False  # this update published a draft

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        verb = "published" if self.published else "updated"
        return (f"{subject(who)} {verb} the public incident {line(self.name) or 'untitled'} on the status page: "
                f"{_status_words(self.status)}")


@dataclass(frozen=True)
class PublicResolutionProposed(Payload):
    """This incident was resolved, and a resolved update of its public incident waits for the comms
    lead to publish it (the severity's policy says `publish: draft`)."""

    event_kind = EventKind.PUBLIC_RESOLUTION_PROPOSED
    public_incident: str
    name: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return (f"A resolved update of the public incident {line(self.name) or 'untitled'} waits for the comms lead "
                "to publish it")
