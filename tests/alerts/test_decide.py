"""The dedup and grouping decision, exercised as a state machine over random event sequences."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.core.events import AlertEvent, EventAction
from firebell.core.ingest import (
    AlertOp,
    IncidentOp,
    OpenAlert,
    OpenIncident,
    OpenState,
    ServicePolicy,
    SeverityRule,
    decide,
    map_severity,
)
from firebell.core.matchers import parse_all

LEVELS = ("P1", "P2", "P3", "P4")
T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def policy(**kw: object) -> ServicePolicy:
    base: dict[str, object] = dict(name="api", levels=LEVELS, paging_threshold="P3", default_severity="P3",
                                   flapping_max_refires=3, flapping_window=timedelta(minutes=30))
    base.update(kw)
    return ServicePolicy(**base)  # type: ignore[arg-type]


@dataclass
class Model:
    """What the database would hold, updated the way alerts/service.py writes decisions."""

    policy: ServicePolicy
    alerts: dict[str, dict] = field(default_factory=dict)  # type: ignore[type-arg]
    closed: list[dict] = field(default_factory=list)  # type: ignore[type-arg]
    incidents: dict[int, dict] = field(default_factory=dict)  # type: ignore[type-arg]
    fires: dict[str, list[datetime]] = field(default_factory=dict)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def state_for(self, event: AlertEvent, group: str) -> OpenState:
        alert = self.alerts.get(event.dedup_key)
        open_alert = None
        other = False
        if alert is not None:
            inc = self.incidents.get(alert["incident"]) if alert["incident"] else None
            open_alert = OpenAlert(status=alert["status"], last_event_hash=alert["hash"],
                                   incident_id=str(alert["incident"]) if alert["incident"] else None,
                                   incident_status=inc["status"] if inc else None)
            if inc is not None:
                other = any(a["incident"] == alert["incident"] and k != event.dedup_key
                            for k, a in self.alerts.items())
        group_inc = next(((n, i) for n, i in self.incidents.items() if i["group"] == group
                          and i["status"] != "resolved"), None)
        return OpenState(alert=open_alert,
                         group_incident=OpenIncident(id=str(group_inc[0]), ref=f"INC-{group_inc[0]}",
                                                     status=group_inc[1]["status"], severity=group_inc[1]["severity"])
                         if group_inc else None,
                         another_open_alert=other, recent_fires=self.fires.get(event.dedup_key, []))

    def apply(self, event: AlertEvent, now: datetime) -> tuple[AlertOp, IncidentOp]:
        severity, why = map_severity(self.policy, event, event.attributes(), None)
        group = event.group_key or event.dedup_key
        state = self.state_for(event, group)
        d = decide(event, self.policy, state, now, severity=severity, severity_reason=why)
        alert = self.alerts.get(event.dedup_key)
        if d.alert_op is AlertOp.CREATE:
            alert = {"status": "triggered", "hash": event.content_hash(), "incident": None, "severity": severity}
            self.alerts[event.dedup_key] = alert
            self.fires.setdefault(event.dedup_key, []).append(now)
        elif d.alert_op in (AlertOp.UPDATE, AlertOp.ACKNOWLEDGE, AlertOp.RESOLVE):
            assert alert is not None
            alert["hash"] = event.content_hash()
            if d.alert_op is AlertOp.ACKNOWLEDGE:
                alert["status"] = "acknowledged"
            if d.alert_op is AlertOp.RESOLVE:
                alert["status"] = "resolved"
                self.closed.append(self.alerts.pop(event.dedup_key))
        if d.incident_op is IncidentOp.OPEN:
            n = next(self.numbers)
            self.incidents[n] = {"group": group, "status": "triggered", "severity": severity}
            alert["incident"] = n  # type: ignore[index]
        elif d.incident_op is IncidentOp.JOIN:
            assert state.group_incident is not None
            alert["incident"] = int(state.group_incident.id)  # type: ignore[index]
        elif d.incident_op is IncidentOp.ACKNOWLEDGE:
            self.incidents[alert["incident"]]["status"] = "acknowledged"  # type: ignore[index]
        elif d.incident_op is IncidentOp.RESOLVE:
            self.incidents[alert["incident"]]["status"] = "resolved"  # type: ignore[index]
        return d.alert_op, d.incident_op

    def snapshot(self) -> object:
        return repr((sorted(self.alerts.items()), self.incidents, len(self.closed)))


events = st.builds(
    lambda key, action, summary, sev: AlertEvent(
        format="pagerduty", action=action, dedup_key=key, group_key={"a": "g1", "b": "g1", "c": "g2"}[key],
        summary=summary, source_severity=sev, labels={"severity": sev}),
    st.sampled_from("abc"), st.sampled_from(list(EventAction)), st.sampled_from(["x", "y"]),
    st.sampled_from(["critical", "warning", "info"]),
)


@settings(max_examples=300)
@given(st.lists(st.tuples(events, st.integers(0, 600), st.booleans()), max_size=40))
def test_decisions_keep_the_invariants(steps: list[tuple[AlertEvent, int, bool]]) -> None:
    model = Model(policy=policy())
    now = T0
    for event, gap, retry in steps:
        now += timedelta(seconds=gap)
        model.apply(event, now)
        if retry:  # the sender retries the very same event: nothing changes the second time
            before = model.snapshot()
            op, inc = model.apply(event, now)
            assert op in (AlertOp.DUPLICATE, AlertOp.DROP) and inc is IncidentOp.NONE
            assert model.snapshot() == before
        open_by_group: dict[str, int] = {}
        for n, incident in model.incidents.items():
            if incident["status"] != "resolved":
                open_by_group[incident["group"]] = open_by_group.get(incident["group"], 0) + 1
            attached_open = [a for a in model.alerts.values() if a["incident"] == n]
            # With auto-resolve, an incident is resolved exactly when none of its alerts is open.
            assert (incident["status"] == "resolved") == (not attached_open)
            assert incident["severity"] in ("P1", "P3")  # info (P4) never opens one: below threshold
        assert all(count == 1 for count in open_by_group.values())


def test_flapping_alert_stops_opening_incidents() -> None:
    model = Model(policy=policy(flapping_max_refires=3))
    opened = []
    now = T0
    for _ in range(6):
        trigger = AlertEvent(format="pagerduty", action=EventAction.TRIGGER, dedup_key="a", summary="x",
                             source_severity="critical")
        opened.append(model.apply(trigger, now)[1])
        model.apply(AlertEvent(format="pagerduty", action=EventAction.RESOLVE, dedup_key="a", summary="x"), now)
        now += timedelta(minutes=2)
    assert opened == [IncidentOp.OPEN] * 4 + [IncidentOp.NONE] * 2
    later = now + timedelta(hours=1)  # the window has passed: it pages again
    trigger = AlertEvent(format="pagerduty", action=EventAction.TRIGGER, dedup_key="a", summary="x",
                         source_severity="critical")
    assert model.apply(trigger, later)[1] is IncidentOp.OPEN


def test_maintenance_and_suppression_hold_but_record() -> None:
    event = AlertEvent(format="pagerduty", action=EventAction.TRIGGER, dedup_key="a", summary="x",
                       source_severity="critical")
    d = decide(event, policy(), OpenState(maintenance="window 'db' until 2026-11-23 05:00 UTC"), T0,
               severity="P1", severity_reason="test")
    assert d.alert_op is AlertOp.CREATE and d.incident_op is IncidentOp.NONE
    assert d.held_reason is not None and "maintenance" in d.held_reason
    d = decide(event, policy(), OpenState(), T0, severity="P1", severity_reason="test", suppressed_by="drop-test")
    assert d.incident_op is IncidentOp.NONE and d.held_reason == "suppressed by routing rule 'drop-test'"


def test_no_auto_resolve_holds_for_a_human() -> None:
    state = OpenState(alert=OpenAlert(status="triggered", last_event_hash="h", incident_id="1",
                                      incident_status="triggered"))
    resolve = AlertEvent(format="pagerduty", action=EventAction.RESOLVE, dedup_key="a", summary="x")
    d = decide(resolve, policy(auto_resolve=False), state, T0, severity="P1", severity_reason="t")
    assert d.alert_op is AlertOp.RESOLVE and d.incident_op is IncidentOp.HOLD


def test_severity_mapping_order() -> None:
    # Service rules beat the built-in words.
    p = policy(severity_map=(SeverityRule(matchers=tuple(parse_all(['team="payments"'])), severity="P1"),))
    payments = AlertEvent(format="alertmanager", action=EventAction.TRIGGER, dedup_key="a", summary="x",
                          source_severity="warning", labels={"team": "payments"})
    assert map_severity(p, payments, payments.attributes(), None)[0] == "P1"
    other = AlertEvent(format="alertmanager", action=EventAction.TRIGGER, dedup_key="a", summary="x",
                       source_severity="warning")
    assert map_severity(p, other, other.attributes(), None) == ("P3", "source severity 'warning'")
    odd = AlertEvent(format="alertmanager", action=EventAction.TRIGGER, dedup_key="a", summary="x",
                     source_severity="purple")
    assert map_severity(p, odd, odd.attributes(), None)[0] == "P3"
    assert map_severity(p, odd, odd.attributes(), "P2") == ("P2", "set by routing rule")
