"""Instants at the edges of time: anything outside years 1900-8999 (UTC) is a ValueError with a
reason, never an OverflowError somewhere later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.durations import parse_duration
from firebell.core.formats.timestamps import parse_instant
from firebell.core.instants import EARLIEST, LATEST, checked_instant, shifted

offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
aware = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999),
                     timezones=offsets)


def _spellings(value: datetime, fraction: str) -> list[str]:
    """The ways senders write one instant: ISO, 'Z', PagerDuty's '+0000', Go's nanoseconds."""
    plain = value.replace(microsecond=0).isoformat()
    stamp, offset = plain[:19], plain[19:]
    return [value.isoformat(), stamp + fraction + offset, stamp + offset.replace(":", ""),
            stamp + fraction + ("Z" if offset == "+00:00" else offset)]


@given(aware, st.text("0123456789", max_size=12).map(lambda d: "." + d if d else ""))
def test_any_aware_time_parses_in_range_or_says_why(value: datetime, fraction: str) -> None:
    for text in _spellings(value, fraction):
        try:
            parsed = parse_instant(text)
        except ValueError as exc:
            assert "out of range" in str(exc) or "not" in str(exc), text
            continue
        assert parsed.tzinfo is UTC and EARLIEST <= parsed < LATEST, text


@given(st.text(max_size=40))
def test_any_text_parses_or_is_a_value_error(text: str) -> None:
    try:
        parsed = parse_instant(text, assume_utc=True)
    except ValueError:
        return
    assert parsed.tzinfo is UTC and EARLIEST <= parsed < LATEST


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
                                  "9999-12-31T23:59:59Z", "1899-12-31T23:59:59Z", "9000-01-01T00:00:00Z"])
def test_the_edges_are_refused_with_the_range(text: str) -> None:
    with pytest.raises(ValueError, match=r"out of range; times must be between 1900-01-01 and 8999-12-31"):
        parse_instant(text, assume_utc=True)


def test_the_range_itself_is_accepted() -> None:
    assert parse_instant("1900-01-01T00:00:00Z") == EARLIEST
    assert parse_instant("8999-12-31T23:59:59+0000") == LATEST - timedelta(seconds=1)


def test_a_time_without_zone_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match=r"no time zone offset; give one, e\.g\. 2026-11-23T09:00:00Z"):
        checked_instant(datetime(2026, 11, 23, 9))


@given(aware, st.integers(-(10**9) + 1, 10**9 - 1).map(lambda days: timedelta(days=days)))
def test_shifting_stays_in_range_or_says_why(value: datetime, delta: timedelta) -> None:
    try:
        moved = shifted(value, delta)
    except ValueError as exc:
        assert "out of range" in str(exc)
        return
    assert EARLIEST <= moved < LATEST


@pytest.mark.parametrize("text", ["99999999999999w", "9" * 40 + "s", "1" * 30 + "d"])
def test_durations_too_long_for_a_calendar_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration(text)
