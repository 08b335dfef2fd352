"""iCalendar feeds of on-call shifts (RFC 5545), per schedule and per person, at secret URLs.

A feed URL carries an HMAC of what it shows, and of the subject's feed generation, under the server's
link key, so it cannot be guessed; calendar apps poll it without a login. Rotating a feed bumps the
generation: the old URL stops working (a leaked URL is revoked) and a new one is handed out.
Events use UTC DTSTART/DTEND and a UID made from the schedule, the person and the shift's start, so
they stay the same across fetches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime

from icalendar import Calendar, Event

from firebell.core.constant_time import constant_time_equals
from firebell.core.schedules import Shift

FEED_HORIZON_DAYS = 90
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # store.base.new_id


def feed_token(secret: bytes, kind: str, subject_id: str, generation: int = 0) -> str:
    # Generation 0 signs what URLs signed before feeds could be rotated, so those keep working.
    signed = f"feed:{kind}:{subject_id}" + (f":{generation}" if generation else "")
    mac = hmac.new(secret, signed.encode(), hashlib.sha256).digest()[:18]
    return f"{kind[0]}{subject_id}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def feed_subject(token: str) -> tuple[str, str] | None:
    """(kind, subject id) the token claims to be for; check it with `genuine` before trusting it.
    None unless the id has the shape of ours, so no stranger string (a NUL byte, which PostgreSQL
    refuses) reaches a query."""
    head, _, _ = token.partition(".")
    kind = {"s": "schedule", "u": "user"}.get(head[:1])
    return (kind, head[1:]) if kind is not None and _ID.fullmatch(head[1:]) else None


def genuine(secret: bytes, token: str, kind: str, subject_id: str, generation: int) -> bool:
    return constant_time_equals(feed_token(secret, kind, subject_id, generation), token)


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
