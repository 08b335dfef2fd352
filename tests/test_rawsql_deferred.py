"""Deferred writes (rawsql `defer`): sent later in one round trip on PostgreSQL, but never read around,
never lost at commit, never carried past a rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from firebell.store.rawsql import Statement, raw
from firebell.store.uow import Database

_INSERT = Statement("INSERT INTO lifecycle_stages (name, title, position, description) "
                    "VALUES (:name, :name, :position, '')")
_COUNT = Statement("SELECT count(*) FROM lifecycle_stages WHERE name LIKE 'deferred-%'")


def _count(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.execute(text("SELECT count(*) FROM lifecycle_stages WHERE name LIKE 'deferred-%'"))
                   .scalar_one())


def test_reads_in_the_same_transaction_see_deferred_writes(database: Database) -> None:
    with database.unit_of_work() as session:
        db = raw(session)
        db.defer(_INSERT, {"name": "deferred-1", "position": 101})
        assert db.one(_COUNT, {}) == (1,)  # a driver-level read
        db.defer_many(_INSERT, [{"name": "deferred-2", "position": 102}, {"name": "deferred-3", "position": 103}])
        # an ORM-level read on the same connection
        assert session.execute(text("SELECT count(*) FROM lifecycle_stages WHERE name LIKE 'deferred-%'")) \
            .scalar_one() == 3
        db.defer(_INSERT, {"name": "deferred-4", "position": 104})
        assert db.run(Statement("UPDATE lifecycle_stages SET description = 'seen' WHERE name LIKE 'deferred-%'"),
                      {}) == 4
        db.defer(_INSERT, {"name": "deferred-5", "position": 105})  # nothing reads it: the commit sends it
    assert _count(database) == 5


def test_a_rollback_drops_deferred_writes_and_the_next_transaction_starts_clean(database: Database) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        raw(session).defer(_INSERT, {"name": "deferred-lost", "position": 201})
        raise RuntimeError("the request failed")
    with database.unit_of_work() as session:  # the pool may hand out the same connection
        raw(session).defer(_INSERT, {"name": "deferred-kept", "position": 202})
    assert _count(database) == 1


def test_a_failing_deferred_write_fails_the_transaction_that_sent_it(database: Database) -> None:
    with database.unit_of_work() as session:
        raw(session).defer(_INSERT, {"name": "deferred-first", "position": 301})
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), database.unit_of_work() as session:
        db = raw(session)
        db.defer(_INSERT, {"name": "deferred-other", "position": 302})
        db.defer(_INSERT, {"name": "deferred-first", "position": 303})  # the primary key again
        db.one(_COUNT, {})
    assert _count(database) == 1  # the other write went with the failed transaction


def test_reads_sent_together_come_back_in_order_and_after_the_deferred_writes(database: Database) -> None:
    with database.unit_of_work() as session:
        db = raw(session)
        db.defer(_INSERT, {"name": "deferred-a", "position": 401})
        found = db.rows_together([
            (_COUNT, {}),
            (Statement("SELECT name FROM lifecycle_stages WHERE position = :p"), {"p": 401}),
            (Statement("SELECT name FROM lifecycle_stages WHERE position = :p"), {"p": 999}),
        ])
    assert found == [[(1,)], [("deferred-a",)], []]


def test_row_counts_are_the_statements_own_not_the_deferred_writes(database: Database) -> None:
    # The escalation pass fences on the count its executemany returns: writes sent ahead of it must
    # not add to it.
    with database.unit_of_work() as session:
        db = raw(session)
        db.defer_many(_INSERT, [{"name": f"deferred-c{i}", "position": 500 + i} for i in range(4)])
        changed = db.run_many(Statement("UPDATE lifecycle_stages SET description = 'x' WHERE name = :name"),
                              [{"name": "deferred-c0"}, {"name": "deferred-c1"}])
        db.defer(_INSERT, {"name": "deferred-c9", "position": 509})
        single = db.run(Statement("UPDATE lifecycle_stages SET description = 'y' WHERE name = 'deferred-c2'"), {})
    assert (changed, single) == (2, 1)


def test_a_lost_connection_surfaces_as_the_error_that_lost_it(database: Database) -> None:
    """Group commit retries OperationalError (a restart, a failover); the rollback that follows a
    lost connection must not replace it with an error of its own."""
    from sqlalchemy.exc import OperationalError

    if database.dialect != "postgresql":
        pytest.skip("a server connection to lose: PostgreSQL only")
    with pytest.raises(OperationalError), database.unit_of_work() as session:
        db = raw(session)
        db.defer(_INSERT, {"name": "deferred-lost-conn", "position": 601})
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with database.unit_of_work() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        session.execute(text("SELECT 1"))
    assert _count(database) == 0


def test_many_deferred_rows_all_land_in_order_and_one_bad_row_fails_the_transaction(database: Database) -> None:
    """On PostgreSQL a deferred insert's rows travel as a few multi-row statements; every row
    arrives, in the order given (the timeline reads back by id), and a bad one fails them all."""
    rows = [{"name": f"deferred-many-{i:03d}", "position": 200 + i} for i in range(77)]  # 64 + 8 + 4 + 1
    with database.unit_of_work() as session:
        raw(session).defer_many(_INSERT, rows)
    physical = "ctid" if database.dialect == "postgresql" else "rowid"  # insertion order in a fresh table
    with database.unit_of_work(write=False) as session:
        names = session.execute(text("SELECT name FROM lifecycle_stages WHERE name LIKE 'deferred-many-%' "
                                     f"ORDER BY {physical}")).scalars().all()
    assert names == [r["name"] for r in rows]
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), database.unit_of_work() as session:
        raw(session).defer_many(_INSERT, [{"name": "deferred-late", "position": 300}, rows[5]])
    assert _count(database) == 77
