"""The secret path of a schedule's or a person's calendar feed, and rotating it (a leaked URL is
revoked): for the API and the web console alike (oncall/feeds.py signs and reads the tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from firebell.audit.log import record
from firebell.oncall import feeds
from firebell.oncall.models import Schedule
from firebell.org.models import User
from firebell.store.secrets import link_secret


def feed_path(session: Session, kind: str, subject: Schedule | User) -> str:
    """/ical/<token>.ics: the caller puts the public URL in front."""
    return f"/ical/{feeds.feed_token(link_secret(session), kind, subject.id, subject.feed_generation)}.ics"


def rotate_feed(session: Session, kind: str, subject: Schedule | User, *, now: datetime, actor: str) -> str:
    """The old URL stops working at once; the new path."""
    subject.feed_generation += 1
    record(session, actor=actor, action="feed.rotate", subject=f"{kind}:{subject.name}",
           details={"generation": subject.feed_generation}, now=now)
    return feed_path(session, kind, subject)
