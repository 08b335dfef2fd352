"""The audit chain's rules: what an intact chain is, and that any rewrite without the key shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from firebell.core.audit_chain import (
    CHECKPOINT,
    GENESIS,
    Entry,
    StoredEntry,
    audit_key,
    first_break,
    keyed_link,
    unkeyed_link,
)

KEY = audit_key(b"s" * 32)
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

entries = st.builds(
    Entry,
    occurred_at=st.integers(0, 10**8).map(lambda s: START + timedelta(seconds=s)),
    actor=st.sampled_from(["admin", "alice", "serve --config"]),
    action=st.sampled_from(["token.create", "token.revoke", "config.apply", "feed.rotate"]),
    subject=st.text(max_size=20),
    details=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
)


def chain(items: list[Entry], *, unkeyed: int = 0) -> list[StoredEntry]:
    """`unkeyed` entries linked the old way, then (if any) a checkpoint, then the rest keyed."""
    stored: list[StoredEntry] = []
    prev = GENESIS
    plan = [(e, False) for e in items[:unkeyed]]
    if unkeyed:
        plan.append((Entry(START, "firebell", CHECKPOINT, "", {"unkeyed_entries": unkeyed}), True))
    plan += [(e, True) for e in items[unkeyed:]]
    for number, (entry, keyed) in enumerate(plan, start=1):
        link = keyed_link(KEY, prev, entry) if keyed else unkeyed_link(prev, entry)
        stored.append(StoredEntry(number, entry, prev, link))
        prev = link
    return stored


def checkpoint_of(stored: list[StoredEntry]) -> int | None:
    return next((s.id for s in stored if s.entry.action == CHECKPOINT), None)


def rehash_unkeyed(stored: list[StoredEntry], start: int) -> list[StoredEntry]:
    """Recompute every link from index `start` on with the unkeyed scheme, as anyone can."""
    out = stored[:start]
    prev = out[-1].hash if out else GENESIS
    for s in stored[start:]:
        link = unkeyed_link(prev, s.entry)
        out.append(replace(s, prev_hash=prev, hash=link))
        prev = link
    return out


@given(st.lists(entries, max_size=8), st.data())
def test_a_chain_as_written_is_intact(items: list[Entry], data: st.DataObject) -> None:
    stored = chain(items, unkeyed=data.draw(st.integers(0, len(items))))
    assert first_break(stored, KEY, checkpoint_of(stored)) is None


@given(st.lists(entries, min_size=1, max_size=8), st.data())
def test_an_edited_keyed_entry_rehashed_the_unkeyed_way_is_the_one_reported(items: list[Entry],
                                                                            data: st.DataObject) -> None:
    stored = chain(items)
    at = data.draw(st.integers(0, len(stored) - 1))
    edited = replace(stored[at], entry=replace(stored[at].entry, subject=stored[at].entry.subject + "!"))
    forged = rehash_unkeyed([*stored[:at], edited, *stored[at + 1:]], at)
    broken = first_break(forged, KEY, checkpoint_of(forged))
    assert broken is not None and broken.entry_id == stored[at].id


@given(st.lists(entries, min_size=2, max_size=8), st.data())
def test_an_edited_entry_from_before_keys_breaks_the_checkpoint(items: list[Entry], data: st.DataObject) -> None:
    unkeyed = data.draw(st.integers(1, len(items)))
    stored = chain(items, unkeyed=unkeyed)
    at = data.draw(st.integers(0, unkeyed - 1))
    edited = replace(stored[at], entry=replace(stored[at].entry, actor="someone else"))
    forged = rehash_unkeyed([*stored[:at], edited, *stored[at + 1:unkeyed]], at) + stored[unkeyed:]
    broken = first_break(forged, KEY, checkpoint_of(forged))
    assert broken is not None and broken.entry_id == checkpoint_of(stored)


@given(st.lists(entries, min_size=1, max_size=8))
def test_another_key_does_not_verify(items: list[Entry]) -> None:
    stored = chain(items)
    assert first_break(stored, audit_key(b"t" * 32), None) is not None


def test_the_audit_key_is_not_the_server_secret() -> None:
    assert audit_key(b"s" * 32) != b"s" * 32 and len(KEY) == 32


def test_a_time_recorded_with_an_offset_links_as_it_reads_back_in_utc() -> None:
    stockholm = START.astimezone(timezone(timedelta(hours=1)))
    written = Entry(stockholm, "admin", "token.create", "alice", {})
    assert keyed_link(KEY, GENESIS, written) == keyed_link(KEY, GENESIS, replace(written, occurred_at=START))
