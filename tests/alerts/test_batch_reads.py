"""A batch reads what its events decide on once, with its locks (`alerts/batch_reads.py`), and its
own writes make those answers stale. Whatever the mix of events, a batch must decide exactly as the
same events would one transaction at a time: no second incident for a group, no incident left open
by its last alert, no flapping fire missed."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from firebell.alerts import batch_reads
from firebell.alerts.endpoints import find_integration
from firebell.alerts.service import Outcome, ingest, lock_names
from firebell.core.events import AlertEvent
from firebell.core.formats.alertmanager import parse_message
from firebell.store.locks import lock_all
from firebell.store.rawsql import Raw
from firebell.store.uow import Database
from tests.alerts.test_ingest_api import AM_API, am_alert, am_message, incidents, timeline_types
from tests.api.conftest import Api

_runs = itertools.count()
# (key, firing?, severity label): two keys per group, so triggers join and resolves close incidents
Step = tuple[int, bool, str]
steps = st.integers(1, 4).flatmap(lambda keys: st.lists(
    st.tuples(st.integers(0, keys - 1), st.booleans(), st.sampled_from(["critical", "warning", "info"])),
    min_size=1, max_size=16))
# max_refires is 3; below the paging threshold no incident changes, so only the fires tell
FLAPPING = [(0, True, "info"), (0, False, "info")] * 5 + [(0, True, "info")]


def _event(run: str, step: Step) -> AlertEvent:
    key, firing, severity = step
    alert = am_alert(f"{run}-check{key}", f"host{key}", status="firing" if firing else "resolved", severity=severity)
    alert["fingerprint"] = hashlib.sha256(f"{run}-{key}".encode()).hexdigest()[:16]
    (event,) = parse_message(am_message(f"{run}-group{key // 2}", [alert]), flavour="alertmanager")
    return event


def _decide(db: Database, events: list[AlertEvent], now: datetime) -> list[Outcome]:
    """One transaction, as group commit runs it: name and take the locks (reading with them), then
    ingest, a moment later (the reads must serve a `now` later than the one they were made for)."""
    with db.unit_of_work() as session:
        integration = find_integration(session, AM_API, ("alertmanager",))
        assert integration is not None
        lock_all(session, lock_names(session, integration, events, now - timedelta(seconds=2)))
        return ingest(session, integration, events, now)


def _comparable(run: str, outcomes: list[Outcome]) -> list[tuple[Any, ...]]:
    refs: dict[str | None, int | None] = {None: None}
    return [(o.action, o.alert_op, o.incident_op, o.severity, o.flapping,
             (o.held_reason or "").replace(run, "RUN"), refs.setdefault(o.incident, len(refs)))
            for o in outcomes]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
@example(sequence=FLAPPING)
def test_a_batch_decides_as_its_events_would_one_at_a_time(api: Api, sequence: list[Step]) -> None:
    n = next(_runs)
    now = api.clock.now
    alone, together = f"one{n}", f"all{n}"
    one_by_one = [outcome for step in sequence for outcome in _decide(api.db, [_event(alone, step)], now)]
    batched = _decide(api.db, [_event(together, step) for step in sequence], now)
    assert _comparable(together, batched) == _comparable(alone, one_by_one)


def test_both_alerts_resolving_in_one_message_resolve_their_incident(api: Api) -> None:
    group = [am_alert("QueueDepth", "mq1", severity="critical"), am_alert("QueueDepth", "mq2", severity="critical")]
    api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message("QueueDepth", group))
    (incident,) = incidents(api)
    assert incident["status"] == "triggered"
    resolved = [am_alert("QueueDepth", "mq1", status="resolved", severity="critical"),
                am_alert("QueueDepth", "mq2", status="resolved", severity="critical")]
    response = api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message("QueueDepth", resolved))
    assert response.status_code == 202
    (incident,) = incidents(api)
    assert incident["status"] == "resolved"  # the second resolve saw that no alert was left open
    assert timeline_types(api, incident["ref"]).count("alert_resolved") == 2


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _plan_nodes(child))]


def test_postgresql_reads_each_key_of_a_batch_by_index_before_the_tables_have_statistics(api: Api) -> None:
    """On a young table (no ANALYZE yet) PostgreSQL planned `dedup_key = ANY(:keys)` as a scan of
    the whole service with the keys as a filter, so every batch read grew with the table."""
    if api.db.dialect != "postgresql":
        pytest.skip("SQLite reads each kind of a batch's answers in one query at first lookup, its own planner")
    with api.db.unit_of_work() as session:  # no autovacuum ANALYZE halfway through
        for table in ("alerts", "incidents"):
            session.connection().exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
    for n in range(30):  # alerts of 30 groups, a third of them resolved again
        alert = am_alert(f"Disk{n}", f"db{n}", severity="critical")
        api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message(f"Disk{n}", [alert]))
        if n % 3 == 0:
            gone = am_alert(f"Disk{n}", f"db{n}", status="resolved", severity="critical")
            api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message(f"Disk{n}", [gone]))
    with api.db.unit_of_work() as session:
        connection = session.connection()
        service_id, keys, groups = connection.exec_driver_sql(
            "SELECT service_id, array_agg(dedup_key), array_agg(group_key) FROM alerts GROUP BY service_id").one()
        assert len(keys) == 30
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE tablename IN ('alerts', 'incidents')").scalar() == 0
        params = {"service_id": service_id, "since": api.clock.now - timedelta(hours=1)}
        reads = ((batch_reads._PG_OPEN_ALERTS_COUNTED, "alerts", "dedup_key", keys),
                 (batch_reads._RECENT_FIRES, "alerts", "dedup_key", keys),
                 (batch_reads._GROUP_INCIDENTS, "incidents", "group_key", groups))
        for statement, table, column, values in reads:
            (plan,), = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement.for_dialect("postgresql"),
                                                  params | {"keys": values[:12]}).one()
            scans = [node for node in _plan_nodes(plan["Plan"])
                     if node.get("Relation Name") == table and node.get("Alias") != "o"]  # o: the count
            assert scans, statement.source
            for scan in scans:  # the key is where the index descends, never a filter over what it found
                assert column in scan.get("Index Cond", scan.get("Recheck Cond", "")), (statement.source, scan)
                assert column not in scan.get("Filter", ""), (statement.source, scan)



def _raw_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The driver-level statements ingestion sends or defers (store/rawsql.py), by their text."""
    sent: list[str] = []
    inside: list[bool] = []  # SQLite's defer runs the statement: count it once

    def spying(original: Any, sources: Any) -> Any:
        def spy(self: Raw, *args: Any) -> Any:
            if not inside:
                sent.extend(sources(*args))
            inside.append(True)
            try:
                return original(self, *args)
            finally:
                inside.pop()
        return spy

    for name in ("rows", "run", "defer", "run_many", "defer_many"):
        monkeypatch.setattr(Raw, name, spying(getattr(Raw, name), lambda statement, _: [statement.source]))
    monkeypatch.setattr(Raw, "rows_together", spying(Raw.rows_together, lambda reads: [s.source for s, _ in reads]))
    return sent


def test_a_chunk_of_a_big_message_reads_and_updates_its_incident_a_fixed_number_of_times(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The alerts of one group in one transaction: their paging context is read once (SQLite asked
    three queries an alert), and the incident they join is updated once, not once an alert."""
    sent = _raw_statements(monkeypatch)

    def chunk(n: int, run: str) -> list[str]:
        alerts = [am_alert("NodeDown", f"{run}-node{i}", severity="critical") for i in range(n)]
        events = parse_message(am_message(f"Storm{run}", alerts), flavour="alertmanager")
        sent.clear()
        _decide(api.db, events, api.clock.now)
        return [s for s in sent if "FROM incidents" in s or "maintenance_windows" in s or "first_seen_at >=" in s
                or s.startswith("UPDATE incidents")]

    few, many = chunk(4, "a"), chunk(40, "b")
    assert len(few) < 10
    assert len(many) == len(few)
    assert sum(s.startswith("UPDATE incidents") for s in many) == 1
