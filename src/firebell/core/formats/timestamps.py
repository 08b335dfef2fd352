"""Timestamps as the monitoring tools send them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from firebell.core.instants import checked_instant

_GO_ZERO = "0001-01-01T00:00:00Z"
_FRACTION = re.compile(r"\.(\d+)")
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_instant(text: str, *, assume_utc: bool = False) -> datetime:
    """RFC 3339 / ISO 8601 with a zone: Go's nanoseconds and PagerDuty's '+0000' included.
    With `assume_utc`, a time without a zone is taken as UTC instead of refused.

    Always a UTC instant within `core.instants`' range; anything else (no zone, not a time, a time
    whose UTC value is out of range) is a ValueError with the reason."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    value = _COMPACT_OFFSET.sub(r"\1:\2", value)
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        if not assume_utc:
            raise ValueError(f"{text!r} has no time zone")
        parsed = parsed.replace(tzinfo=UTC)
    return checked_instant(parsed)


def parse_optional_instant(text: object) -> datetime | None:
    """None for absent values and Go's zero time (Alertmanager's 'still firing')."""
    if not isinstance(text, str) or not text or text == _GO_ZERO or text.startswith("0001-01-01"):
        return None
    try:
        return parse_instant(text)
    except ValueError:
        return None
