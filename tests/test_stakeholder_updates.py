"""core/stakeholder_updates.py: the status word, the promised next update, and which lists hear about an
incident; and the status update's timeline payload, old rows included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.cadence import DEFAULT_LEAD, cadence_state
from firebell.core.stakeholder_updates import (
    MAX_NEXT_UPDATE,
    STATUSES,
    When,
    list_applies,
    next_update_at,
    update_status,
)
from firebell.core.timeline.catalogue import render
from firebell.core.timeline.incident import StatusUpdate

NOW = datetime(2026, 12, 7, 10, 31, tzinfo=UTC)
words = st.sampled_from(["P1", "P2", "P3", "api", "web", "db", "platform", "security", ""])
names = st.frozensets(words, max_size=3)


@given(st.sampled_from(STATUSES), st.sampled_from(["", " ", ":"]), st.booleans())
def test_a_status_is_read_whatever_its_case_and_trailing_colon(status: str, tail: str, upper: bool) -> None:
    given_text = (status.upper() if upper else status.lower()) + tail
    assert update_status(given_text) == status


@given(st.sampled_from(["", *STATUSES, "degraded"]))
def test_no_status_keeps_the_previous_one_or_starts_investigating(previous: str) -> None:
    assert update_status("  ", previous) == (previous if previous in STATUSES else "Investigating")


@given(st.text(max_size=20).filter(lambda t: t.strip().rstrip(":").strip().lower() not in
                                   {s.lower() for s in STATUSES} and t.strip().rstrip(":").strip()))
def test_any_other_word_is_refused_naming_the_four(word: str) -> None:
    with pytest.raises(ValueError, match="Investigating, Identified, Monitoring, Resolved"):
        update_status(word)


@given(st.one_of(st.none(), st.integers(1, 120).map(lambda m: timedelta(minutes=m))))
def test_without_a_promise_the_next_update_is_the_cadence_from_now(cadence: timedelta | None) -> None:
    assert next_update_at(NOW, cadence) == (NOW + cadence if cadence else None)


@given(st.integers(1, 24 * 60))
def test_a_promise_within_a_day_is_kept_as_a_wait_or_a_time(minutes: int) -> None:
    assert next_update_at(NOW, timedelta(minutes=15), after=f"{minutes}m") == NOW + timedelta(minutes=minutes)
    at = NOW + timedelta(minutes=minutes)
    assert next_update_at(NOW, None, at=at) == at


@given(st.integers(-10_000, 0) | st.integers(int(MAX_NEXT_UPDATE.total_seconds()) + 1, 10**7))
def test_a_time_past_or_beyond_a_day_is_refused(seconds: int) -> None:
    with pytest.raises(ValueError, match=r"later than now|within 24 hours"):
        next_update_at(NOW, timedelta(minutes=15), at=NOW + timedelta(seconds=seconds))


def test_a_wait_and_a_time_together_or_a_bad_wait_or_a_naive_time_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        next_update_at(NOW, None, after="30m", at=NOW + timedelta(minutes=5))
    with pytest.raises(ValueError, match="not a duration"):
        next_update_at(NOW, None, after="soon")
    with pytest.raises(ValueError, match="zone"):
        next_update_at(NOW, None, at=datetime(2026, 12, 7, 11, 0))


@given(names, names, names, words, words, st.frozensets(words, max_size=3))
def test_a_list_applies_exactly_when_every_condition_it_names_holds(
        severities: frozenset[str], teams: frozenset[str], services: frozenset[str], severity: str, team: str,
        incident_services: frozenset[str]) -> None:
    expected = ((not severities or severity in severities) and (not teams or team in teams)
                and (not services or bool(services & incident_services)))
    when = When(severities, teams, services)
    assert list_applies(when, severity=severity, team=team, services=incident_services) == expected
    assert list_applies(When(), severity=severity, team=None, services=()), "a list without conditions hears all"


def test_an_update_recorded_before_the_structured_fields_still_reads() -> None:
    old = StatusUpdate.from_json({"message": "Rolled back", "status": "Monitoring"})
    assert (old.known, old.doing, old.next_update_at) == ("", "", None)
    assert render("status_update", {"message": "Rolled back", "status": "Monitoring"}, "Alice").text == \
        "Alice posted a status update (Monitoring): Rolled back"


def test_the_sentence_shows_every_part_of_an_update() -> None:
    new = StatusUpdate(message="Customers may retry.", status="Identified", known="a bad deploy",
                       doing="rolling back", next_update_at="2026-12-07T10:45:00+00:00")
    assert StatusUpdate.from_json(new.to_json()) == new
    text = render("status_update", new.to_json(), "Alice").text
    assert text == ("Alice posted a status update (Identified): known: a bad deploy; doing: rolling back; "
                    "Customers may retry; next update at 10:45 UTC")


@given(st.integers(1, 24 * 60), st.integers(0, 48 * 60), st.sampled_from([15, 30]))
def test_the_promised_next_update_is_when_it_is_due_and_reminded(promise_min: int, later_min: int,
                                                                 every_min: int) -> None:
    every, promised = timedelta(minutes=every_min), NOW + timedelta(minutes=promise_min)
    now = NOW + timedelta(minutes=later_min)
    state = cadence_state(NOW - timedelta(hours=1), NOW, every, now, frozenset(), promised=promised)
    assert state.next_due == promised
    assert all(r.due_at >= promised for r in state.reminders), "reminded of a moment before the promise"
    if now < promised - DEFAULT_LEAD:
        assert not state.reminders and state.wake_at == promised - DEFAULT_LEAD
