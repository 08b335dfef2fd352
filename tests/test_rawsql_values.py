"""Driver-level values must be stored exactly as the ORM stores them, or raw and ORM rows would not
compare or sort together in SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from firebell.store.db import make_engine, sqlite_url
from firebell.store.rawsql import raw
from firebell.store.uow import Database

instants = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1),
                        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                                   timezone(timedelta(hours=-8))]))


@given(instants)
def test_the_fast_timestamp_format_is_the_orms_format(instant: datetime) -> None:
    # rawsql formats SQLite timestamps with isoformat (faster); the ORM's format is this strftime.
    expected = instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert instant.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds") == expected


def test_empty_json_and_timestamps_round_trip_through_sqlite(tmp_path: Path) -> None:
    # SQLite only: there timestamps and JSON are text the store writes; PostgreSQL gets native values.
    database = Database(make_engine(sqlite_url(tmp_path / "values.db")))
    with database.unit_of_work(write=False) as session:
        db = raw(session)
        now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
        assert db.json([]) == "[]" and db.json({}) == "{}" and db.json([1]) == "[1]"
        stored = db.ts(now)
        assert db.read_ts(stored) == now
        assert session.execute(text("SELECT json_array_length(:v)"), {"v": db.json([])}).scalar() == 0
