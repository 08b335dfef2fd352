"""The incidents domain's driver-level statements (store/rawsql.py), for the hot paths that write
its tables: ingestion opens incidents here as well as people do."""

from __future__ import annotations

from sqlalchemy.orm import Session

from firebell.store.rawsql import Statement, raw

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
