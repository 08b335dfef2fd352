"""What subscribers receive, made from one notice (the contract's plain dict): the chat card's words,
the values the mail's templates see (subscriptions/mail.py renders them), the mail's footer, and the
webhook body in Statuspage's shapes (comms-and-learning 1.4). Pure data in, data out; only what the
public page already shows goes in (the notice holds nothing else).
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
        title = f"{heading(kind, event)}: {incident.get('name', '')}"
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


def heading(kind: str, event: str) -> str:
    """'Incident update', 'Maintenance rescheduled': the event in words."""
    return (_MAINTENANCE_TITLE if kind == "maintenance" else _INCIDENT_TITLE).get(event, human(event))


def mail_values(notice: Mapping[str, Any], now: str) -> dict[str, Any]:
    """What the subscriber mail templates see of a notice (messages/variables.py: STATUS_*): the
    public page's words only, statuses in words, the update's body clipped as in the cards."""
    kind, event = str(notice.get("kind", "")), str(notice.get("event", ""))
    page = notice.get("page") or {}
    url = str(notice.get("page_url") or "")
    incident = notice.get("incident") or {}
    updates = incident.get("incident_updates") or []
    latest = updates[0] if updates else {}
    impact = str(incident.get("impact") or "")
    component = notice.get("component") or {}
    change = notice.get("component_update") or {}
    return {
        "now": now,
        "page": {"name": str(notice.get("page_name") or "Status page"), "url": url,
                 "status": str(page.get("status_description") or "")},
        "notice": {"event": event, "heading": heading(kind, event), "url": url},
        "incident": {
            "name": " ".join(str(incident.get("name") or "").split()),
            "status": human(str(incident.get("status") or "")),
            "impact": human(impact) if impact not in ("", "none", "maintenance") else "",
            "body": _clip(str(latest.get("body") or "")),
            "scheduled_for": str(incident.get("scheduled_for") or ""),
            "scheduled_until": str(incident.get("scheduled_until") or ""),
            "affected": [{"name": str(c.get("name") or ""), "status": human(str(c.get("new_status") or ""))}
                         for c in latest.get("affected_components") or []],
            "url": str(incident.get("shortlink") or url)},
        "component": {"name": str(component.get("name") or "A component"),
                      "old_status": human(str(change.get("old_status") or "")),
                      "new_status": human(str(change.get("new_status") or ""))},
    }


def confirmation_values(page_name: str, confirm_url: str, hours: int, now: str, page_url: str = "") -> dict[str, Any]:
    return {"now": now, "page": {"name": page_name, "url": page_url, "status": ""},
            "notice": {"event": "confirmation", "heading": "Confirm your subscription", "url": page_url},
            "confirmation": {"url": confirm_url, "hours": hours}}


def mail_text(text: str, page_name: str, unsubscribe_url: str) -> str:
    """The rendered words and the footer no template can leave out: why this mail, and the way out."""
    return (f"{text.rstrip()}\n\n--\nYou receive this because you subscribed to {page_name}.\n"
            f"Unsubscribe: {unsubscribe_url}\n")


def mail_html(content: str, page_name: str, unsubscribe_url: str) -> str:
    """The HTML part's content (rendered with autoescape) and the footer, escaped here (the email
    channel wraps it in a document)."""
    esc = html.escape
    return (f"{content.rstrip()}\n"
            f'<p style="color:#666;font-size:small">You receive this because you subscribed to {esc(page_name)}. '
            f'<a href="{esc(unsubscribe_url, quote=True)}">Unsubscribe</a></p>')


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
