"""The outbox's state machine: what may happen to one notification, and what the sender decides.

A notification is pending until the sender claims it (sending, with a deadline and attempts + 1);
the attempt ends sent, back to pending (a retry later, or a claim put back unattempted), or failed.
A page the incident no longer needs is cancelled before it is sent. A provider's receipt can still
fail a sent page (an SMS that never arrived). Failed and cancelled are final: failover writes a new
notification for the next contact method, it never revives one.

The crash rule (notify/sender.py) is `after_interruption`: a send interrupted by a crash is
repeated once, with the same idempotency key, only on a channel whose receivers can drop a repeat.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Event(StrEnum):
    CLAIM = "claim"  # the sender takes a due page
    RELEASE = "release"  # claimed, not attempted (an older page to its address failed first): it waits its turn
    DELIVERED = "delivered"  # the channel took it
    RETRY = "retry"  # a temporary failure with attempts left
    FAIL = "fail"  # a permanent failure, or the attempts ran out
    RESEND_UNCERTAIN = "resend_uncertain"  # interrupted; its receiver drops repeats: once more, same key
    FAIL_UNCERTAIN = "fail_uncertain"  # interrupted, and not repeated blindly
    CANCEL = "cancel"  # the incident was acknowledged or resolved first
    UNDELIVERED = "undelivered"  # the provider's receipt: it never arrived


# (from state, event) -> to state. Anything absent cannot happen.
TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.PENDING, Event.CLAIM): State.SENDING,
    (State.PENDING, Event.CANCEL): State.CANCELLED,
    (State.SENDING, Event.RELEASE): State.PENDING,
    (State.SENDING, Event.DELIVERED): State.SENT,
    (State.SENDING, Event.RETRY): State.PENDING,
    (State.SENDING, Event.FAIL): State.FAILED,
    (State.SENDING, Event.RESEND_UNCERTAIN): State.PENDING,
    (State.SENDING, Event.FAIL_UNCERTAIN): State.FAILED,
    (State.SENT, Event.UNDELIVERED): State.FAILED,
}

# States no event leaves: a page in one of these will never reach anyone.
FINAL: frozenset[State] = frozenset({State.FAILED, State.CANCELLED})


class IllegalTransition(ValueError):
    """An outbox row was asked to do what its state does not allow (a bug, not a user's mistake)."""


def allows(state: str, event: Event) -> bool:
    return (State(state), event) in TRANSITIONS


def next_state(state: str, event: Event) -> State:
    """The state after `event`; IllegalTransition when `state` does not allow it."""
    target = TRANSITIONS.get((State(state), event))
    if target is None:
        raise IllegalTransition(f"a {state} notification cannot {event.value}")
    return target


def may_still_reach(state: str) -> bool:
    """Whether a page in `state` may still reach its person (or already did)."""
    return State(state) not in FINAL


def after_attempt(ok: bool, retryable: bool, attempt: int, max_attempts: int) -> Event:
    """What one attempt's outcome does to the page: sent, tried again later, or failed for good."""
    if ok:
        return Event.DELIVERED
    return Event.RETRY if retryable and attempt < max_attempts else Event.FAIL


def after_interruption(keyed: bool, uncertain: bool) -> Event:
    """A send interrupted by a crash (still sending past its deadline): resent once with the same
    key when the receiver can drop a repeat (`keyed`) and it was not resent before (`uncertain`);
    otherwise it fails, and the page fails over."""
    return Event.RESEND_UNCERTAIN if keyed and not uncertain else Event.FAIL_UNCERTAIN


# Messages that tell an audience about the incident (a chat space's "declared", "updated", "resolved";
# messages/send.py's stakeholder updates and customer emails): news, not pages, so neither
# acknowledging nor resolving makes them needless (the "resolved" post is sent to a resolved incident
# by definition), and a failed one pages nobody.
TELLING_KINDS = frozenset({"chat", "message"})


def needless(kind: str, follow_up: bool, incident_status: str | None) -> bool:
    """Whether the incident (in `incident_status`) no longer needs a page: ladder pages (`kind`
    "page") and the later steps of a person's rules (`follow_up`) once it is acknowledged, every
    page once it is resolved. Telling messages (`TELLING_KINDS`) are never needless."""
    if kind in TELLING_KINDS:
        return False
    return incident_status == "resolved" or (incident_status == "acknowledged" and (kind == "page" or follow_up))
