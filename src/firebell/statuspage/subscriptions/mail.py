"""Subscriber mail from the messages catalogue's templates: `status_subscriber_incident`,
`_maintenance`, `_component` and `_confirmation` on the email channel (subject, text, html), which the
config tree's `templates:` section overrides like any other (docs/messages.md). Rendered once per
notice, not per subscriber; the footer with the unsubscribe link is added after (words.mail_text), and
the RFC 8058 headers by the email channel, so no template can leave them out.

A configured template that fails while rendering costs nobody their mail: messages/render.py renders
the built-in for that part instead, and the failure is logged here (there is no internal incident
whose timeline could say so)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from firebell.messages import render
from firebell.statuspage.subscriptions import words

log = logging.getLogger(__name__)
PURPOSES = {"incident": "status_subscriber_incident", "maintenance": "status_subscriber_maintenance",
            "component": "status_subscriber_component"}
CONFIRMATION = "status_subscriber_confirmation"
CHANNEL = "email"


@dataclass(frozen=True)
class Mail:
    """A mail's words, before the footer."""

    subject: str
    text: str
    html: str


def notice_mail(session: Session, notice: Mapping[str, Any], now: str) -> Mail:
    purpose = PURPOSES.get(str(notice.get("kind", "")), PURPOSES["incident"])
    return _render(session, purpose, words.mail_values(notice, now), str(notice.get("key", "")))


def confirmation_mail(session: Session, page_name: str, confirm_url: str, hours: int, now: str) -> Mail:
    return _render(session, CONFIRMATION, words.confirmation_values(page_name, confirm_url, hours, now),
                   "confirmation")


def _render(session: Session, purpose: str, values: Mapping[str, Any], what: str) -> Mail:
    outcome = render.render(purpose, CHANNEL, values, render.overrides(session, purpose, CHANNEL))
    for part, source, error in outcome.fell_back:
        log.warning("template %s/%s.%s (%s) failed on %s; the built-in was sent: %s", purpose, CHANNEL, part,
                    source, what, error)
    done = outcome.rendered
    return Mail(subject=done.subject, text=done.text, html=done.html)
