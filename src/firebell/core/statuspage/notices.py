"""Which changes of the public page its subscribers hear of: the page's choice from the config tree
(`status_page.notify`, docs/status-page-subscriptions.md), and the decision made with it. Pure: the
standard library only.

Three groups, each a set of what is told:
- incidents: `created`, `updated`, `resolved`;
- maintenance: `scheduled`, `rescheduled`, `started`, `completed` (issue 17: "each configurable");
- component changes: by the subscriber's mode. Mail for every component flip would be noise, so by
  default only machines (webhooks, chat) take them (Statuspage's rule: component webhooks fire on
  status changes).

The default tells what the page told before the choice existed. Stored on the page row as the
config's own shape ({group: {name: true/false}}); a name the row lacks keeps its default, so a row
written before a new event existed still tells it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INCIDENT_EVENTS = ("created", "updated", "resolved")
MAINTENANCE_EVENTS = ("scheduled", "rescheduled", "started", "completed")
MODES = ("email", "webhook", "slack", "teams", "google_chat")
COMPONENT_NOTICE_MODES = frozenset({"webhook", "slack", "teams", "google_chat"})
# A maintenance update's status -> the event its subscribers hear of (verifying says nothing new;
# a new window is `rescheduled`, whatever the status).
MAINTENANCE_STATUS_EVENTS = {"scheduled": "scheduled", "in_progress": "started", "completed": "completed"}
COMPONENT_EVENT = "status_changed"

# The stored shape's groups, as the config tree names them.
INCIDENTS, MAINTENANCE, COMPONENT_STATUS = "incidents", "maintenance", "component_status"


@dataclass(frozen=True)
class NoticeChoice:
    incidents: frozenset[str] = frozenset(INCIDENT_EVENTS)
    maintenance: frozenset[str] = frozenset(MAINTENANCE_EVENTS)
    component_modes: frozenset[str] = field(default=COMPONENT_NOTICE_MODES)


DEFAULT = NoticeChoice()


def maintenance_event(status: str, *, rescheduled: bool = False) -> str | None:
    """The event a maintenance update is news of, or None (verifying)."""
    return "rescheduled" if rescheduled else MAINTENANCE_STATUS_EVENTS.get(status)


def told(choice: NoticeChoice, kind: str, event: str) -> bool:
    """Whether the page makes a notice of this change at all: some subscriber could hear of it."""
    if kind == "incident":
        return event in choice.incidents
    if kind == "maintenance":
        return event in choice.maintenance
    if kind == "component":
        return bool(choice.component_modes)
    return False


def heard(choice: NoticeChoice, kind: str, event: str, mode: str) -> bool:
    """Whether a subscriber of `mode` hears of a change of `kind` and `event` (components aside)."""
    if not told(choice, kind, event):
        return False
    return kind != "component" or mode in choice.component_modes


def stored(choice: NoticeChoice) -> dict[str, dict[str, bool]]:
    """The page row's shape, which is also the config tree's."""
    return {INCIDENTS: {e: e in choice.incidents for e in INCIDENT_EVENTS},
            MAINTENANCE: {e: e in choice.maintenance for e in MAINTENANCE_EVENTS},
            COMPONENT_STATUS: {m: m in choice.component_modes for m in MODES}}


def from_stored(value: Mapping[str, Any] | None) -> NoticeChoice:
    """The choice a page row holds; anything it does not say keeps its default."""
    value = value if isinstance(value, Mapping) else {}

    def chosen(group: str, names: tuple[str, ...], default: frozenset[str]) -> frozenset[str]:
        given = value.get(group)
        given = given if isinstance(given, Mapping) else {}
        return frozenset(n for n in names if (given[n] is True if n in given else n in default))

    return NoticeChoice(incidents=chosen(INCIDENTS, INCIDENT_EVENTS, DEFAULT.incidents),
                        maintenance=chosen(MAINTENANCE, MAINTENANCE_EVENTS, DEFAULT.maintenance),
                        component_modes=chosen(COMPONENT_STATUS, MODES, DEFAULT.component_modes))
