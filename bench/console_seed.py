"""The console benchmark's data (bench/console.py): 100,000 incidents of which 1,000 are open, each
with the events a real one starts with, and one open incident of 5,000 timeline events. Written
straight into the tables in large multi-row inserts (declaring 100,000 incidents through the API
would take most of an hour), after the server applied its configuration; every payload is built
from the timeline catalogue, so every event reads as its sentence."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from firebell.core.timeline import incident as ev
from firebell.core.timeline.schema import Payload
from firebell.incidents.models import (
    Incident,
    IncidentSequence,
    IncidentService,
    LifecycleStage,
    RoleAssignment,
    TimelineEvent,
)
from firebell.org.models import Service, User
from firebell.severity.models import SeverityLevelRow

BATCH = 5_000


def _event(incident_id: str, payload: Payload, at: datetime, actor: str, actor_id: str | None) -> dict[str, Any]:
    return {"incident_id": incident_id, "type": payload.event_kind.value, "actor": actor, "actor_id": actor_id,
            "payload": payload.to_json(), "occurred_at": at, "recorded_at": at}


def seed(engine: Engine, *, total: int = 100_000, open_: int = 1_000, big_events: int = 5_000,
         now: datetime | None = None) -> str:
    """Write the incidents; the reference of the big one (the newest open incident)."""
    now = now or datetime.now(UTC)
    rng = random.Random(15)
    with engine.begin() as c:
        services = [(sid, name, team) for sid, name, team in c.execute(
            select(Service.id, Service.name, Service.team_id).where(Service.archived_at.is_(None)))]
        admin_id, admin = c.execute(select(User.id, User.name).order_by(User.name)).first()  # type: ignore[misc]
        levels = list(c.execute(select(SeverityLevelRow.key).order_by(SeverityLevelRow.rank)).scalars())
        stages = list(c.execute(select(LifecycleStage.name).order_by(LifecycleStage.position)).scalars())
        first = int(c.execute(select(IncidentSequence.last_number)).scalar() or 0) + 1
    who = f"{admin} via web"
    span = timedelta(days=730)
    rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    big_id = ""
    last = first + total - 1

    def flush(force: bool = False) -> None:
        if not force and len(rows) < BATCH:
            return
        with engine.begin() as c:
            for table, batch in ((Incident.__table__, rows), (IncidentService.__table__, links),
                                 (RoleAssignment.__table__, roles), (TimelineEvent.__table__, events)):
                for start in range(0, len(batch), BATCH):
                    c.execute(insert(table), batch[start:start + BATCH])
        for batch in (rows, links, roles, events):
            batch.clear()

    for number in range(first, last + 1):
        # Numbers run in declaration order; the last `open_` are the open ones (as in life: old ones are resolved).
        is_open = number > last - open_
        declared = now - span * (last - number) / total - timedelta(minutes=rng.randint(1, 50))
        sid, service_name, team_id = services[number % len(services)]
        severity = levels[min(int(rng.expovariate(1.2)), len(levels) - 1)]
        status = ("triggered" if number % 3 else "acknowledged") if is_open else "resolved"
        incident_id = str(uuid.uuid4())
        acked = declared + timedelta(minutes=rng.randint(1, 20)) if status != "triggered" else None
        resolved = declared + timedelta(minutes=rng.randint(21, 400)) if status == "resolved" else None
        title = f"{service_name}: {rng.choice(['error rate', 'latency', 'saturation', 'disk', 'queue depth'])} " \
                f"{rng.choice(['high', 'climbing', 'critical', 'degraded'])} in {rng.choice(['eu-1', 'us-2', 'ap-3'])}"
        rows.append({"id": incident_id, "number": number, "title": title, "summary": "", "impact": "",
                     "severity": severity, "status": status, "stage": stages[-1] if resolved else stages[0],
                     "private": number % 50 == 0, "source": "manual", "tags": [], "team_id": team_id,
                     "declared_by_id": admin_id, "declared_at": declared, "acknowledged_at": acked,
                     "resolved_at": resolved, "reopened_at": None,
                     # An open one had its stakeholder update just now: otherwise every one of the 1,000 is
                     # overdue at once and the server's engine spends the run paging (and failing to
                     # email) their commander, which is a reminder storm, not the console's speed.
                     "last_update_at": now if is_open else None,
                     "updated_at": resolved or acked or declared, "version": 3 if resolved else 1,
                     "origin_service_id": None, "group_key": None})
        links.append({"incident_id": incident_id, "service_id": sid})
        events.append(_event(incident_id, ev.Declared(title=title, severity=severity, stage=stages[0], tags=[],
                                                      services=[service_name], private=False), declared, who, admin_id))
        if acked:
            events.append(_event(incident_id, ev.Acknowledged(), acked, who, admin_id))
        if resolved:
            events.append(_event(incident_id, ev.Resolved(resolution="fixed"), resolved, who, admin_id))
        if is_open:
            roles.append({"incident_id": incident_id, "role": "commander", "user_id": admin_id,
                          "assigned_at": declared})
        if number == last:
            big_id = incident_id
            for n in range(big_events - 1):
                at = declared + timedelta(seconds=n + 1)
                payload: Payload = ev.NoteAdded(text=f"checked shard {n}: still degraded") if n % 4 else \
                    ev.StatusUpdate(message=f"still investigating (update {n // 4})", status="investigating")
                events.append(_event(incident_id, payload, at, who, admin_id))
        flush()
    flush(force=True)
    with engine.begin() as c:
        if c.execute(update(IncidentSequence).values(last_number=last)).rowcount == 0:
            c.execute(insert(IncidentSequence).values(id=1, last_number=last))
    assert big_id
    return f"INC-{last}"
