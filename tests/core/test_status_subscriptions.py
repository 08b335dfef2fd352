"""The rules of status-page subscriptions (core/status_subscriptions.py), as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from firebell.core import status_subscriptions as rules
from firebell.core.statuspage import notices as choices

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SECRET = b"0123456789abcdef0123456789abcdef"
moments = st.none() | st.just(NOW)
ids = st.text(st.characters(blacklist_characters=".", blacklist_categories=("Cs",)), min_size=1, max_size=40)
component_ids = st.text("abc", min_size=1, max_size=2)


@given(moments, moments, moments)
def test_unsubscribed_wins_and_only_confirmed_subscribers_receive(confirmed, unsubscribed, quarantined) -> None:
    state = rules.state_of(confirmed, unsubscribed, quarantined)
    if unsubscribed is not None:
        assert state is rules.State.UNSUBSCRIBED
    assert rules.receives(state) == (confirmed is not None and unsubscribed is None and quarantined is None)


@given(st.sampled_from(list(rules.State)), st.lists(st.sampled_from(list(rules.Event)), max_size=12))
def test_every_path_through_the_table_ends_in_a_state_and_unsubscribe_is_always_possible(start, events) -> None:
    state = start
    for event in events:
        try:
            state = rules.next_state(state, event)
        except rules.Refused:
            continue
    assert rules.next_state(state, rules.Event.UNSUBSCRIBE) is rules.State.UNSUBSCRIBED
    # Nothing but an admin's release leaves quarantine for receiving.
    for event in rules.Event:
        if (rules.State.QUARANTINED, event) in rules.TRANSITIONS:
            assert rules.TRANSITIONS[(rules.State.QUARANTINED, event)] is not rules.State.CONFIRMED \
                or event is rules.Event.RELEASE


@given(st.integers(0, 20), st.booleans())
def test_quarantine_comes_with_a_hard_failure_or_the_fifth_in_a_row(before, hard) -> None:
    after = rules.after_failure(before, hard=hard)
    assert after.in_a_row == before + 1
    assert after.quarantine == (hard or before + 1 >= rules.QUARANTINE_AFTER)


@given(st.sampled_from(rules.MODES), st.none() | st.lists(component_ids, max_size=3),
       st.sampled_from([("incident", e) for e in choices.INCIDENT_EVENTS]
                       + [("maintenance", e) for e in choices.MAINTENANCE_EVENTS]
                       + [("component", choices.COMPONENT_EVENT)]),
       st.lists(component_ids, max_size=3))
def test_who_receives_a_notice(mode, chosen, change, touched) -> None:
    kind, event = change
    wanted = rules.wants(mode, chosen, kind, event, touched)
    if kind == "component" and mode == "email":
        assert not wanted
    elif chosen is None or not touched:
        assert wanted  # the whole page, or a notice about the whole page
    else:
        assert wanted == bool(set(chosen) & set(touched))
    quiet = choices.NoticeChoice(maintenance=frozenset({"scheduled"}))
    if kind == "maintenance" and event != "scheduled":
        assert not rules.wants(mode, chosen, kind, event, touched, quiet)


@given(st.integers(1, rules.MAX_ATTEMPTS + 3), st.floats(0, 1))
def test_retries_wait_longer_each_time_within_a_fifth_of_jitter_and_then_stop(attempts, spread) -> None:
    at = rules.retry_at(attempts, NOW, spread)
    if attempts >= rules.MAX_ATTEMPTS:
        assert at is None
        return
    assert at is not None
    base = rules.RETRY_SCHEDULE[attempts - 1]
    assert NOW + base <= at <= NOW + base * (1 + rules.JITTER)
    following = rules.retry_at(attempts + 1, NOW, 0.0)
    assert following is None or following > NOW + base * (1 + rules.JITTER) - timedelta(microseconds=1)


@given(ids, ids)
def test_an_unsubscribe_token_names_its_subscriber_and_no_other(subscriber, other) -> None:
    token = rules.unsubscribe_token(SECRET, subscriber)
    assert rules.read_unsubscribe_token(SECRET, token) == subscriber
    assert rules.read_unsubscribe_token(b"another secret of enough bytes!!", token) is None
    if other != subscriber:
        forged = f"{other}.{token.split('.')[1]}"
        assert rules.read_unsubscribe_token(SECRET, forged) is None


@given(st.text(max_size=80))
def test_any_text_is_refused_rather_than_raising(text) -> None:
    assert rules.read_unsubscribe_token(SECRET, text) is None or "." in text


@given(ids, st.text(min_size=1, max_size=20))
def test_confirmation_tokens_are_made_again_from_the_nonce_and_stored_only_as_a_hash(subscriber, nonce) -> None:
    token = rules.confirmation_token(SECRET, subscriber, nonce)
    assert token == rules.confirmation_token(SECRET, subscriber, nonce)
    assert token != rules.confirmation_token(SECRET, subscriber, nonce + "x")
    assert rules.token_hash(token) != token and len(rules.token_hash(token)) == 64


def test_a_confirmation_link_works_until_its_expiry_second() -> None:
    expires = NOW + rules.CONFIRMATION_TTL
    assert rules.confirmation_open(expires, expires - timedelta(seconds=1))
    assert not rules.confirmation_open(expires, expires)
    assert not rules.confirmation_open(None, NOW)


LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=20)


@given(LOCAL, st.text(alphabet="abcxyz0123+", max_size=10), st.sampled_from(["example.com", "b.example"]))
def test_every_sub_address_reaches_the_same_mailbox(local: str, tag: str, domain: str) -> None:
    plain = rules.mailbox(f"{local}@{domain}")
    assert rules.mailbox(f"{local}+{tag}@{domain}") == plain
    assert rules.mailbox(f"{local.upper()}+{tag}@{domain.upper()}") == plain


@given(st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 10), st.integers(0, 10))
def test_more_mail_already_sent_never_allows_more(mailbox: int, page: int, more_box: int, more_page: int) -> None:
    if rules.may_send_confirmation(mailbox + more_box, page + more_page):
        assert rules.may_send_confirmation(mailbox, page)
    assert not rules.may_send_confirmation(rules.CONFIRMATIONS_PER_MAILBOX + more_box, page)
