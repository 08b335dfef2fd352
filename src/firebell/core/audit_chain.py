"""The audit log's chain of links: which link each entry must carry, and where a chain was changed.

Each entry's link is HMAC-SHA256, under a key derived from the server's secret, over the previous
entry's link and the entry's canonical JSON. The secret is not in the database, so someone who can
write to the database can change a row but cannot compute the links that would hide the change.

Entries written before the chain was keyed carry plain SHA-256 links (`unkeyed_link`), which anyone
can recompute. The migration that introduced keys closed them with a checkpoint: a keyed entry
(action CHECKPOINT) whose link covers the last unkeyed one. So entries before the first checkpoint
are checked under the unkeyed scheme and every entry from it on under the keyed one; a chain with no
checkpoint is keyed throughout. Rewriting keyed entries as unkeyed ones breaks the first rewritten
entry (it lies after the checkpoint, or there is no checkpoint); rewriting unkeyed entries breaks the
checkpoint, whose link covered them.

What a chain cannot show: entries removed from its end (nothing after them is left to break).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
CHECKPOINT = "audit.keyed"
# Domain separation: the audit key is the server secret's HMAC of this label, so it differs from the
# key of every other use of the same secret (action links, calendar feeds).
_KEY_LABEL = b"firebell.audit-chain.v1\x00"


def audit_key(server_secret: bytes) -> bytes:
    return hmac.new(server_secret, _KEY_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class Entry:
    occurred_at: datetime
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]


@dataclass(frozen=True)
class StoredEntry:
    id: int
    entry: Entry
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


def _body(entry: Entry, at: datetime) -> str:
    return json.dumps(
        {"at": at.isoformat(), "actor": entry.actor, "action": entry.action, "subject": entry.subject,
         "details": dict(entry.details)},
        sort_keys=True, separators=(",", ":"), default=str,
    )


def unkeyed_link(prev: str, entry: Entry) -> str:
    """The link of entries written before the chain was keyed (read back: their time is UTC)."""
    return hashlib.sha256((prev + _body(entry, entry.occurred_at)).encode()).hexdigest()


def keyed_link(key: bytes, prev: str, entry: Entry) -> str:
    # The time in UTC: an entry recorded with another offset links the same as it reads back.
    body = _body(entry, entry.occurred_at.astimezone(UTC))
    return hmac.new(key, (prev + body).encode(), hashlib.sha256).hexdigest()


def first_break(entries: Iterable[StoredEntry], key: bytes, checkpoint_id: int | None) -> Break | None:
    """The first entry, in id order, whose link is not the one it must carry; None when the chain is
    intact. Entries with ids below `checkpoint_id` (the first CHECKPOINT entry's) are unkeyed."""
    prev = GENESIS
    for stored in entries:
        keyed = checkpoint_id is None or stored.id >= checkpoint_id
        expected = keyed_link(key, prev, stored.entry) if keyed else unkeyed_link(prev, stored.entry)
        if stored.prev_hash != prev or not hmac.compare_digest(stored.hash, expected):
            if stored.id == checkpoint_id:
                return Break(stored.id, "the checkpoint does not match the unkeyed entries before it: one of "
                                        "them was changed or removed")
            if stored.prev_hash != prev:
                return Break(stored.id, "it does not follow the entry before it: an entry was removed or changed")
            return Break(stored.id, "its content or its link was changed")
        prev = stored.hash
    return None
