"""The purposes Firebell writes messages for, the channels each is rendered for, and the parts of each
channel's message.

A purpose is one thing said ("the page", "incident declared", "the P1 customer email"); a channel is
where it goes. Every (purpose, channel) has a built-in template per part, a file under
`messages/builtin/<purpose>/<channel>.<part>.j2`, which the config tree's `templates:` section can
override for the organisation or for one service. The built-ins reproduce the runbooks' texts
(../shared/reference/runbooks/: OPS1 section 8 and TenSafe "Communication Templates").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

# The parts a message has on each channel, and how values are escaped in them (messages/sandbox.py).
CHANNEL_PARTS: dict[str, tuple[str, ...]] = {
    "email": ("subject", "text", "html"),
    "slack": ("text",),
    "sms": ("text",),
    "voice": ("text",),
    "chat": ("title", "text"),  # Google Chat and Microsoft Teams cards
    "status_page": ("title", "body"),
    "webhook": ("text",),  # the human-readable field of a machine payload
}
ESCAPING: dict[tuple[str, str], str] = {("email", "html"): "html", ("slack", "text"): "slack"}

# Groups of variables a purpose may use beyond the incident, the organisation and `now`.
PAGE, UPDATE, REPORT, RECIPIENT, ESCALATION = "page", "update", "report", "recipient", "escalation"
# What a purpose speaks of: an internal incident, or a public status page's change (its subscribers'
# mail knows nothing internal: variables.STATUS_* name what it sees instead).
ABOUT_INCIDENT, ABOUT_STATUS_PAGE = "incident", "status_page"
PUBLIC_INCIDENT, COMPONENT, CONFIRMATION = "incident", "component", "confirmation"


@dataclass(frozen=True)
class Purpose:
    name: str
    title: str
    source: str  # where its built-in wording comes from
    channels: tuple[str, ...]
    groups: tuple[str, ...] = ()  # extra variable groups (messages/variables.py)
    about: str = ABOUT_INCIDENT


PURPOSES: dict[str, Purpose] = {p.name: p for p in (
    Purpose("page", "The page: what a person paged receives", "Firebell's page texts",
            ("email", "sms", "voice", "slack"), (PAGE,)),
    Purpose("card", "The incident's card in Slack channels, redrawn on every change", "OPS1 8.1",
            ("slack", "chat")),
    Purpose("declared", "Incident declared, to the stakeholder channels", "TenSafe \"Incident Declared\"",
            ("slack", "email", "chat", "webhook"), (UPDATE,)),
    Purpose("update", "Incident update, to the stakeholder channels", "TenSafe \"Incident Update\"",
            ("slack", "email", "chat", "webhook"), (UPDATE,)),
    Purpose("resolved", "Incident resolved, to the stakeholder channels", "TenSafe \"Incident Resolved\"",
            ("slack", "email", "chat", "webhook"), (UPDATE, REPORT)),
    Purpose("escalation", "Asking for help: manual escalation and added responders",
            "TenSafe \"Escalation Communication\"", ("slack", "email", "sms"), (ESCALATION,)),
    Purpose("status_investigating", "Status page: investigating", "TenSafe status page \"Investigating\"",
            ("status_page",), (UPDATE,)),
    Purpose("status_identified", "Status page: identified", "TenSafe status page \"Identified\"",
            ("status_page",), (UPDATE,)),
    Purpose("status_monitoring", "Status page: monitoring", "Statuspage's default monitoring body",
            ("status_page",), (UPDATE,)),
    Purpose("status_resolved", "Status page: resolved", "TenSafe status page \"Resolved\"",
            ("status_page",), (UPDATE, REPORT)),
    Purpose("customer_email", "The P1 customer email", "TenSafe \"Customer Email Template (P1 Only)\"",
            ("email",), (REPORT, RECIPIENT)),
    Purpose("post_incident_report", "The post-incident report email", "OPS1 8.3",
            ("email",), (REPORT, RECIPIENT)),
    Purpose("status_subscriber_incident", "Status page: a public incident, to its email subscribers",
            "Firebell's status page mail", ("email",), (PUBLIC_INCIDENT,), ABOUT_STATUS_PAGE),
    Purpose("status_subscriber_maintenance", "Status page: a scheduled maintenance, to its email subscribers",
            "Firebell's status page mail", ("email",), (PUBLIC_INCIDENT,), ABOUT_STATUS_PAGE),
    Purpose("status_subscriber_component", "Status page: a component's status change, to email subscribers "
            "(when status_page.notify sends them by mail)", "Firebell's status page mail", ("email",), (COMPONENT,),
            ABOUT_STATUS_PAGE),
    Purpose("status_subscriber_confirmation", "Status page: the double opt-in mail with its confirmation link",
            "Firebell's status page mail", ("email",), (CONFIRMATION,), ABOUT_STATUS_PAGE),
)}


def about_status_page(purpose: str) -> bool:
    """A status page subscriber's mail: no internal incident, no service of its own."""
    return PURPOSES[purpose].about == ABOUT_STATUS_PAGE


def parts_of(channel: str) -> tuple[str, ...]:
    return CHANNEL_PARTS[channel]


def escaping(channel: str, part: str) -> str:
    """"html", "slack" or "none": how values put into this part are escaped."""
    return ESCAPING.get((channel, part), "none")


@cache
def builtin(purpose: str, channel: str, part: str) -> str:
    """The built-in template text of one part ("" when the part has none, e.g. an email without HTML)."""
    path = resources.files("firebell.messages").joinpath("builtin", purpose, f"{channel}.{part}.j2")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
