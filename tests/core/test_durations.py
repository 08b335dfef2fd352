from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.durations import format_duration, humanize, parse_duration


@pytest.mark.parametrize(("text", "expected"), [("5m", timedelta(minutes=5)), ("2h", timedelta(hours=2)),
                                                ("1h30m", timedelta(minutes=90)), ("1d", timedelta(days=1)),
                                                ("90s", timedelta(seconds=90)), ("2w", timedelta(weeks=2))])
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "5", "m5", "5 minutes", "-5m", "1.5h"])
def test_parse_refuses_with_reason(bad: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(bad)


@given(st.integers(0, 10**8))
def test_format_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(timedelta(seconds=seconds))) == timedelta(seconds=seconds)


def test_humanize() -> None:
    assert humanize(timedelta(minutes=4, seconds=10)) == "4m 10s"
    assert humanize(timedelta(hours=1, minutes=5)) == "1h 05m"
    assert humanize(-timedelta(seconds=3)) == "-3s"
