"""The ingestion decision: given an event, the service's settings, the open state and `now`, what
happens to the alert and to the incident. The live path and `alerts explain` both call `decide`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.core.events import AlertEvent, EventAction
from firebell.core.matchers import Matcher, all_match

# Source severities as the common tools spell them, mapped to a position in the severity list
# (0 = most severe). PagerDuty's four come first; Alertmanager rules use the same words by habit.
BUILTIN_SEVERITY_RANK = {
    "critical": 0, "crit": 0, "fatal": 0, "emergency": 0, "page": 0, "p1": 0, "sev1": 0,
    "error": 1, "high": 1, "major": 1, "p2": 1, "sev2": 1,
    "warning": 2, "warn": 2, "minor": 2, "medium": 2, "p3": 2, "sev3": 2,
    "info": 3, "informational": 3, "low": 3, "none": 3, "ok": 3, "p4": 3, "sev4": 3,
}


@dataclass(frozen=True)
class SeverityRule:
    matchers: tuple[Matcher, ...]
    severity: str


@dataclass(frozen=True)
class ServicePolicy:
    """A service's alerting settings, resolved against the configured severity levels."""

    name: str
    levels: tuple[str, ...]  # severity keys, most severe first
    paging_threshold: str
    default_severity: str
    auto_resolve: bool = True
    group_by: tuple[str, ...] = ()
    severity_map: tuple[SeverityRule, ...] = ()
    flapping_max_refires: int = 4
    flapping_window: timedelta = timedelta(minutes=30)

    def rank(self, key: str) -> int:
        return self.levels.index(key) if key in self.levels else len(self.levels)


def map_severity(policy: ServicePolicy, event: AlertEvent, attributes: Mapping[str, str],
                 routed: str | None) -> tuple[str, str]:
    """(severity, why). A routing rule's severity wins, then the service's map, then the built-in
    words, then the service default."""
    if routed:
        return routed, "set by routing rule" if routed != event.fixed_severity else "set by the integration"
    for rule in policy.severity_map:
        if all_match(rule.matchers, attributes):
            held = ", ".join(str(m) for m in rule.matchers)
            return rule.severity, f"service severity map ({held})"
    raw = event.source_severity.strip().lower()
    if raw in BUILTIN_SEVERITY_RANK and policy.levels:
        index = min(BUILTIN_SEVERITY_RANK[raw], len(policy.levels) - 1)
        return policy.levels[index], f"source severity {raw!r}"
    why = f"source severity {raw!r} is not recognised" if raw else "no source severity"
    return policy.default_severity, f"{why}; service default"


@dataclass(frozen=True)
class Grouping:
    """The key that decides which incident an alert joins, and why it is that key."""

    key: str
    reason: str


def grouping(policy: ServicePolicy, event: AlertEvent) -> Grouping:
    """The sender's own grouping (Alertmanager's groupKey) first; else the service's `group_by`
    labels, if the event carries at least one of them; else the event's own dedup key. An event
    with none of the labels must not share the key of every other such event ("alertname=" for all
    PagerDuty events, which carry no labels): two events that share no grouping value never group."""
    if event.group_key:
        return Grouping(event.group_key, f"grouped by the sender's group key ({event.format})")
    if policy.group_by:
        values = [(k, event.labels.get(k, "")) for k in policy.group_by]
        if any(v for _, v in values):
            return Grouping("labels:" + ",".join(f"{k}={v}" for k, v in values),
                            f"grouped by the service's labels {', '.join(policy.group_by)}")
        return Grouping(event.dedup_key, f"grouped alone by its dedup key: it has none of the labels "
                                         f"{', '.join(policy.group_by)} the service groups by")
    return Grouping(event.dedup_key, "grouped by its dedup key (the service sets no group_by)")


def group_key_for(policy: ServicePolicy, event: AlertEvent) -> str:
    return grouping(policy, event).key


class AlertOp(StrEnum):
    CREATE = "create"  # a new alert row
    UPDATE = "update"  # another trigger for an open alert
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    DUPLICATE = "duplicate"  # the same event delivered again: nothing changes
    DROP = "drop"  # acknowledge/resolve for no open alert (PagerDuty semantics)


class IncidentOp(StrEnum):
    NONE = "none"
    OPEN = "open"
    JOIN = "join"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    HOLD = "hold"  # all alerts resolved, but the service wants a human to resolve


@dataclass(frozen=True)
class OpenAlert:
    status: str
    last_event_hash: str
    incident_id: str | None
    incident_status: str | None


@dataclass(frozen=True)
class OpenIncident:
    id: str
    ref: str
    status: str
    severity: str


@dataclass(frozen=True)
class OpenState:
    alert: OpenAlert | None = None
    group_incident: OpenIncident | None = None  # open incident of (service, group key)
    another_open_alert: bool = False  # the alert's incident has another open alert
    recent_fires: Sequence[datetime] = ()  # first_seen of earlier alerts with this dedup key
    maintenance: str | None = None  # description of the active window, if any


@dataclass
class Decision:
    alert_op: AlertOp
    incident_op: IncidentOp
    severity: str
    group_key: str
    reasons: list[str] = field(default_factory=list)
    held_reason: str | None = None
    flapping: bool = False
    raise_incident_severity: bool = False


def _flapping(policy: ServicePolicy, state: OpenState, now: datetime) -> bool:
    window_start = now - policy.flapping_window
    refires = sum(1 for t in state.recent_fires if t >= window_start)
    return refires > policy.flapping_max_refires


def decide(event: AlertEvent, policy: ServicePolicy, state: OpenState, now: datetime, *,
           severity: str, severity_reason: str, suppressed_by: str | None = None) -> Decision:
    group = grouping(policy, event)
    d = Decision(alert_op=AlertOp.DROP, incident_op=IncidentOp.NONE, severity=severity, group_key=group.key)
    d.reasons.append(f"severity {severity}: {severity_reason}")
    if event.action is EventAction.TRIGGER:
        d.reasons.append(f"grouping key {group.key!r}: {group.reason}")
    alert = state.alert
    if event.action is EventAction.TRIGGER:
        _decide_trigger(event, policy, state, now, d, suppressed_by)
    elif alert is None:
        d.reasons.append(f"no open alert with dedup key {event.dedup_key!r}; the {event.action.value} is dropped")
    elif alert.last_event_hash == event.content_hash():
        d.alert_op = AlertOp.DUPLICATE
        d.reasons.append("the same event was already received; nothing changes")
    elif event.action is EventAction.ACKNOWLEDGE:
        _decide_ack(alert, d)
    else:
        _decide_resolve(alert, policy, state, d)
    return d


def _decide_trigger(event: AlertEvent, policy: ServicePolicy, state: OpenState, now: datetime, d: Decision,
                    suppressed_by: str | None) -> None:
    alert = state.alert
    if alert is not None:
        if alert.last_event_hash == event.content_hash():
            d.alert_op = AlertOp.DUPLICATE
            d.reasons.append("the same event was already received; nothing changes")
            return
        d.alert_op = AlertOp.UPDATE
        d.reasons.append(f"alert {event.dedup_key!r} is already open ({alert.status}); this trigger is logged on it")
        if alert.incident_id is not None:
            return
    else:
        d.alert_op = AlertOp.CREATE
        d.flapping = _flapping(policy, state, now)
        d.reasons.append(f"no open alert with dedup key {event.dedup_key!r}; a new alert is opened")
    held = _held(policy, state, d, suppressed_by)
    incident = state.group_incident
    if incident is not None and (held is None or held.startswith(("flapping", "below"))):
        d.incident_op = IncidentOp.JOIN
        d.reasons.append(f"joins open incident {incident.ref} (same service and grouping key {d.group_key!r})")
        if policy.rank(d.severity) < policy.rank(incident.severity):
            d.raise_incident_severity = True
            d.reasons.append(f"{incident.ref} is raised from {incident.severity} to {d.severity}")
        return
    if held is not None:
        d.held_reason = held
        d.reasons.append(f"no incident: {held}")
        return
    d.incident_op = IncidentOp.OPEN
    d.reasons.append(f"opens a new {d.severity} incident (grouping key {d.group_key!r})")


def _held(policy: ServicePolicy, state: OpenState, d: Decision, suppressed_by: str | None) -> str | None:
    if suppressed_by:
        return f"suppressed by routing rule {suppressed_by!r}"
    if state.maintenance:
        return f"service {policy.name} is in maintenance ({state.maintenance})"
    if d.flapping:
        return (f"flapping: fired more than {policy.flapping_max_refires} times in "
                f"{int(policy.flapping_window.total_seconds() // 60)} min")
    if policy.rank(d.severity) > policy.rank(policy.paging_threshold):
        return f"below the paging threshold {policy.paging_threshold} of {policy.name}"
    return None


def _decide_ack(alert: OpenAlert, d: Decision) -> None:
    if alert.status == "acknowledged":
        d.alert_op = AlertOp.DUPLICATE
        d.reasons.append("the alert is already acknowledged")
        return
    d.alert_op = AlertOp.ACKNOWLEDGE
    d.reasons.append("the alert is acknowledged")
    if alert.incident_id is not None and alert.incident_status == "triggered":
        d.incident_op = IncidentOp.ACKNOWLEDGE
        d.reasons.append("its incident is acknowledged")


def _decide_resolve(alert: OpenAlert, policy: ServicePolicy, state: OpenState, d: Decision) -> None:
    d.alert_op = AlertOp.RESOLVE
    d.reasons.append("the alert is resolved")
    if alert.incident_id is None or alert.incident_status == "resolved":
        return
    if state.another_open_alert:
        d.reasons.append("its incident stays open: another of its alerts is still open")
    elif policy.auto_resolve:
        d.incident_op = IncidentOp.RESOLVE
        d.reasons.append("all alerts of its incident are resolved, so the incident resolves")
    else:
        d.incident_op = IncidentOp.HOLD
        d.reasons.append(f"all alerts resolved, but {policy.name} does not auto-resolve: waiting for a human")
