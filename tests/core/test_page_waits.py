"""Why a page waits, and a delivery error in words without secrets (core/page_waits.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from firebell.core.page_waits import MAX_CHARS, Wait, page_wait, plain_error

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
secrets = st.text(SECRET_ALPHABET, min_size=8, max_size=60)
prose = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


def test_a_page_a_rule_delays_waits_for_the_rule_until_its_time() -> None:
    at = NOW + timedelta(minutes=5)
    assert page_wait("pending", "high-urgency rule: SMS 5 min after the page", at, 0, "", NOW) == Wait(
        "high-urgency rule: SMS 5 min after the page", at)


def test_a_retried_page_says_what_failed_and_when_it_is_tried_again() -> None:
    at = NOW + timedelta(seconds=40)
    wait = page_wait("pending", "", at, 2, "HTTP 503 Service Unavailable", NOW)
    assert wait == Wait("2 attempts failed (HTTP 503 Service Unavailable); retried with backoff", at)


def test_a_due_page_goes_soon_and_one_overdue_asks_whether_the_engine_runs() -> None:
    assert page_wait("pending", "", NOW, 0, "", NOW) == Wait("due now: goes out within seconds")
    stale = page_wait("pending", "", NOW - timedelta(minutes=5), 0, "", NOW)
    assert stale is not None and "firebell worker" in stale.reason


def test_finished_pages_do_not_wait() -> None:
    for state in ("sent", "failed", "cancelled"):
        assert page_wait(state, "", NOW, 1, "boom", NOW) is None
    assert page_wait("sending", "", NOW, 1, "", NOW) == Wait("being sent now")


def test_plain_error_keeps_the_host_and_drops_the_secret_path() -> None:
    shown = plain_error("webhook URL 'https://hooks.slack.com/services/T0/B0/abcdefgh' is unusable")
    assert shown == "webhook URL 'https://hooks.slack.com/…' is unusable"
    shown = plain_error("api_key=hunter2 refused; Authorization: Bearer xyz")
    assert shown == "api_key=*** refused; Authorization: *** ***"
    assert plain_error("HTTP 401 Unauthorized") == "HTTP 401 Unauthorized"


@given(before=prose, secret=secrets, after=prose, host=st.from_regex(r"[a-z]{1,10}\.example", fullmatch=True))
def test_no_secret_in_a_url_path_or_query_survives(before: str, secret: str, after: str, host: str) -> None:
    assume(secret not in before + after)
    for url in (f"https://{host}/hook/{secret}", f"http://{host}?token={secret}",
                f"https://user:{secret}@{host}/x"):
        shown = plain_error(f"{before} {url} {after}")
        assert secret not in shown and host in shown


@given(before=prose, secret=st.text(SECRET_ALPHABET, min_size=24, max_size=80), after=prose)
def test_no_long_key_survives_anywhere(before: str, secret: str, after: str) -> None:
    assume(secret not in before + after)
    assert secret not in plain_error(before + secret + after)


@given(text=st.text(max_size=2000))
def test_plain_error_is_one_short_line(text: str) -> None:
    shown = plain_error(text)
    assert len(shown) <= MAX_CHARS and "\n" not in shown and "\r" not in shown
