"""Sign-in decisions: where next= may lead, when a session is alive, when sign-in is throttled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.sign_in import (
    DEFAULT_AFTER_SIGN_IN,
    SessionLifetimes,
    SessionState,
    ThrottleRule,
    idle_deadline,
    locked_until,
    retry_time_label,
    safe_next,
    session_state,
)

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SITE = "https://firebell.example/incidents/INC-1"
# Characters that make a URL leave the site, built into paths alongside ordinary ones.
TRICKY = st.sampled_from(["/", "\\", ":", "//", "\t", "\n", "\r", " ", "\x00", "@", "?", "#", "%2f", "%5c", ".",
                          "javascript:", "https:", "evil.example", "\x7f", "\u3000", "\uff0f"])


@given(st.lists(st.one_of(TRICKY, st.text(max_size=6)), max_size=8).map("".join))
def test_next_never_leads_off_the_site(target: str) -> None:
    chosen = safe_next(target)
    # A browser strips tabs and newlines before it parses, and reads a backslash as a slash.
    as_browser = urljoin(SITE, chosen.replace("\\", "/").replace("\t", "").replace("\n", "").replace("\r", ""))
    assert urlsplit(as_browser).netloc == "firebell.example", (target, chosen)
    assert chosen in (target, DEFAULT_AFTER_SIGN_IN)


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example",
                                    "javascript:alert(1)", "/\t/evil.example", "evil.example", "", None,
                                    " /incidents", "/" + "a" * 3000])
def test_next_refuses_other_hosts_schemes_and_backslashes(target: str | None) -> None:
    assert safe_next(target) == DEFAULT_AFTER_SIGN_IN


@pytest.mark.parametrize("target", ["/incidents/INC-7", "/oncall?schedule=primary", "/me#tokens", "/a:b"])
def test_next_keeps_paths_of_the_site(target: str) -> None:
    assert safe_next(target) == target


LIFETIMES = SessionLifetimes(idle=timedelta(hours=12), absolute=timedelta(days=7))


def test_a_session_is_live_until_idle_or_absolute_expiry_or_revocation() -> None:
    expires = T0 + LIFETIMES.absolute
    idle = idle_deadline(T0, LIFETIMES, expires)
    assert session_state(T0, idle_expires_at=idle, expires_at=expires, revoked_at=None) is SessionState.LIVE
    assert session_state(idle, idle_expires_at=idle, expires_at=expires, revoked_at=None) is SessionState.IDLE
    assert session_state(expires, idle_expires_at=expires, expires_at=expires, revoked_at=None) is SessionState.EXPIRED
    assert session_state(T0, idle_expires_at=idle, expires_at=expires, revoked_at=T0) is SessionState.REVOKED
    # Used an hour before its end: the idle deadline never passes the absolute end.
    assert idle_deadline(expires - timedelta(hours=1), LIFETIMES, expires) == expires


offsets = st.lists(st.integers(min_value=-3600, max_value=0), max_size=12)


@given(offsets)
def test_throttle_locks_after_five_failures_in_fifteen_minutes_until_the_oldest_leaves(seconds: list[int]) -> None:
    rule = ThrottleRule()
    failures = [T0 + timedelta(seconds=s) for s in seconds]
    recent = [at for at in failures if T0 - rule.window < at]
    until = locked_until(T0, failures, rule)
    assert (until is None) == (len(recent) < rule.failures)
    if until is not None:
        assert T0 < until <= T0 + rule.window
        assert locked_until(until, failures, rule) is None  # the time shown is a time that works
        assert locked_until(until - timedelta(seconds=1), failures, rule) is not None


def test_the_time_to_try_again_is_rounded_up_to_the_minute_in_utc() -> None:
    assert retry_time_label(datetime(2026, 11, 23, 3, 14, 0, tzinfo=UTC)) == "03:14"
    assert retry_time_label(datetime(2026, 11, 23, 3, 14, 1, tzinfo=UTC)) == "03:15"
    assert retry_time_label(datetime(2026, 11, 23, 23, 59, 30, tzinfo=UTC)) == "00:00"
