"""The replay guard: a signed inbound request acts once; a rolled-back attempt does not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firebell.store import replay
from firebell.store.uow import Database

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_the_same_signed_request_is_new_once_and_a_failed_attempt_leaves_no_trace(database: Database) -> None:
    try:
        with database.unit_of_work() as session:
            assert replay.first_time(session, "slack", "v0=abc", NOW)
            raise RuntimeError("acting on it failed")
    except RuntimeError:
        pass
    with database.unit_of_work() as session:
        assert replay.first_time(session, "slack", "v0=abc", NOW)
    with database.unit_of_work() as session:
        assert not replay.first_time(session, "slack", "v0=abc", NOW)
        assert replay.first_time(session, "twilio", "v0=abc", NOW)  # sources do not collide


def test_pruning_forgets_slack_requests_older_than_a_day_but_never_twilios(database: Database) -> None:
    with database.unit_of_work() as session:
        replay.first_time(session, "slack", "old", NOW)
        replay.first_time(session, "twilio", "old", NOW)  # no timestamp in Twilio's signature: valid forever
        replay.first_time(session, "slack", "new", NOW + timedelta(hours=23))
    with database.unit_of_work() as session:
        assert replay.prune(session, NOW + timedelta(days=1, minutes=1)) == 1
    with database.unit_of_work() as session:
        assert replay.first_time(session, "slack", "old", NOW)
        assert not replay.first_time(session, "slack", "new", NOW)
        assert not replay.first_time(session, "twilio", "old", NOW)
