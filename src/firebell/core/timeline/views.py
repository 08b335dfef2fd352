"""Which of an incident's events a reader asks to see, and in which order: everything, the key
events (what changed the incident's course, not every page and alert repeat), or the notes and
status updates people wrote."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TypeVar

from firebell.core.timeline.kinds import EventKind

T = TypeVar("T")


class TimelineView(StrEnum):
    EVERYTHING = "everything"
    KEY = "key"
    NOTES = "notes"


# What a responder arriving late reads to catch up: the incident's own course and who was brought in.
KEY_KINDS = frozenset({
    EventKind.DECLARED, EventKind.ACKNOWLEDGED, EventKind.RESOLVED, EventKind.REOPENED,
    EventKind.STAGE_CHANGED, EventKind.NOTE_ADDED, EventKind.STATUS_UPDATE, EventKind.SEVERITY_CHANGED,
    EventKind.ROLE_ASSIGNED, EventKind.ROLE_UNASSIGNED, EventKind.RESPONDER_ADDED, EventKind.DETAILS_CHANGED,
    EventKind.ESCALATED, EventKind.REASSIGNED, EventKind.ESCALATION_EXHAUSTED, EventKind.PAGE_UNDELIVERABLE,
})
NOTE_KINDS = frozenset({EventKind.NOTE_ADDED, EventKind.STATUS_UPDATE})


def view_named(name: str | None) -> TimelineView:
    """The view a query string asks for; everything when it names none we know."""
    try:
        return TimelineView(name or TimelineView.EVERYTHING)
    except ValueError:
        return TimelineView.EVERYTHING


def kinds_shown(view: TimelineView) -> frozenset[str] | None:
    """The kinds `view` shows; None for every kind (a query's filter)."""
    if view is TimelineView.KEY:
        return frozenset(k.value for k in KEY_KINDS)
    if view is TimelineView.NOTES:
        return frozenset(k.value for k in NOTE_KINDS)
    return None


def shows(view: TimelineView, kind: str) -> bool:
    if view is TimelineView.KEY:
        return kind in KEY_KINDS
    if view is TimelineView.NOTES:
        return kind in NOTE_KINDS
    return True


def arrange(events: Sequence[T], view: TimelineView, *, newest_first: bool, kind_of: Callable[[T], str]) -> list[T]:
    """`events` in recorded order -> those `view` shows, newest or oldest first."""
    shown = [e for e in events if shows(view, kind_of(e))]
    return shown[::-1] if newest_first else shown
