"""Bundling and rate limits: a burst of pages becomes one message, a P1 does not wait, the limits
hold over simulated time, and no page is ever lost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firebell.core.bundling import (
    DEFAULT_LIMITS,
    Decision,
    Limits,
    PendingPage,
    bundle_summary,
    decide,
    limits_for,
)
from firebell.core.notification_rules import Channel

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SEC, MIN = timedelta(seconds=1), timedelta(minutes=1)
NUMBER = "+46701234589"


def page(n: int, severity: str = "P2", at: datetime = NOON, title: str | None = None,
         incident: str | None = None) -> PendingPage:
    return PendingPage(f"page-{n}", incident or f"INC-{n}", title or f"service {n} down", severity, at)


def sms(pending: Sequence[PendingPage], now: datetime, method_sends: Sequence[datetime] = (),
        global_sends: Sequence[datetime] = ()) -> Decision:
    return decide(pending, method_sends, global_sends, "sms", now, address=NUMBER)


# -- bundling ------------------------------------------------------------------------------------


def test_a_page_waits_out_the_bundle_window_for_others_to_join_it() -> None:
    decision = sms([page(1)], NOON + 5 * SEC)
    assert decision.sends == []
    assert [(h.page_id, h.until, h.reason) for h in decision.held] == [
        ("page-1", NOON + 30 * SEC, "bundling: waiting until 12:00:30 UTC for more pages to +46…89")]
    assert decision.wake_at == NOON + 30 * SEC
    assert decide([page(1)], [], [], "sms", NOON).held[0].reason.endswith("for more pages to this number")


def test_when_the_window_closes_a_single_page_is_a_bundle_of_one() -> None:
    decision = sms([page(1, "P2", title="DB down")], NOON + 30 * SEC)
    assert decision.held == []
    assert [(b.page_ids, b.text_summary) for b in decision.sends] == [(("page-1",), "INC-1 (P2) DB down")]


def test_a_burst_goes_as_one_message_listing_the_worst_first() -> None:
    burst = [page(3, "P3", NOON + 10 * SEC, "disk 91% on db-2"), page(1, "P2", NOON, "API 5xx over 5%"),
             page(2, "P2", NOON + 20 * SEC, "checkout latency")]
    assert sms(burst, NOON + 29 * SEC).sends == []
    decision = sms(burst, NOON + 30 * SEC)
    assert len(decision.sends) == 1 and decision.held == []
    assert set(decision.sends[0].page_ids) == {"page-1", "page-2", "page-3"}
    assert decision.sends[0].text_summary == (
        "3 incidents need you: INC-1 (P2) API 5xx over 5%; INC-2 (P2) checkout latency; INC-3 (P3) disk 91% on db-2")


def test_the_window_counts_from_the_oldest_page_not_the_newest() -> None:
    pending = [page(1, at=NOON), page(2, at=NOON + 29 * SEC)]
    assert len(sms(pending, NOON + 30 * SEC).sends) == 1


def test_a_long_bundle_names_a_few_and_counts_the_rest() -> None:
    pending = [page(n, "P1" if n == 7 else "P3", NOON + n * SEC) for n in range(1, 8)]
    summary = sms(pending, NOON + MIN).sends[0].text_summary
    assert summary == ("7 incidents need you: INC-7 (P1) service 7 down; INC-1 (P3) service 1 down; "
                       "INC-2 (P3) service 2 down … and 4 more")


def test_one_more_than_fits_is_counted_too() -> None:
    pending = [page(n, "P2", NOON + n * SEC) for n in range(1, 5)]
    assert bundle_summary(pending).endswith("INC-3 (P2) service 3 down … and 1 more")
    assert "more" not in bundle_summary(pending[:3])


def test_several_pages_for_one_incident_name_it_once_at_its_worst() -> None:
    pending = [page(1, "P3", incident="INC-9", title="disk filling"), page(2, "P1", incident="INC-9", title="db down")]
    decision = sms(pending, NOON)
    assert decision.sends[0].page_ids == ("page-2", "page-1")
    assert decision.sends[0].text_summary == "INC-9 (P1) db down"


def test_long_titles_are_shortened() -> None:
    summary = bundle_summary([page(1, title="x" * 200)])
    assert summary.endswith("…") and len(summary) < 80


def test_a_lone_p1_goes_at_once() -> None:
    decision = sms([page(1, "P1")], NOON)
    assert [b.page_ids for b in decision.sends] == [("page-1",)]


def test_a_p1_takes_the_pages_already_waiting_along() -> None:
    waiting = [page(1, "P3", NOON), page(2, "P2", NOON + 5 * SEC)]
    assert sms(waiting, NOON + 10 * SEC).sends == []
    decision = sms([*waiting, page(3, "P1", NOON + 10 * SEC)], NOON + 10 * SEC)
    assert [b.page_ids for b in decision.sends] == [("page-3", "page-2", "page-1")]
    assert decision.sends[0].text_summary.startswith("3 incidents need you: INC-3 (P1)")


def test_email_and_webhooks_do_not_bundle_but_slack_and_voice_do() -> None:
    burst = [page(1, at=NOON), page(2, at=NOON + SEC)]
    unbundled: tuple[Channel, ...] = ("email", "webhook")
    for channel in unbundled:
        decision = decide(burst, [], [], channel, NOON + SEC)
        assert [b.page_ids for b in decision.sends] == [("page-1",), ("page-2",)]
    bundled: tuple[Channel, ...] = ("slack", "voice")
    for channel in bundled:
        assert decide(burst, [], [], channel, NOON + SEC).sends == []


def test_bundling_is_configurable_per_channel() -> None:
    bundled_email = replace(DEFAULT_LIMITS["email"], bundle_window=MIN)
    burst = [page(1, at=NOON), page(2, at=NOON + SEC)]
    assert decide(burst, [], [], "email", NOON + SEC, bundled_email).sends == []
    assert [b.page_ids for b in decide(burst, [], [], "email", NOON + MIN, bundled_email).sends] == [
        ("page-1", "page-2")]
    unbundled_sms = replace(DEFAULT_LIMITS["sms"], bundle_window=timedelta(0))
    assert len(decide(burst, [], [], "sms", NOON + SEC, unbundled_sms).sends) == 2
    overrides = {"sms": unbundled_sms}
    assert limits_for("sms", overrides) is unbundled_sms
    assert limits_for("voice", overrides) is DEFAULT_LIMITS["voice"]


# -- rate limits ---------------------------------------------------------------------------------


def test_the_seventh_sms_in_ten_minutes_waits_for_the_oldest_to_age_out() -> None:
    sent = [NOON - 5 * MIN + 50 * SEC + k * 30 * SEC for k in range(6)]  # 11:55:50 ... 11:58:20
    now = NOON + MIN
    decision = sms([page(1, "P1", now)], now, sent, sent)
    assert decision.sends == []
    assert [(h.until, h.reason) for h in decision.held] == [(
        NOON + 5 * MIN + 50 * SEC,
        "rate limited: 6 SMS to +46…89 in the last 10 min; next at 12:05:50 UTC")]
    assert [b.page_ids for b in sms([page(1, "P1", now)], NOON + 5 * MIN + 50 * SEC, sent, sent).sends] == [
        ("page-1",)]


def test_a_send_exactly_a_window_old_no_longer_counts() -> None:
    sent = [NOON - 10 * MIN] + [NOON - MIN] * 5
    assert len(sms([page(1, "P1")], NOON, sent, sent).sends) == 1
    assert sms([page(1, "P1")], NOON - SEC, sent, sent).sends == []


def test_a_rate_limit_that_frees_after_the_window_closes_is_what_the_page_waits_for() -> None:
    sent = [NOON - 9 * MIN + k * SEC for k in range(6)]  # the oldest frees at 12:01:00
    decision = sms([page(1, "P3")], NOON, sent, sent)
    assert decision.held[0].until == NOON + MIN
    assert decision.held[0].reason.startswith("rate limited: 6 SMS")
    early = [NOON - 10 * MIN + 10 * SEC] + [NOON - MIN] * 5  # frees at 12:00:10, before the window closes
    decision = sms([page(1, "P3")], NOON, early, early)
    assert decision.held[0].until == NOON + 30 * SEC
    assert decision.held[0].reason.startswith("bundling")


def test_the_global_limit_holds_pages_to_every_number() -> None:
    busy = [NOON - 30 * SEC + k * timedelta(milliseconds=50) for k in range(600)]
    decision = sms([page(1, "P1")], NOON, [], busy)
    assert [(h.until, h.reason) for h in decision.held] == [(
        NOON + 30 * SEC, "rate limited: 600 SMS on this channel in the last 1 min; next at 12:00:30 UTC")]


def test_unbundled_channels_send_what_the_limit_allows_most_urgent_first() -> None:
    sent = [NOON - 20 * SEC * k for k in range(1, 29)]  # 28 emails since 11:50:40; the limit is 30 in 10 min
    pending = [page(1, "P3", NOON - 3 * SEC), page(2, "P2", NOON - 2 * SEC), page(3, "P1", NOON - SEC)]
    decision = decide(pending, sent, sent, "email", NOON, address="ann@example.com")
    assert [b.page_ids for b in decision.sends] == [("page-3",), ("page-2",)]
    assert [(h.page_id, h.until) for h in decision.held] == [("page-1", NOON + 40 * SEC)]
    assert decision.held[0].reason == (
        "rate limited: 30 emails to a…@example.com in the last 10 min; next at 12:00:40 UTC")


def test_the_reason_gives_the_date_when_the_wait_crosses_midnight() -> None:
    late = datetime(2026, 11, 23, 23, 59, 50, tzinfo=UTC)
    sent = [late - 9 * MIN - 50 * SEC + k * SEC for k in range(6)]
    assert decide([page(1, "P1", late)], sent, sent, "sms", late).held[0].reason.endswith(
        "next at 2026-11-24 00:00:00 UTC")


def test_sends_stamped_ahead_of_now_still_count() -> None:
    skewed = [NOON + 2 * SEC] * 6  # another worker's clock runs two seconds fast
    decision = sms([page(1, "P1")], NOON, skewed, skewed)
    assert decision.sends == [] and decision.held[0].until == NOON + 10 * MIN + 2 * SEC


def test_the_same_page_twice_is_one_page() -> None:
    decision = sms([page(1, "P1"), page(1, "P1")], NOON)
    assert [b.page_ids for b in decision.sends] == [("page-1",)]


def test_nothing_pending_decides_nothing() -> None:
    assert sms([], NOON) == Decision()
    assert Decision().wake_at is None


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="per_method_per_window"):
        Limits(0, MIN, 10, MIN, timedelta(0))
    with pytest.raises(ValueError, match="method_window"):
        Limits(1, timedelta(0), 10, MIN, timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        PendingPage("p", "INC-1", "t", "P1", datetime(2026, 11, 23, 12, 0))
    with pytest.raises(ValueError, match="channel is one of"):
        decide([page(1)], [], [], "pager", NOON, DEFAULT_LIMITS["sms"])  # type: ignore[arg-type]


# -- properties ----------------------------------------------------------------------------------

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHANNELS: tuple[Channel, ...] = ("sms", "voice", "slack", "email", "webhook")
severities = st.sampled_from(["P1", "P2", "P3", "P4"])
arrivals = st.lists(st.tuples(st.integers(0, 1800), severities), min_size=1, max_size=30)
limits = st.builds(
    Limits, per_method_per_window=st.integers(1, 4), method_window=st.integers(5, 600).map(lambda s: s * SEC),
    global_per_window=st.integers(1, 8), global_window=st.integers(5, 120).map(lambda s: s * SEC),
    bundle_window=st.sampled_from([0, 1, 30, 90]).map(lambda s: s * SEC))


def count_in_window(sends: list[datetime], end: datetime, window: timedelta) -> int:
    return sum(1 for t in sends if end - window < t <= end)


@PROPERTY
@given(pending=st.lists(st.builds(page, st.integers(0, 20), severities,
                                  st.integers(-600, 600).map(lambda s: NOON + s * SEC)), max_size=20),
       method_sends=st.lists(st.integers(-900, 60).map(lambda s: NOON + s * SEC), max_size=12),
       channel=st.sampled_from(CHANNELS), limits=st.none() | limits)
def test_every_pending_page_is_sent_once_or_held_never_both_never_neither(
        pending: list[PendingPage], method_sends: list[datetime], channel: Channel, limits: Limits | None) -> None:
    decision = decide(pending, method_sends, method_sends, channel, NOON, limits)
    sent = [page_id for bundle in decision.sends for page_id in bundle.page_ids]
    held = [h.page_id for h in decision.held]
    assert sorted(sent + held) == sorted({p.id for p in pending})
    assert all(h.until > NOON for h in decision.held), "a held page must be looked at again later, not now"


@PROPERTY
@given(arrivals=arrivals, channel=st.sampled_from(CHANNELS), limits=limits,
       others=st.lists(st.integers(0, 2400), max_size=20), ticks=st.lists(st.integers(0, 2400), max_size=20))
def test_over_simulated_time_limits_hold_and_every_page_goes_out_exactly_once(
        arrivals: list[tuple[int, str]], channel: Channel, limits: Limits, others: list[int],
        ticks: list[int]) -> None:
    """The sender's loop on an injected clock: decide whenever a page arrives, a held page's
    `until` comes, or at arbitrary extra ticks; record each bundle as a send at that moment.
    Other numbers' sends (`others`) use up the global budget too."""
    pages = [page(k, severity, NOON + offset * SEC) for k, (offset, severity) in enumerate(arrivals)]
    wakeups = {p.created_at for p in pages} | {NOON + t * SEC for t in ticks}
    elsewhere = [NOON + t * SEC for t in others]
    mine: list[datetime] = []
    delivered: dict[str, datetime] = {}
    clock = NOON
    for _ in range(10_000):
        due = [t for t in wakeups if t >= clock]
        if not due:
            break
        clock = min(due)
        wakeups.discard(clock)
        waiting = [p for p in pages if p.created_at <= clock and p.id not in delivered]
        global_sends = mine + [t for t in elsewhere if t <= clock]  # what has happened by now
        decision = decide(waiting, mine, global_sends, channel, clock, limits)
        for bundle in decision.sends:
            mine.append(clock)
            global_sends.append(clock)
            for page_id in bundle.page_ids:
                assert page_id not in delivered, f"{page_id} sent twice"
                delivered[page_id] = clock
        wakeups.update(h.until for h in decision.held)
        if decision.sends:
            # Never more than the limit in any window: it is enough to look at windows ending at a send.
            assert count_in_window(mine, clock, limits.method_window) <= limits.per_method_per_window
            assert count_in_window(global_sends, clock, limits.global_window) <= limits.global_per_window
    assert set(delivered) == {p.id for p in pages}, "a page was lost"
    for p in pages:
        assert delivered[p.id] >= p.created_at


@PROPERTY
@given(arrivals=arrivals, channel=st.sampled_from(("sms", "voice", "slack")))
def test_without_rate_pressure_a_p1_never_waits_and_others_wait_only_for_the_window(
        arrivals: list[tuple[int, str]], channel: Channel) -> None:
    roomy = replace(limits_for(channel), per_method_per_window=1000, global_per_window=1000)
    pages = [page(k, severity, NOON + offset * SEC) for k, (offset, severity) in enumerate(arrivals)]
    delivered: dict[str, datetime] = {}
    wakeups = sorted({p.created_at for p in pages})
    while wakeups:
        clock = wakeups.pop(0)
        waiting = [p for p in pages if p.created_at <= clock and p.id not in delivered]
        decision = decide(waiting, [], [], channel, clock, roomy)
        for bundle in decision.sends:
            delivered.update((page_id, clock) for page_id in bundle.page_ids)
        wakeups = sorted(set(wakeups) | {h.until for h in decision.held})
    for p in pages:
        if p.severity == "P1":
            assert delivered[p.id] == p.created_at
        else:
            assert p.created_at <= delivered[p.id] <= p.created_at + roomy.bundle_window


@PROPERTY
@given(pending=st.lists(st.builds(page, st.integers(0, 20), severities, st.just(NOON),
                                  incident=st.sampled_from([f"INC-{k}" for k in range(12)])), min_size=1),
       listed=st.integers(1, 12))
def test_a_summary_accounts_for_every_incident_once(pending: list[PendingPage], listed: int) -> None:
    summary = bundle_summary(pending, listed)
    incidents = {p.incident_ref for p in pending}
    named = [ref for ref in sorted(incidents) if f"{ref} (" in summary]
    more = int(summary.rsplit("and ", 1)[1].split()[0]) if summary.endswith(" more") else 0
    assert len(named) == min(len(incidents), listed) if len(incidents) > 1 else len(named) == 1
    assert len(named) + more == len(incidents)
    if len(incidents) > 1:
        assert summary.startswith(f"{len(incidents)} incidents need you: ")
