"""Events about what was said of an incident (messages/): a message sent to an audience, and a
configured template that failed and was replaced by the built-in text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.schema import Payload, Who
from firebell.core.timeline.words import channel, line


def _purpose_words(purpose: str) -> str:
    return line(purpose).replace("_", " ") or "a message"


@dataclass(frozen=True)
class MessageSent(Payload):
    """A message (an update, the customer email...) delivered to an audience: a Slack channel, a
    stakeholder list, a customer, a webhook."""

    event_kind = EventKind.MESSAGE_SENT
    purpose: str  # messages/catalogue.py: "update", "customer_email", ...
    channel: str
    audience: str  # "#incident-comms", "stakeholders: executives", "Acme Corp <ops@acme.example>"
    detail: str = ""

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        detail = f" ({line(self.detail)})" if line(self.detail) else ""
        return (f"Sent the {_purpose_words(self.purpose)} message by {channel(self.channel)} "
                f"to {line(self.audience) or 'its audience'}{detail}")


@dataclass(frozen=True)
class TemplateFellBack(Payload):
    """A template from the config tree failed to render; the built-in text went instead."""

    event_kind = EventKind.TEMPLATE_FELL_BACK
    purpose: str
    channel: str
    source: str  # "organisation", "service api"
    error: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return (f"The {line(self.source) or 'configured'} template for the {_purpose_words(self.purpose)} message "
                f"({channel(self.channel)}) failed, so the built-in text was used: {line(self.error) or 'error'}")
