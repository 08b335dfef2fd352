"""Events about what was said of an incident (messages/): a message sent to an audience, and a
configured template that failed and was replaced by the built-in text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.schema import Payload, Who
from firebell.core.timeline.words import channel, colon, line, subject


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


@dataclass(frozen=True)
class CustomerEmailDrafted(Payload):
    """The customer email was written or rewritten (core/customer_email.py); `recipients`: how many
    customers of the incident's services it would reach as the tree stands."""

    event_kind = EventKind.CUSTOMER_EMAIL_DRAFTED
    draft: str  # the draft's id
    recipients: int
    revised: bool = False

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        what = "revised the draft of" if self.revised else "drafted"
        many = "customer" if self.recipients == 1 else "customers"
        return f"{subject(who)} {what} the customer email, for {self.recipients} {many}"


@dataclass(frozen=True)
class CustomerEmailApproved(Payload):
    """A draft approved for sending: by a second person, or by its writer where the severity's policy
    lets one person send. `override_private` records that a private incident's email was sent on purpose."""

    event_kind = EventKind.CUSTOMER_EMAIL_APPROVED
    draft: str
    approval: str  # "second_person" or "single_person"
    writer: str  # the full name of whoever wrote the words approved
    override_private: bool = False

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        whose = f" written by {line(self.writer)}" if line(self.writer) else ""
        alone = " (one person may send it for this severity)" if self.approval == "single_person" else ""
        override = "; the incident is private and the approver overrode that" if self.override_private else ""
        return f"{subject(who)} approved the customer email{whose}{alone}{override}"


@dataclass(frozen=True)
class CustomerEmailSent(Payload):
    """An approved draft queued as one mail per customer (each delivery is a "message sent" event)."""

    event_kind = EventKind.CUSTOMER_EMAIL_SENT
    draft: str
    recipients: int

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        many = "customer" if self.recipients == 1 else "customers"
        return f"The customer email is going to {self.recipients} {many}, one mail each"


@dataclass(frozen=True)
class CustomerEmailDiscarded(Payload):
    event_kind = EventKind.CUSTOMER_EMAIL_DISCARDED
    draft: str
    reason: str = ""

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"{subject(who)} discarded the draft of the customer email{colon(self.reason)}"
