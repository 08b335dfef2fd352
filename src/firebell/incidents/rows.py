"""The incidents domain's driver-level statements (store/rawsql.py): the writes of its tables on hot
paths. Ingestion opens and joins incidents through these (alerts/incident_rows.py decides when); every
status change, a person's or ingestion's, is written by `write_transition` (incidents/transitions.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from firebell.core.lifecycle import Action
from firebell.store.hooks import before_commit
from firebell.store.rawsql import Statement, raw
from firebell.store.txcache import per_transaction

# One statement, no seed row to forget: the first incident inserts the row, every later one advances
# it. The upsert takes the row lock on PostgreSQL (and SQLite writers hold the database lock), so two
# declarations never get the same number.
_NEXT_NUMBER = Statement("""
    INSERT INTO incident_sequence (id, last_number) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET last_number = incident_sequence.last_number + 1
    RETURNING last_number""")


def next_number(session: Session) -> int:
    """The next incident number, counted in the caller's transaction."""
    row = raw(session).one(_NEXT_NUMBER, {})
    assert row is not None  # an upsert with RETURNING always returns its row
    return int(row[0])


_INSERT_OPENED_BY_ALERT = Statement("""
    INSERT INTO incidents (id, number, title, summary, impact, severity, status, stage, private, source,
                           origin_service_id, group_key, tags, team_id, declared_by_id, declared_at, updated_at,
                           version)
    VALUES (:id, :number, :title, '', '', :severity, 'triggered', :stage, :private, 'alert',
            :service_id, :group_key, :tags, :team_id, NULL, :now, :now, 1)""")
_INSERT_SERVICE = Statement(
    "INSERT INTO incident_services (incident_id, service_id) VALUES (:incident_id, :service_id)")
_RAISE_SEVERITY = Statement("""
    UPDATE incidents SET severity = :severity, updated_at = :now, version = version + 1 WHERE id = :id""")
_transitions: dict[tuple[Action, bool], Statement] = {}


def insert_opened_by_alert(session: Session, *, incident_id: str, number: int, title: str, severity: str,
                           stage: str, service_id: str, group_key: str, tags: list[str], team_id: str,
                           now: datetime) -> None:
    """An incident an alert opened (owned by the service's team, declared by Firebell), and its service."""
    db = raw(session)
    db.defer(_INSERT_OPENED_BY_ALERT, {
        "id": incident_id, "number": number, "title": title, "severity": severity, "stage": stage, "private": False,
        "service_id": service_id, "group_key": group_key, "tags": db.json(tags), "team_id": team_id,
        "now": db.ts(now)})
    db.defer(_INSERT_SERVICE, {"incident_id": incident_id, "service_id": service_id})


# What each action stamps on the row besides its status (reopening clears the earlier stamps).
_STAMPS: dict[Action, tuple[tuple[str, bool], ...]] = {
    Action.ACKNOWLEDGE: (("acknowledged_at", True),),
    Action.RESOLVE: (("resolved_at", True),),
    Action.REOPEN: (("reopened_at", True), ("resolved_at", False), ("acknowledged_at", False)),
}


def write_transition(session: Session, incident_id: str, *, status: str, action: Action, stage: str | None,
                     now: datetime) -> dict[str, object]:
    """The incident's new status, the stamps of `action` and, if it moves, its stage; its version
    goes up, which fences the escalation engine. Returns the values set, by column (the version as
    the increment it is)."""
    key = (action, stage is not None)
    statement = _transitions.get(key)
    if statement is None:
        stamps = "".join(f", {column} = {':now' if stamped else 'NULL'}" for column, stamped in _STAMPS[action])
        stage_sql = ", stage = :stage" if stage is not None else ""
        statement = _transitions[key] = Statement(
            f"UPDATE incidents SET status = :status{stamps}{stage_sql}, updated_at = :now, "
            "version = version + 1 WHERE id = :id")
    db = raw(session)
    params = {"id": incident_id, "status": status, "now": db.ts(now)}
    columns: dict[str, object] = {"status": status, "updated_at": now,
                                  **{column: now if stamped else None for column, stamped in _STAMPS[action]}}
    if stage is not None:
        params["stage"] = columns["stage"] = stage
    db.defer(statement, params)
    return columns


def raise_severity(session: Session, incident_id: str, severity: str, now: datetime) -> None:
    """An alert that joined its incident at a higher severity raises the incident's."""
    db = raw(session)
    db.defer(_RAISE_SEVERITY, {"id": incident_id, "severity": severity, "now": db.ts(now)})


_JOINED = Statement("UPDATE incidents SET updated_at = :now, version = version + :joins WHERE id = :id")
_JOINS_KEY = "incident_joins"


def alert_joined(session: Session, incident_id: str, now: datetime) -> None:
    """An alert joined the incident without changing it otherwise: it is updated and its version goes
    up, as by `raise_severity`, but in one statement per incident just before the commit, whatever
    the number of joins (a 10,000-alert message made 10,000 updates of one row). Nothing in the
    transaction reads an incident's version or update time back."""
    joins = per_transaction(session, _JOINS_KEY, lambda: _written_before_commit(session))
    count, _ = joins.get(incident_id, (0, now))
    joins[incident_id] = (count + 1, now)


def _written_before_commit(session: Session) -> dict[str, tuple[int, datetime]]:
    joins: dict[str, tuple[int, datetime]] = {}

    def write(session: Session) -> None:
        if joins:
            db = raw(session)
            db.defer_many(_JOINED, [{"id": incident_id, "joins": count, "now": db.ts(at)}
                                    for incident_id, (count, at) in sorted(joins.items())])
            joins.clear()

    before_commit(session, write)
    return joins
