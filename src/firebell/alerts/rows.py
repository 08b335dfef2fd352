"""The ingestion hot path's reads and writes, as driver-level statements (see store/rawsql.py).

History rows (alert_events) are buffered per transaction and written together (on PostgreSQL as a
few multi-row inserts) just before commit, by a hook of the unit of work (store/hooks.py); a rollback
drops them. Timeline events wait the same way in incidents/timeline.py. Nothing ingestion decides on
reads those buffered rows back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firebell.alerts.batch_reads import (
    PagingContext,
    forget,
    forget_incident_alerts,
    incident_row,
    incident_severity_changed,
    new_alert,
    window_text,
)
from firebell.incidents import rows as incidents
from firebell.store.base import new_id
from firebell.store.hooks import before_commit
from firebell.store.rawsql import Raw, Statement, raw
from firebell.store.txcache import per_transaction

_WRITES_KEY = "ingest_writes"

_GROUP_INCIDENT = Statement("""
    SELECT id, number, status, severity, stage FROM incidents
    WHERE origin_service_id = :service_id AND group_key = :group_key AND status != 'resolved'
    ORDER BY number DESC LIMIT 1""")
_RECENT_FIRES = Statement("""
    SELECT first_seen_at FROM alerts
    WHERE service_id = :service_id AND dedup_key = :dedup_key AND first_seen_at >= :since""")
_MAINTENANCE = Statement("""
    SELECT name, reason, ends_at FROM maintenance_windows
    WHERE service_id = :service_id AND starts_at <= :now AND ends_at > :now AND ended_at IS NULL
    ORDER BY ends_at DESC LIMIT 1""")
_ALERT_COLUMNS = ("id", "service_id", "integration_id", "format", "dedup_key", "group_key", "status", "severity",
                  "source_severity", "summary", "source", "labels", "annotations", "links", "details", "tags",
                  "last_payload", "last_event_hash", "event_count", "first_seen_at", "last_seen_at",
                  "incident_id", "flapping", "held_reason")
_INSERT_ALERT = Statement(f"INSERT INTO alerts ({', '.join(_ALERT_COLUMNS)}) "
                          f"VALUES ({', '.join(':' + c for c in _ALERT_COLUMNS)})")
_INSERT_HISTORY = Statement("""
    INSERT INTO alert_events (alert_id, action, outcome, received_at, payload)
    VALUES (:alert_id, :action, :outcome, :received_at, :payload)""")
_JSON_COLUMNS = frozenset({"labels", "annotations", "links", "details", "tags", "last_payload"})
_TS_COLUMNS = frozenset({"first_seen_at", "last_seen_at", "acknowledged_at", "resolved_at"})
_updates: dict[tuple[str, ...], Statement] = {}


def paging_context(session: Session, service_id: str, group_key: str, dedup_key: str | None, since: datetime,
                   now: datetime) -> PagingContext:
    """The three reads in one round trip (PostgreSQL); recent fires only when `dedup_key` is given.
    (A batch's triggers usually have theirs from `batch_reads`.)"""
    db = raw(session)
    reads: list[tuple[Statement, dict[str, Any]]] = [
        (_GROUP_INCIDENT, {"service_id": service_id, "group_key": group_key}),
        (_MAINTENANCE, {"service_id": service_id, "now": db.ts(now)})]
    if dedup_key is not None:
        reads.append((_RECENT_FIRES, {"service_id": service_id, "dedup_key": dedup_key, "since": db.ts(since)}))
    found = db.rows_together(reads)
    group, window = found[0][0] if found[0] else None, found[1][0] if found[1] else None
    fires = [t for (value,) in found[2] if (t := db.read_ts(value)) is not None] if dedup_key is not None else []
    return PagingContext(
        group_incident=incident_row(group) if group else None,
        recent_fires=fires, maintenance=_window_text(db, window) if window else None)


def _window_text(db: Raw, row: tuple[Any, ...]) -> str:
    name, reason, ends_at = row
    ends = db.read_ts(ends_at)
    assert ends is not None
    return window_text(name, reason, ends)


def _adapt(db: Raw, values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key, value in values.items():
        if key in _JSON_COLUMNS:
            out[key] = db.json(value)
        elif key in _TS_COLUMNS:
            out[key] = db.ts(value)
    return out


_ALERT_COLUMN_SET = frozenset(_ALERT_COLUMNS)
_INSERTED_JSON = tuple(c for c in _ALERT_COLUMNS if c in _JSON_COLUMNS)
_INSERTED_TS = tuple(c for c in _ALERT_COLUMNS if c in _TS_COLUMNS)


def insert_alert(session: Session, values: dict[str, Any]) -> str:
    """Insert an alert of every column in `_ALERT_COLUMNS` (an id is made if "id" is None). The
    dict becomes the statement's parameters, adapted in place: a big message inserts 10,000."""
    missing = _ALERT_COLUMN_SET - values.keys()
    if missing:
        raise ValueError(f"alert insert without {sorted(missing)}")
    if values["id"] is None:
        values["id"] = new_id()
    new_alert(session, values["service_id"], values["dedup_key"], values["incident_id"])
    db = raw(session)
    for column in _INSERTED_JSON:
        values[column] = db.json(values[column])
    for column in _INSERTED_TS:
        values[column] = db.ts(values[column])
    db.defer(_INSERT_ALERT, values)
    return str(values["id"])


def update_alert(session: Session, key: tuple[str, str], alert_id: str, changes: dict[str, Any], *,
                 incident_id: str | None) -> None:
    """Update the open alert `alert_id`, known to lookups as `key` (service id, dedup key), which
    belonged to `incident_id` before the change."""
    forget(session, key)
    if "status" in changes or "incident_id" in changes:  # its incidents' open alerts change
        forget_incident_alerts(session, incident_id)
        forget_incident_alerts(session, changes.get("incident_id"))
    if not changes:
        return
    columns = tuple(sorted(changes))
    statement = _updates.get(columns)
    if statement is None:
        statement = Statement(f"UPDATE alerts SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :alert_id")
        _updates[columns] = statement
    db = raw(session)
    db.defer(statement, _adapt(db, changes) | {"alert_id": alert_id})


def join_incident(session: Session, incident_id: str, severity: str | None, now: datetime) -> None:
    """An alert joined the incident; `severity`: the incident's new one, when the alert raised it."""
    if severity is None:
        incidents.alert_joined(session, incident_id, now)
        return
    incident_severity_changed(session, incident_id, severity)
    incidents.raise_severity(session, incident_id, severity, now)


@dataclass
class Writes:
    """History rows waiting for the transaction's one write of them."""

    history: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, session: Session) -> None:
        if not self.history:
            return
        db = raw(session)
        db.defer_many(_INSERT_HISTORY, [{**h, "received_at": db.ts(h["received_at"]), "payload": db.json(h["payload"])}
                                      for h in self.history])
        self.history.clear()


def writes(session: Session) -> Writes:
    """This transaction's buffer: written just before it commits, dropped with it on a rollback."""
    return per_transaction(session, _WRITES_KEY, lambda: _written_before_commit(session))


def _written_before_commit(session: Session) -> Writes:
    found = Writes()
    before_commit(session, found.flush)
    return found


def add_history(session: Session, alert_id: str, action: str, outcome: str, at: datetime, payload: Any) -> None:
    writes(session).history.append({"alert_id": alert_id, "action": action, "outcome": outcome[:300],
                                    "received_at": at, "payload": payload})


