"""Events about reaching people: alerts joining the incident (alerts/), escalation steps
(escalation/), each page's fate (notify/) and the incident's Slack message (slack/)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from firebell.core.timeline.incident import AlertRef
from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.schema import OPTIONAL, Payload, Who
from firebell.core.timeline.words import channel, clock, colon, line, listing, name, person, plural, quoted, target

# A page's kind (notifications.kind) as the verb of its "sent" sentence.
_SENT_VERB = {"reminder": "Reminded", "admin": "Told admin", "chat": "Posted to"}


@dataclass(frozen=True)
class _AlertEvent(Payload):
    dedup_key: str
    summary: str
    source: str
    severity: str
    format: str
    alert_id: str

    @classmethod
    def of(cls, alert: AlertRef, **more: Any) -> Self:
        """The event about `alert`, with the kind's own fields in `more`."""
        return cls(dedup_key=alert.dedup_key, summary=alert.summary, source=alert.source, severity=alert.severity,
                   format=alert.format, alert_id=alert.alert_id, **more)

    def _named(self) -> str:
        return f"Alert {quoted(self.dedup_key)}"


@dataclass(frozen=True)
class AlertAttached(_AlertEvent):
    event_kind = EventKind.ALERT_ATTACHED
    flapping: bool | None = field(default=None, metadata=OPTIONAL)  # set when the alert joined an open incident

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        origin = line(self.source or self.format)
        facts = ", ".join(p for p in (line(self.severity), origin, "flapping" if self.flapping else "") if p)
        return f"{self._named()} attached" + (f" ({facts})" if facts else "") + colon(self.summary)


@dataclass(frozen=True)
class AlertRefired(_AlertEvent):
    event_kind = EventKind.ALERT_REFIRED

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"{self._named()} fired again{colon(self.summary)}"


@dataclass(frozen=True)
class AlertResolved(_AlertEvent):
    event_kind = EventKind.ALERT_RESOLVED

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"{self._named()} resolved"


@dataclass(frozen=True)
class _Step(Payload):
    # Present when the step had targets: their labels, the people paged, and what could not be reached.
    targets: list[str] | None = field(default=None, metadata=OPTIONAL)
    paged: list[str] | None = field(default=None, metadata=OPTIONAL)
    unreached: list[str] | None = field(default=None, metadata=OPTIONAL)

    def _outcome(self, people: Mapping[str, str]) -> str:
        if self.targets is None:
            return "nobody to page"
        out = f"paged {listing(self.paged or [], people)}"
        return out + (f"; not reached: {listing(self.unreached)}" if self.unreached else "")

    def user_names(self) -> tuple[str, ...]:
        return tuple(self.paged or ())


@dataclass(frozen=True, kw_only=True)
class EscalationStep(_Step):
    event_kind = EventKind.ESCALATION_STEP
    policy: str
    level: int
    loop: int
    manual: bool
    due_at: str  # ISO instant the step fell due

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        asked = ", asked for by a person" if self.manual else ""
        again = f", round {self.loop + 1}" if self.loop > 0 else ""
        return f"Escalation level {self.level} of {quoted(self.policy)}{again}{asked}: {self._outcome(people)}"


@dataclass(frozen=True, kw_only=True)
class EscalationTrigger(_Step):
    event_kind = EventKind.ESCALATION_TRIGGER
    trigger: str
    condition: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        when = f" ({line(self.condition)})" if line(self.condition) else ""
        return f"Trigger {quoted(self.trigger)} fired{when}: {self._outcome(people)}"


@dataclass(frozen=True)
class EscalationExhausted(Payload):
    event_kind = EventKind.ESCALATION_EXHAUSTED
    policy: str
    loops: int

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return (f"Escalation policy {quoted(self.policy)} ran out after {plural(self.loops, 'round')} "
                "without an acknowledgement")


@dataclass(frozen=True)
class _Page(Payload):
    """One notification (an outbox row) and whom it was for."""

    notification: str
    user: str | None  # None: a webhook
    channel: str
    target: str  # the escalation target's label: "schedule:primary"
    level: int | None  # 1-based; None for pages outside the ladder
    kind: str  # page, manual, trigger, reminder, admin
    attempts: int

    def _to(self, people: Mapping[str, str]) -> str:
        return person(self.user, people) if self.user is not None else target(self.target)

    def _page(self, people: Mapping[str, str]) -> str:
        return f"the {channel(self.channel)} page to {self._to(people)}"

    def user_names(self) -> tuple[str, ...]:
        return (self.user,) if self.user is not None else ()


@dataclass(frozen=True, kw_only=True)
class NotificationSent(_Page):
    event_kind = EventKind.NOTIFICATION_SENT
    detail: str  # the provider's answer

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        why = [f"level {self.level}"] if self.level is not None else []
        if self.kind != "chat" and (self.user is None or not self.target.startswith("user:")):
            why.append(target(self.target))
        verb = _SENT_VERB.get(self.kind, "Paged")
        return f"{verb} {self._to(people)} by {channel(self.channel)}" + (f" ({', '.join(why)})" if why else "")


@dataclass(frozen=True, kw_only=True)
class NotificationFailed(_Page):
    event_kind = EventKind.NOTIFICATION_FAILED
    reason: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"Could not send {self._page(people)}: {line(self.reason) or 'no reason given'}"


@dataclass(frozen=True, kw_only=True)
class NotificationFailover(_Page):
    event_kind = EventKind.NOTIFICATION_FAILOVER
    next_channel: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return (f"{self._to(people)} could not be reached by {channel(self.channel)}; "
                f"trying {channel(self.next_channel)}")


@dataclass(frozen=True, kw_only=True)
class NotificationCancelled(_Page):
    event_kind = EventKind.NOTIFICATION_CANCELLED
    reason: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"Cancelled {self._page(people)}: {line(self.reason) or 'no longer needed'}"


@dataclass(frozen=True, kw_only=True)
class NotificationUncertain(_Page):
    """The sender was interrupted mid-send: nobody knows whether the page arrived."""

    event_kind = EventKind.NOTIFICATION_UNCERTAIN
    action: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"Unsure whether {self._page(people)} arrived: {line(self.action) or 'interrupted'}"


@dataclass(frozen=True, kw_only=True)
class PageUndeliverable(_Page):
    event_kind = EventKind.PAGE_UNDELIVERABLE
    reason: str
    admins_told: list[str]

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return (f"Could not reach {self._to(people)} by any contact method ({line(self.reason) or 'failed'}); "
                f"told {listing(self.admins_told, people)}")

    def user_names(self) -> tuple[str, ...]:
        return super().user_names() + tuple(self.admins_told)


@dataclass(frozen=True)
class NotificationHeld(Payload):
    """A page held back by a rate limit."""

    event_kind = EventKind.NOTIFICATION_HELD
    notification: str
    channel: str
    reason: str
    until: str  # ISO instant

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"Held a {channel(self.channel)} page until {clock(self.until)}: {line(self.reason) or 'rate limited'}"


@dataclass(frozen=True)
class NotificationBundled(Payload):
    """Several incidents' pages to one address went out as one message."""

    event_kind = EventKind.NOTIFICATION_BUNDLED
    notification: str
    channel: str
    bundle: str
    incidents: list[str]
    text: str

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return f"Sent a {channel(self.channel)} page in one message about {listing(self.incidents)}"


@dataclass(frozen=True)
class NotificationUndelivered(Payload):
    """The provider reported, after taking it, that an SMS or call did not reach the person."""

    event_kind = EventKind.NOTIFICATION_UNDELIVERED
    notification: str
    user: str | None
    channel: str
    target: str
    status: str
    error_code: int | str | None
    provider: str
    error: str | None = field(default=None, metadata=OPTIONAL)

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        facts = [line(self.status) or "undelivered"]
        if self.error_code is not None:
            facts.append(f"error {name(self.error_code)}" + colon(self.error or ""))
        to = person(self.user, people) if self.user is not None else target(self.target)
        return f"The {channel(self.channel)} to {to} did not arrive ({', '.join(facts)})"

    def user_names(self) -> tuple[str, ...]:
        return (self.user,) if self.user is not None else ()


@dataclass(frozen=True)
class SlackMessageFailed(Payload):
    event_kind = EventKind.SLACK_MESSAGE_FAILED
    channel: str
    error: str
    attempts: int

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        return (f"Could not post the incident to Slack channel {line(self.channel) or '(unnamed)'}: "
                f"{line(self.error) or 'failed'} (after {plural(self.attempts, 'attempt')})")
