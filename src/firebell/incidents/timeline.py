"""The one writer of `timeline_events`: every event of every domain is appended here.

Events are kept in one list per transaction, in the order the code appended them, and written by
one driver-level multi-row insert (store/rawsql.py), so the ids number them in that order whoever
appended them. When the list is written is decided here, by who acted:
- Firebell's own events (ingestion, the escalation engine, the sender, reminders) wait until just
  before the commit: a batch of ingested alerts or an engine pass writes its events in one insert.
- A person's event is written at once (with any events still waiting before it): the request that
  made it reads the incident back before it commits (the API's answer counts missed updates).
The table is append-only (its migration refuses UPDATE and DELETE): a correction is a new event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core.timeline.kinds import FIREBELL
from firebell.core.timeline.schema import Payload
from firebell.store.hooks import before_commit
from firebell.store.rawsql import Statement, raw
from firebell.store.txcache import per_transaction
from firebell.store.uow import seen_after_commit

_WAITING = "timeline_waiting"
_INSERT = Statement("""
    INSERT INTO timeline_events (incident_id, type, actor_id, actor, payload, occurred_at, recorded_at)
    VALUES (:incident_id, :type, :actor_id, :actor, :payload, :at, :at)""")


def append(session: Session, incident_id: str, event_: Payload, *, at: datetime, actor: Actor | None = None) -> None:
    """Record `event_` on the incident's timeline as of `at`; `actor` None means Firebell itself."""
    waiting = _waiting(session)
    waiting.append({"incident_id": incident_id, "type": event_.event_kind.value,
                    "actor_id": actor.user_id if actor is not None else None,
                    "actor": actor.label if actor is not None else FIREBELL, "payload": event_.to_json(), "at": at})
    seen_after_commit(session, incident_id)  # the console's live views show it once committed
    if actor is not None:
        write_waiting(session)


def write_waiting(session: Session) -> None:
    """Write the transaction's waiting events now (the commit does it otherwise)."""
    waiting = _waiting(session)
    if not waiting:
        return
    db = raw(session)
    db.defer_many(_INSERT, [{**e, "at": db.ts(e["at"]), "payload": db.json(e["payload"])} for e in waiting])
    waiting.clear()


def _waiting(session: Session) -> list[dict[str, Any]]:
    # Per transaction: the events of one that rolled back are never written.
    return per_transaction(session, _WAITING, lambda: _written_before_commit(session))


def _written_before_commit(session: Session) -> list[dict[str, Any]]:
    before_commit(session, write_waiting)  # the unit of work writes what still waits (store/hooks.py)
    return []
