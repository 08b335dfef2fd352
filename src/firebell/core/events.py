"""The normalised alert event every integration format is parsed into."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventAction(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class AlertEvent:
    format: str  # pagerduty, alertmanager, grafana, webhook, heartbeat
    action: EventAction
    dedup_key: str
    summary: str
    group_key: str | None = None  # None: derived from the service's group_by labels, else dedup key
    source: str = ""
    source_severity: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    details: Any = None
    occurred_at: datetime | None = None
    # A Firebell severity key the source states outright (a heartbeat's configured severity).
    fixed_severity: str | None = None

    def attributes(self) -> dict[str, str]:
        """What matchers see: every label, plus the event's fields under '@' names."""
        attrs = dict(self.labels)
        attrs.update({"@summary": self.summary, "@source": self.source, "@severity": self.source_severity,
                      "@format": self.format, "@dedup_key": self.dedup_key, "@action": self.action.value})
        return attrs

    @functools.cached_property
    def _hash(self) -> str:
        """Identity of the event's content (computed once: dedup and the stored row both use it)."""
        body = json.dumps([self.format, self.action.value, self.dedup_key, self.summary, self.source,
                           self.source_severity, self.labels, self.annotations, self.links, self.details,
                           self.occurred_at.isoformat() if self.occurred_at else None],
                          sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()

    def content_hash(self) -> str:
        """Identity of the event's content, to recognise a retried delivery of the same event."""
        return self._hash


EXCERPT_LIMIT = 16_384  # characters of JSON kept of what a sender sent, per alert and history row


def compact_json(value: Any) -> str:
    """The JSON text payloads are stored as (non-JSON values as their str)."""
    return json.dumps(value, default=str, separators=(",", ":"))


def excerpt_with_json(payload: Any, limit: int = EXCERPT_LIMIT) -> tuple[Any, str]:
    """The payload itself when small, else a truncated string of it (history stays bounded), with
    its JSON text, so a store that keeps JSON as text need not serialise it again."""
    return excerpt_of_text(payload, compact_json(payload), limit)


def excerpt_of_text(payload: Any, text: str, limit: int = EXCERPT_LIMIT) -> tuple[Any, str]:
    """`excerpt_with_json` for a payload whose JSON text is already made."""
    if len(text) <= limit:
        return payload, text
    head = {"truncated": True, "size": len(text), "head": text[:limit]}
    return head, json.dumps(head, separators=(",", ":"))
