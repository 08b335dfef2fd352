"""What a batch of events reads before deciding, read once for the whole batch.

While a batch names its locks (`service.lock_names`), each event announces what its decision will
look at: its open alert (for a resolve, with how many other alerts of its incident are still open)
and, for a trigger, its group's open incident, its service's maintenance windows and its key's
recent first fires (flapping). On PostgreSQL all of that is read in the locks' own round trip, after
the locks, so a batch's reads cost one round trip however many events it holds. On SQLite, which
takes no locks of its own (its writer holds the database's write lock), the alerts are read in one
query at the first lookup, and the groups, fires and windows in one query each at the first paging
lookup: asked event by event they were three queries an alert, a fifth of a big message's time.

The answers hold for the transaction, except where its own writes change them: every write says
what it changed (`forget`, `forget_incident`, `forget_group`, `forget_fires`), and the next lookup
reads the database again, after the deferred writes, which every read sends first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from firebell.store.locks import read_with_locks
from firebell.store.rawsql import Raw, Statement, raw
from firebell.store.txcache import per_transaction

_KEY = "batch_reads"


@dataclass
class IncidentRow:
    id: str
    number: int
    status: str
    severity: str
    stage: str

    @property
    def ref(self) -> str:
        return f"INC-{self.number}"


@dataclass
class AlertRow:
    id: str
    status: str
    severity: str
    group_key: str
    last_event_hash: str
    incident_id: str | None
    event_count: int
    incident: IncidentRow | None
    another_open: bool | None = None  # whether its incident has another open alert, when read for a resolve


@dataclass
class PagingContext:
    """What decides whether a trigger opens, joins or waits: the group's open incident, the alert's
    recent first fires (flapping) and the service's maintenance window."""

    group_incident: IncidentRow | None
    recent_fires: list[datetime]
    maintenance: str | None


_ALERT_COLUMNS = """a.id, a.status, a.severity, a.group_key, a.last_event_hash, a.incident_id, a.event_count,
                    i.number, i.status, i.severity, i.stage"""
# "Is there another?" is all a resolve needs: EXISTS on the partial index of open alerts by incident
# stops at the second entry, where a count read all of them (13.8 ms at 19,000 open alerts).
_OTHER_OPEN = """EXISTS (SELECT 1 FROM alerts o
                  WHERE o.incident_id = a.incident_id AND o.status != 'resolved' AND o.id != a.id)"""
_FROM = "FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.status != 'resolved' AND a.service_id = "
_OPEN_ALERT = Statement(f"SELECT {_ALERT_COLUMNS} {_FROM} :service_id AND a.dedup_key = :dedup_key")
_OPEN_ALERT_COUNTED = Statement(f"SELECT {_ALERT_COLUMNS}, {_OTHER_OPEN} {_FROM} :service_id "
                                "AND a.dedup_key = :dedup_key")
_OPEN_ALERTS = Statement(f"SELECT {_ALERT_COLUMNS}, a.dedup_key {_FROM} :service_id AND a.dedup_key = ANY(:keys)")
_OPEN_ALERTS_COUNTED = Statement(f"SELECT {_ALERT_COLUMNS}, {_OTHER_OPEN}, a.dedup_key {_FROM} :service_id "
                                 "AND a.dedup_key = ANY(:keys)")

# PostgreSQL reads a batch's keys with one lookup per key, without relying on statistics: given
# `key = ANY(:keys)` and none yet (a young or freshly loaded table), it scanned the whole service
# and filtered the keys, touching 5-12x the buffers. OFFSET 0 keeps each subquery from being merged
# into a plain join, which the planner may again run over the whole service.
_EACH_KEY = "FROM unnest(CAST(:keys AS text[])) AS k(key) CROSS JOIN LATERAL"
_PG_ALERTS_FROM = f"""{_EACH_KEY} (SELECT id, status, severity, group_key, last_event_hash, incident_id, event_count,
    dedup_key FROM alerts WHERE status != 'resolved' AND service_id = :service_id AND dedup_key = k.key OFFSET 0) a
    LEFT JOIN incidents i ON i.id = a.incident_id"""
_PG_OPEN_ALERTS = Statement(f"SELECT {_ALERT_COLUMNS}, a.dedup_key {_PG_ALERTS_FROM}")
_PG_OPEN_ALERTS_COUNTED = Statement(f"SELECT {_ALERT_COLUMNS}, {_OTHER_OPEN}, a.dedup_key {_PG_ALERTS_FROM}")
_ALERTS_BY_KEYS = {(False, False): _OPEN_ALERTS, (False, True): _OPEN_ALERTS_COUNTED,  # (postgresql, counted)
                   (True, False): _PG_OPEN_ALERTS, (True, True): _PG_OPEN_ALERTS_COUNTED}
_GROUP_INCIDENTS = Statement(f"""
    SELECT k.key, g.id, g.number, g.status, g.severity, g.stage {_EACH_KEY}
    (SELECT id, number, status, severity, stage FROM incidents
     WHERE origin_service_id = :service_id AND group_key = k.key AND status != 'resolved' OFFSET 0) g""")
_RECENT_FIRES = Statement(f"""
    SELECT k.key, f.first_seen_at {_EACH_KEY}
    (SELECT first_seen_at FROM alerts
     WHERE service_id = :service_id AND dedup_key = k.key AND first_seen_at >= :since OFFSET 0) f""")
# SQLite has neither arrays nor LATERAL; `= ANY(:keys)` becomes an IN over the keys' JSON (rawsql.py).
_SQLITE_GROUP_INCIDENTS = Statement("""
    SELECT group_key, id, number, status, severity, stage FROM incidents
    WHERE origin_service_id = :service_id AND status != 'resolved' AND group_key = ANY(:keys)""")
_SQLITE_RECENT_FIRES = Statement("""
    SELECT dedup_key, first_seen_at FROM alerts
    WHERE service_id = :service_id AND dedup_key = ANY(:keys) AND first_seen_at >= :since""")
_WINDOWS = Statement("""
    SELECT service_id, name, reason, starts_at, ends_at FROM maintenance_windows
    WHERE service_id = ANY(:ids) AND ends_at > :now AND ended_at IS NULL""")


@dataclass
class _Window:
    starts_at: datetime
    ends_at: datetime
    text: str


@dataclass
class _Batch:
    """Announced (`*_wanted`, by service id) and read, for one transaction."""

    alerts_wanted: dict[str, set[str]] = field(default_factory=dict)
    counted_wanted: dict[str, set[str]] = field(default_factory=dict)  # resolves: read with other open alerts
    groups_wanted: dict[str, set[str]] = field(default_factory=dict)
    fires_wanted: dict[str, set[str]] = field(default_factory=dict)
    fires_since: dict[str, datetime] = field(default_factory=dict)
    windows_wanted: set[str] = field(default_factory=set)
    windows_now: datetime | None = None
    alerts: dict[tuple[str, str], AlertRow | None] = field(default_factory=dict)
    alerts_of: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # incident id -> keys in `alerts`
    groups: dict[tuple[str, str], IncidentRow | None] = field(default_factory=dict)
    fires: dict[tuple[str, str], tuple[datetime, list[datetime]]] = field(default_factory=dict)  # (since, fires)
    windows: dict[str, tuple[datetime, list[_Window]]] = field(default_factory=dict)  # (as of, windows)
    with_locks: bool = False


def _batch(session: Session) -> _Batch:
    return per_transaction(session, _KEY, _Batch)


def announce(session: Session, service_id: str, dedup_key: str, *, counted: bool = False,
             paging: tuple[str, datetime, datetime] | None = None) -> None:
    """An event of this batch will look up its open alert (`counted`: with its incident's other open
    alerts) and, with `paging` = (group key, flapping since, now), what a trigger pages on. Call only
    where the keys' locks are taken before the first lookup, so what is read stays true."""
    b = _batch(session)
    (b.counted_wanted if counted else b.alerts_wanted).setdefault(service_id, set()).add(dedup_key)
    if paging is not None:
        group_key, since, now = paging
        b.groups_wanted.setdefault(service_id, set()).add(group_key)
        b.fires_wanted.setdefault(service_id, set()).add(dedup_key)
        b.fires_since[service_id] = min(since, b.fires_since.get(service_id, since))
        b.windows_wanted.add(service_id)
        b.windows_now = now if b.windows_now is None else min(now, b.windows_now)
    if not b.with_locks:
        b.with_locks = True
        _read_with_locks(session, b)


_Read = tuple[Statement, dict[str, Any], Callable[[list[tuple[Any, ...]]], None]]


def _read_with_locks(session: Session, b: _Batch) -> None:
    receivers: list[Callable[[list[tuple[Any, ...]]], None]] = []

    def reads() -> list[tuple[Statement, dict[str, Any]]]:
        everything = _everything(raw(session), b)
        receivers[:] = [receive for _, _, receive in everything]
        return [(statement, params) for statement, params, _ in everything]

    def receive(found: list[list[tuple[Any, ...]]]) -> None:
        for answer, rows in zip(receivers, found, strict=True):
            answer(rows)

    read_with_locks(session, reads, receive)


def _alert_reads(db: Raw, b: _Batch) -> list[_Read]:
    reads: list[_Read] = []
    pg = db.dialect == "postgresql"
    for wanted, counted in ((b.alerts_wanted, False), (b.counted_wanted, True)):
        statement = _ALERTS_BY_KEYS[pg, counted]
        for service_id, keys in wanted.items():
            reads.append((statement, {"service_id": service_id, "keys": sorted(keys)},
                          partial(_receive_alerts, b, service_id, keys, counted)))
        wanted.clear()
    return reads


def _everything(db: Raw, b: _Batch) -> list[_Read]:
    """Every announced read, each with where its rows go; asked as the locks go out."""
    reads = _alert_reads(db, b)
    pg = db.dialect == "postgresql"
    for service_id, keys in b.groups_wanted.items():
        reads.append((_GROUP_INCIDENTS if pg else _SQLITE_GROUP_INCIDENTS, {"service_id": service_id,
                                                                            "keys": sorted(keys)},
                      partial(_receive_groups, b, service_id, keys)))
    for service_id, wanted in b.fires_wanted.items():
        # Only a new alert pages on its key's fires: a key known to have an open alert reads none
        # (SQLite knows them by now; a re-fire's key had dozens of fires to read for nothing).
        keys = {key for key in wanted if b.alerts.get((service_id, key)) is None}
        if not keys:
            continue
        since = b.fires_since[service_id]
        reads.append((_RECENT_FIRES if pg else _SQLITE_RECENT_FIRES,
                      {"service_id": service_id, "keys": sorted(keys), "since": db.ts(since)},
                      partial(_receive_fires, db, b, service_id, keys, since)))
    if b.windows_wanted and b.windows_now is not None:
        ids = sorted(b.windows_wanted)
        reads.append((_WINDOWS, {"ids": ids, "now": db.ts(b.windows_now)},
                      partial(_receive_windows, db, b, ids, b.windows_now)))
    b.groups_wanted, b.fires_wanted, b.windows_wanted = {}, {}, set()
    return reads


def _receive_alerts(b: _Batch, service_id: str, keys: set[str], counted: bool, rows: list[tuple[Any, ...]]) -> None:
    for key in keys:
        _forget_alert(b, (service_id, key))
        b.alerts[(service_id, key)] = None
    for row in rows:
        alert = _alert(row, bool(row[-2]) if counted else None)
        b.alerts[(service_id, row[-1])] = alert
        if alert.incident_id is not None:
            b.alerts_of.setdefault(alert.incident_id, set()).add((service_id, row[-1]))


def _forget_alert(b: _Batch, key: tuple[str, str]) -> None:
    row = b.alerts.pop(key, None)
    if row is not None and row.incident_id is not None:
        b.alerts_of.get(row.incident_id, set()).discard(key)


def _receive_groups(b: _Batch, service_id: str, keys: set[str], rows: list[tuple[Any, ...]]) -> None:
    for key in keys:
        b.groups[(service_id, key)] = None
    for group_key, *incident in sorted(rows, key=lambda r: int(r[2])):  # the newest open one wins, as live
        b.groups[(service_id, group_key)] = incident_row(incident)


def _receive_fires(db: Raw, b: _Batch, service_id: str, keys: set[str], since: datetime,
                   rows: list[tuple[Any, ...]]) -> None:
    by_key: dict[str, list[datetime]] = {key: [] for key in keys}
    for dedup_key, first_seen in rows:
        if (stamp := db.read_ts(first_seen)) is not None:
            by_key[dedup_key].append(stamp)
    for key, fires in by_key.items():
        b.fires[(service_id, key)] = (since, fires)


def _receive_windows(db: Raw, b: _Batch, service_ids: list[str], now: datetime, rows: list[tuple[Any, ...]]) -> None:
    by_service: dict[str, list[_Window]] = {service_id: [] for service_id in service_ids}
    for service_id, name, reason, starts_at, ends_at in rows:
        start, end = db.read_ts(starts_at), db.read_ts(ends_at)
        if start is not None and end is not None:
            by_service[service_id].append(_Window(start, end, window_text(name, reason, end)))
    for service_id, windows in by_service.items():
        b.windows[service_id] = (now, windows)


def window_text(name: str | None, reason: str | None, ends_at: datetime) -> str:
    return f"window {name or reason or 'ad hoc'!r} until {ends_at:%Y-%m-%d %H:%M} UTC"


def incident_row(values: Sequence[Any]) -> IncidentRow:
    """From (id, number, status, severity, stage)."""
    incident_id, number, status, severity, stage = values
    return IncidentRow(id=incident_id, number=int(number), status=status, severity=severity, stage=stage)


def _alert(row: tuple[Any, ...], another_open: bool | None) -> AlertRow:
    incident = incident_row((row[5], *row[7:11])) if row[5] is not None and row[7] is not None else None
    return AlertRow(id=row[0], status=row[1], severity=row[2], group_key=row[3], last_event_hash=row[4],
                    incident_id=row[5], event_count=int(row[6]), incident=incident, another_open=another_open)


# Lookups: from what the batch read when that still holds, else from the database.

def open_alert(session: Session, service_id: str, dedup_key: str, *, counted: bool = False) -> AlertRow | None:
    """The open alert of (service, dedup key); `counted`: with `another_open` filled in."""
    b = _batch(session)
    if b.alerts_wanted or b.counted_wanted:  # not read with the locks (SQLite, or no locks taken)
        _read_now(raw(session), _alert_reads(raw(session), b))
    key = (service_id, dedup_key)
    if key in b.alerts:
        found = b.alerts[key]
        if found is None or not counted or found.another_open is not None:
            return found
    row = raw(session).one(_OPEN_ALERT_COUNTED if counted else _OPEN_ALERT,
                           {"service_id": service_id, "dedup_key": dedup_key})
    return _alert(row, bool(row[-1]) if counted else None) if row is not None else None


def _read_now(db: Raw, reads: list[_Read]) -> None:
    answers = db.rows_together([(statement, params) for statement, params, _ in reads])
    for (_, _, receive), rows in zip(reads, answers, strict=True):
        receive(rows)


def paging_context(session: Session, service_id: str, group_key: str, dedup_key: str | None, since: datetime,
                   now: datetime) -> PagingContext | None:
    """What the batch read for a trigger of this group (and, given `dedup_key`, its recent fires),
    if it read all of it and nothing since has changed it; None: read it live."""
    b = _batch(session)
    if b.groups_wanted or b.fires_wanted or b.windows_wanted:  # not read with the locks (SQLite)
        _read_now(raw(session), _everything(raw(session), b))
    group = (service_id, group_key)
    windows = b.windows.get(service_id)
    fires = b.fires.get((service_id, dedup_key)) if dedup_key is not None else (since, [])
    if group not in b.groups or windows is None or fires is None or fires[0] > since or windows[0] > now:
        return None
    active = [w for w in windows[1] if w.starts_at <= now < w.ends_at]
    window = max(active, key=lambda w: w.ends_at) if active else None
    return PagingContext(group_incident=b.groups[group], recent_fires=[t for t in fires[1] if t >= since],
                         maintenance=window.text if window is not None else None)


# What this transaction's writes changed.

def forget(session: Session, key: tuple[str, str]) -> None:
    """One alert, by (service id, dedup key)."""
    _forget_alert(_batch(session), key)


def forget_incident(session: Session, incident_id: str | None) -> None:
    """An incident-wide change (its status): its cached alerts and its group's answer; the rest of
    the batch's reads still hold."""
    if incident_id is None:
        return
    forget_incident_alerts(session, incident_id)
    b = _batch(session)
    for key in [key for key, row in b.groups.items() if row is not None and row.id == incident_id]:
        del b.groups[key]


def forget_incident_alerts(session: Session, incident_id: str | None) -> None:
    """Which of the incident's alerts are open changed: its cached alerts (their "another open?"),
    not its group's answer, which is the same incident with the same status and severity. (Forgetting
    that too sent every alert of a large message after the first to read its group again, alone.)"""
    if incident_id is None:
        return
    b = _batch(session)
    for key in b.alerts_of.pop(incident_id, ()):
        b.alerts.pop(key, None)


def incident_severity_changed(session: Session, incident_id: str, severity: str) -> None:
    """An alert joined the incident (maybe raising its severity): its cached alerts carry the
    incident's severity and are dropped; its group's answer is kept with the new severity."""
    forget_incident_alerts(session, incident_id)
    b = _batch(session)
    for key, row in b.groups.items():
        if row is not None and row.id == incident_id:
            b.groups[key] = replace(row, severity=severity)


def remember_group(session: Session, service_id: str, group_key: str, incident: IncidentRow) -> None:
    """The group's open incident is now `incident`, opened by this transaction under the group's lock."""
    _batch(session).groups[(service_id, group_key)] = incident


def forget_all(session: Session) -> None:
    """A lock taken late (its name was not guessed up front) may have waited for another
    transaction, whose changes any of the batch's answers may miss."""
    b = _batch(session)
    b.alerts.clear()
    b.alerts_of.clear()
    b.groups.clear()
    b.fires.clear()
    b.windows.clear()


def forget_group(session: Session, service_id: str, group_key: str) -> None:
    """The group's open incident changed (one opened or closed)."""
    _batch(session).groups.pop((service_id, group_key), None)


def new_alert(session: Session, service_id: str, dedup_key: str, incident_id: str | None) -> None:
    """An alert was inserted: its key's open alert and fires, and its incident's other open alerts
    (`forget`, `forget_fires`, `forget_incident_alerts` in one look at the batch)."""
    b = _batch(session)
    key = (service_id, dedup_key)
    _forget_alert(b, key)
    b.fires.pop(key, None)
    if incident_id is not None:
        for other in b.alerts_of.pop(incident_id, ()):
            b.alerts.pop(other, None)


def forget_fires(session: Session, service_id: str, dedup_key: str) -> None:
    """A new alert of this key: it is a fire the next trigger's flapping check counts."""
    _batch(session).fires.pop((service_id, dedup_key), None)
