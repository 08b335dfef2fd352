"""iCalendar feeds of on-call shifts (RFC 5545), per schedule and per person, at secret URLs.

A feed URL carries an HMAC of what it shows under the server's link key, so it needs no table and
cannot be guessed; calendar apps poll it without a login. Events use UTC DTSTART/DTEND and a UID
made from the schedule, the person and the shift's start, so they stay the same across fetches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from icalendar import Calendar, Event

from firebell.core.schedules import Shift

FEED_HORIZON_DAYS = 90


def feed_token(secret: bytes, kind: str, subject_id: str) -> str:
    mac = hmac.new(secret, f"feed:{kind}:{subject_id}".encode(), hashlib.sha256).digest()[:18]
    return f"{kind[0]}{subject_id}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def read_feed_token(secret: bytes, token: str) -> tuple[str, str] | None:
    """(kind, subject id) of a genuine token, else None."""
    head, _, _ = token.partition(".")
    kind = {"s": "schedule", "u": "user"}.get(head[:1])
    if kind is None:
        return None
    subject = head[1:]
    return (kind, subject) if hmac.compare_digest(feed_token(secret, kind, subject), token) else None


def calendar(name: str, shifts: list[tuple[str, Shift]], now: datetime) -> bytes:
    """(schedule name, shift) pairs as one VCALENDAR."""
    cal = Calendar()
    cal.add("prodid", "-//Firebell//On-call//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for schedule, shift in shifts:
        event = Event()
        event.add("uid", f"{schedule}-{shift.user}-{shift.start:%Y%m%dT%H%M%SZ}@firebell")
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {shift.user} ({schedule})")
        event.add("description", f"Layer: {shift.source}")
        cal.add_component(event)
    return bytes(cal.to_ical())
