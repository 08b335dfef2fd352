"""What subscribers receive, made from one notice (the contract's plain dict): the mail's subject and
words, the chat card's, and the webhook body in Statuspage's shapes (comms-and-learning 1.4).
Pure data in, data out; only what the public page already shows goes in (the notice holds nothing else).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_INCIDENT_TITLE = {"created": "New incident", "updated": "Incident update", "resolved": "Resolved"}
_MAINTENANCE_TITLE = {"scheduled": "Scheduled maintenance", "rescheduled": "Maintenance rescheduled",
                      "started": "Maintenance in progress", "completed": "Maintenance completed",
                      "updated": "Maintenance update"}
BODY_MAX = 3000  # characters of an update's body in a card or mail; the page has the rest


@dataclass(frozen=True)
class Words:
    subject: str  # "[Acme] Incident update: Elevated API errors"
    title: str  # the same without the page's name, for cards
    text: str  # the plain-text body, without the unsubscribe footer
    url: str  # where to read more


def human(status: str) -> str:
    """'partial_outage' -> 'Partial outage'."""
    return status.replace("_", " ").capitalize() if status else ""


def _clip(text: str, limit: int = BODY_MAX) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def notice_words(notice: Mapping[str, Any]) -> Words:
    kind, event = str(notice.get("kind", "")), str(notice.get("event", ""))
    page_name = str(notice.get("page_name") or "Status page")
    url = str(notice.get("page_url") or "")
    lines: list[str] = []
    if kind == "component":
        component = notice.get("component") or {}
        change = notice.get("component_update") or {}
        title = f"{component.get('name', 'A component')} is {human(str(change.get('new_status', ''))).lower()}"
        lines.append(f"{component.get('name', '')}: {human(str(change.get('old_status', '')))} → "
                     f"{human(str(change.get('new_status', '')))}")
    else:
        incident = notice.get("incident") or {}
        heading = (_MAINTENANCE_TITLE if kind == "maintenance" else _INCIDENT_TITLE).get(event, human(event))
        title = f"{heading}: {incident.get('name', '')}"
        lines.append(f"Status: {human(str(incident.get('status', '')))}")
        if kind == "maintenance" and incident.get("scheduled_for"):
            lines.append(f"Window: {incident.get('scheduled_for')} to {incident.get('scheduled_until') or 'open'}")
        elif incident.get("impact") and incident.get("impact") != "none":
            lines.append(f"Impact: {human(str(incident['impact']))}")
        updates = incident.get("incident_updates") or []
        latest = updates[0] if updates else {}
        if latest.get("body"):
            lines += ["", _clip(str(latest["body"]))]
        affected = latest.get("affected_components") or []
        if affected:
            lines += ["", "Affected components:"]
            lines += [f"- {c.get('name', '')}: {human(str(c.get('new_status', '')))}" for c in affected]
    title = " ".join(title.split())  # a name from people never breaks a mail header
    text = "\n".join([*lines, "", f"Details: {url}" if url else ""]).rstrip() + "\n"
    return Words(subject=f"[{page_name}] {title}", title=title, text=text, url=url)


def mail_text(words: Words, page_name: str, unsubscribe_url: str) -> str:
    return (f"{words.text}\n--\nYou receive this because you subscribed to {page_name}.\n"
            f"Unsubscribe: {unsubscribe_url}\n")


def mail_html(words: Words, page_name: str, unsubscribe_url: str) -> str:
    """The HTML part's content: every word escaped (the email channel wraps it in a document)."""
    esc = html.escape
    body = esc(words.text.strip()).replace("\n", "<br>\n")
    link = f'<p><a href="{esc(words.url, quote=True)}">View the status page</a></p>\n' if words.url else ""
    return (f"<h2>{esc(words.title)}</h2>\n<p>{body}</p>\n{link}"
            f'<p style="color:#666;font-size:small">You receive this because you subscribed to {esc(page_name)}. '
            f'<a href="{esc(unsubscribe_url, quote=True)}">Unsubscribe</a></p>')


def confirmation_words(page_name: str, confirm_url: str, hours: int) -> Words:
    text = (f"Someone (we hope you) asked to receive {page_name}'s status updates at this address.\n\n"
            f"Confirm the subscription within {hours} hours: {confirm_url}\n\n"
            "If it was not you, ignore this mail: nothing will be sent to you.\n")
    title = f"Confirm your subscription to {page_name}"
    return Words(subject=" ".join(title.split()), title=title, text=text, url=confirm_url)


def webhook_body(notice: Mapping[str, Any], unsubscribe_url: str, documentation_url: str) -> dict[str, Any]:
    """Statuspage's webhook payloads: the incident shape (incidents and maintenances) or the
    component shape (comms-and-learning 1.4)."""
    body: dict[str, Any] = {"meta": {"unsubscribe": unsubscribe_url, "documentation": documentation_url},
                            "page": dict(notice.get("page") or {})}
    if notice.get("kind") == "component":
        body["component_update"] = dict(notice.get("component_update") or {})
        body["component"] = dict(notice.get("component") or {})
    else:
        body["incident"] = dict(notice.get("incident") or {})
    return body
