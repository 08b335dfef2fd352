"""The store itself: migrations, append-only timeline, UTC round trips, SQLite settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from firebell.incidents.rows import next_number
from firebell.store.db import make_engine, sqlite_url
from firebell.store.migrate import current_revision, head_revision, is_current, upgrade
from firebell.store.uow import Database


def test_fresh_database_is_at_head(database: Database) -> None:
    assert is_current(database.engine)
    assert current_revision(database.engine) == head_revision()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "pragmas.db"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_sqlite_writers_take_the_write_lock_at_begin(tmp_path) -> None:
    """A writer holds the lock from BEGIN, so a second writer waits instead of failing midway."""
    url = sqlite_url(tmp_path / "lock.db")
    first, second = make_engine(url), make_engine(url, connect_args={"timeout": 0.2})
    upgrade(first)
    with Database(first).unit_of_work() as session:
        session.execute(text("SELECT 1"))  # nothing written yet, but BEGIN IMMEDIATE holds the lock
        with pytest.raises(OperationalError, match="locked"), Database(second).unit_of_work() as other:
            other.execute(text("SELECT 1"))
    first.dispose()
    second.dispose()


def test_audit_chain_detects_tampering(database: Database) -> None:
    from firebell.audit.log import record, verify

    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    with database.unit_of_work() as session:
        for i in range(3):
            record(session, actor="admin", action="token.create", subject=f"t{i}", now=at)
    with database.unit_of_work(write=False) as session:
        assert verify(session) is None
    # Someone with database access removes the guard and edits history: the chain shows it.
    with database.unit_of_work() as session:
        if database.dialect == "sqlite":
            session.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
        second_id = session.execute(text("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1")).scalar()
        session.execute(text("UPDATE audit_log SET subject = 'forged' WHERE id = :id"), {"id": second_id})
    with database.unit_of_work(write=False) as session:
        broken = verify(session)
        assert broken is not None and broken.entry_id == second_id


def test_unit_of_work_rolls_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        session.execute(text("INSERT INTO teams (id, name, description) VALUES ('t1', 'ops', '')"))
        raise RuntimeError("boom")
    with database.unit_of_work(write=False) as session:
        assert session.execute(text("SELECT count(*) FROM teams")).scalar() == 0


def _insert_incident_with_event(database: Database) -> None:
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    with database.unit_of_work() as session:
        session.execute(
            text("INSERT INTO incidents (id, number, title, summary, impact, severity, status, stage, private,"
                 " source, tags, declared_at, updated_at, version) VALUES ('i1', 1, 't', '', '', 'P1',"
                 " 'triggered', 'detect', false, 'manual', '[]', :now, :now, 1)"),
            {"now": now.replace(tzinfo=None) if database.dialect == "sqlite" else now},
        )
        session.execute(
            text("INSERT INTO timeline_events (incident_id, type, actor, payload, occurred_at, recorded_at)"
                 " VALUES ('i1', 'declared', 'test', '{}', :now, :now)"),
            {"now": now.replace(tzinfo=None) if database.dialect == "sqlite" else now},
        )


@pytest.mark.old_timeline_rows  # a bare row written by hand, to try to change it
@pytest.mark.parametrize("statement", ["UPDATE timeline_events SET type = 'edited'", "DELETE FROM timeline_events"])
def test_timeline_is_append_only_in_the_database(database: Database, statement: str) -> None:
    _insert_incident_with_event(database)
    with pytest.raises(DBAPIError, match="append-only"), database.unit_of_work() as session:
        session.execute(text(statement))
    with database.unit_of_work(write=False) as session:
        assert session.execute(text("SELECT type FROM timeline_events")).scalar() == "declared"


def test_timestamps_come_back_as_aware_utc(database: Database) -> None:
    from firebell.audit.log import record
    from firebell.audit.models import AuditEntry
    from firebell.org.models import Team  # noqa: F401  (metadata)

    stockholm_summer = timezone(timedelta(hours=2))
    at = datetime(2026, 7, 1, 12, 0, tzinfo=stockholm_summer)
    with database.unit_of_work() as session:
        record(session, actor="test", action="x", now=at)
    with database.unit_of_work(write=False) as session:
        entry = session.query(AuditEntry).one()
        assert entry.occurred_at == at
        assert entry.occurred_at.utcoffset() == timedelta(0)
        assert entry.occurred_at.hour == 10


def test_naive_datetimes_are_refused(database: Database) -> None:
    from firebell.audit.log import record

    with pytest.raises(Exception, match="naive datetime"), database.unit_of_work() as session:
        record(session, actor="test", action="x", now=datetime(2026, 1, 1))


def test_migrations_match_the_models(database: Database) -> None:
    """A model change without a migration would work in tests that build tables from models and fail
    on a real upgrade; this catches it on both backends."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from firebell.models import Base

    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_row_ids_are_uuid7_that_sort_by_creation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    import uuid

    from firebell.store import base

    clock = iter([1_700_000_000_000_000_000 + i * 1_000_000 for i in range(50)])  # one id per millisecond
    monkeypatch.setattr(time, "time_ns", lambda: next(clock))
    ids = [base.new_id() for _ in range(50)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(str(u) == i and u.version == 7 and u.variant == uuid.RFC_4122 for u, i in zip(parsed, ids, strict=True))
    assert ids == sorted(ids) and len(set(ids)) == 50
    assert parsed[0].int >> 80 == 1_700_000_000_000  # the first 48 bits are Unix milliseconds


def test_ids_made_in_a_forked_child_differ_from_the_parents() -> None:
    # Ids draw on a per-thread buffer of random bytes; a child forked with a half-used buffer must
    # not make the ids its parent will make (uvicorn workers, multiprocessing).
    import os

    from firebell.store import base

    base.new_id()  # the buffer is filled and partly used
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.close(read)
        os.write(write, ",".join(base.new_id()[-20:] for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 4096).decode().split(",")
    os.waitpid(pid, 0)
    os.close(read)
    parent = [base.new_id()[-20:] for _ in range(5)]
    assert len(child) == 5 and not set(child) & set(parent)


def test_the_incident_count_carries_over_when_the_sequence_moves_to_its_own_table(tmp_path: Path) -> None:
    """Migration 0015: a database whose organisation had numbered 41 incidents numbers the next 42."""
    db = Database(make_engine(sqlite_url(tmp_path / "firebell.db")))
    try:
        upgrade(db.engine, "0014")
        with db.unit_of_work() as session:
            session.execute(text("INSERT INTO organisations (id, name, timezone, incident_seq, config_version) "
                                 "VALUES (1, 'PRIA', 'UTC', 41, 0)"))
        upgrade(db.engine)
        with db.unit_of_work() as session:
            assert [next_number(session), next_number(session)] == [42, 43]
    finally:
        db.dispose()
