"""Pure text rules for messages: how times and durations read, and how a rendered text is cut to a
channel's limit with a mark a reader can see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

TRUNCATION_MARK = " [...]"  # ASCII, so it costs one septet each in an SMS and reads the same everywhere


def utc_text(at: datetime | None) -> str:
    """'2026-12-07 10:31 UTC', or '' for no time."""
    if at is None:
        return ""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return f"{at:%Y-%m-%d %H:%M} UTC"


def clock_text(at: datetime | None) -> str:
    """'10:31' (UTC), or ''."""
    if at is None:
        return ""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return f"{at:%H:%M}"


def elapsed_text(span: timedelta) -> str:
    """'01:05': hours and minutes, hours growing past 99 when they must; never negative."""
    minutes = max(int(span.total_seconds()) // 60, 0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def duration_words(span: timedelta) -> str:
    """'1 hour 5 minutes', '2 days 3 hours', '45 seconds': the two largest units that are not zero."""
    seconds = max(int(span.total_seconds()), 0)
    units = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
    parts = []
    for name, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "0 minutes"


def clip(text: str, limit: int, mark: str = TRUNCATION_MARK) -> str:
    """`text` when it fits in `limit` characters, else its longest prefix (cut at a space when one is
    near) followed by `mark`, all within `limit`."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit <= len(mark):
        return text[:limit]
    head = text[: limit - len(mark)]
    space = head.rfind(" ")
    if space >= len(head) - 20 and space > 0:
        head = head[:space]
    return head.rstrip() + mark
